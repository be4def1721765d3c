import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { PHASES } from '../../phases';
import { EKS_CLUSTER_ADMIN_POLICY } from '../../lib/k8s/services-cluster';
import { adminRoles } from '../../lib/platform';
import { synthesizePhases } from '../../lib/synthesize';
import { phaseAssembly } from './support/assembly';
import { cdkJsonContext } from './support/synth';

const ADMIN = 'arn:aws:iam::123456789012:role/platform-admins';
const CI = 'arn:aws:iam::123456789012:role/ci/deployer';

describe('EKS access for people and CI', () => {
  test('each given role gets one cluster-admin access entry on every region\'s cluster, with an ID that follows the role', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eks-access-'));
    try {
      const asm = synthesizePhases(dir, [PHASES['70k']], cdkJsonContext(), { adminRoleArns: [ADMIN, CI] }).get('70k')!;
      const ids: string[][] = [];
      for (const name of ['orders-use1-compute', 'orders-usw2-compute']) {
        const t = Template.fromJSON(asm.getStackByName(name).template);
        const entries = t.findResources('AWS::EKS::AccessEntry', { Properties: { Type: 'STANDARD', AccessPolicies: [{ PolicyArn: EKS_CLUSTER_ADMIN_POLICY, AccessScope: { Type: 'cluster' } }] } });
        expect(Object.values(entries).map((e: any) => e.Properties.PrincipalArn).sort()).toEqual([ADMIN, CI].sort());
        ids.push(Object.keys(entries).sort());
      }
      // The same logical IDs in both regions: they come from the role, not from its place in the list.
      expect(ids[1]).toEqual(ids[0]);
      const alone = synthesizePhases(path.join(dir, 'alone'), [PHASES['50k']], cdkJsonContext(), { adminRoleArns: [CI] }).get('50k')!;
      const aloneIds = Object.keys(Template.fromJSON(alone.getStackByName('orders-use1-compute').template).findResources('AWS::EKS::AccessEntry', { Properties: { PrincipalArn: CI } }));
      expect(ids[0]).toEqual(expect.arrayContaining(aloneIds));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without admin roles, only the platform\'s own principals have access entries: the kubectl provider and the Prometheus scraper', () => {
    const t = Template.fromJSON(phaseAssembly('50k').getStackByName('orders-use1-compute').template);
    const principals = Object.values(t.findResources('AWS::EKS::AccessEntry')).map((e: any) => JSON.stringify(e.Properties.PrincipalArn));
    expect(principals).toHaveLength(2);
    expect(principals.every((p) => p.includes('Fn::GetAtt'))).toBe(true);
    expect(principals.some((p) => p.includes('KubectlProvider') || p.includes('Kubectl'))).toBe(true);
  });

  test('a value that is not an IAM role ARN, or a role given twice, fails naming it', () => {
    expect(() => adminRoles(['arn:aws:iam::123456789012:user/alice'])).toThrow('adminRoleArn = arn:aws:iam::123456789012:user/alice: must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)');
    expect(() => adminRoles([ADMIN, ADMIN])).toThrow(`adminRoleArn = ${ADMIN}: given twice; give each role once`);
    expect(adminRoles([ADMIN, CI])).toEqual([ADMIN, CI]);
  });
});
