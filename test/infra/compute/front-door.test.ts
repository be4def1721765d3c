import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SynthesisMessageLevel } from 'aws-cdk-lib/cx-api';
import { PHASES } from '../../../phases';
import { certificatesByRegion } from '../../../lib/platform';
import { regionalStackName } from '../../../lib/naming';
import { synthesizePhases } from '../../../lib/synthesize';
import { phaseAssembly } from '../support/assembly';
import { cdkJsonContext } from '../support/synth';

type Resources = Record<string, { Type: string; Properties?: any }>;

const CERTIFICATE = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const COMPUTE = regionalStackName('us-east-1', 'compute');
const ofType = (r: Resources, type: string) => Object.values(r).filter((v) => v.Type === type);

describe('the 1k front door with the shop\'s certificate', () => {
  let resources: Resources;
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'front-door-'));
    const assembly = synthesizePhases(dir, [PHASES['1k']], cdkJsonContext(), { certificateArns: [CERTIFICATE] }).get('1k')!;
    resources = assembly.getStackByName(COMPUTE).template.Resources as Resources;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('serves HTTPS on 443 with the certificate and a TLS 1.2+ forward-secret policy', () => {
    const https = ofType(resources, 'AWS::ElasticLoadBalancingV2::Listener').filter((l) => l.Properties.Port === 443);
    expect(https).toHaveLength(1);
    expect(https[0].Properties).toMatchObject({ Protocol: 'HTTPS', Certificates: [{ CertificateArn: CERTIFICATE }], SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' });
    expect(https[0].Properties.DefaultActions[0].Type).toBe('forward');
  });

  test('answers HTTP on 80 with a permanent redirect to HTTPS, never the app', () => {
    const http = ofType(resources, 'AWS::ElasticLoadBalancingV2::Listener').filter((l) => l.Properties.Port === 80);
    expect(http).toHaveLength(1);
    expect(http[0].Properties.DefaultActions).toEqual([{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }]);
  });

  test('opens 443 and 80 to the internet on the load balancer only', () => {
    const groups = ofType(resources, 'AWS::EC2::SecurityGroup').filter((g) => (g.Properties.SecurityGroupIngress ?? []).some((r: any) => r.CidrIp === '0.0.0.0/0'));
    expect(groups).toHaveLength(1);
    expect(groups[0].Properties.SecurityGroupIngress.map((r: any) => r.ToPort).sort()).toEqual([443, 80]);
  });
});

describe('without a certificate', () => {
  test('the front door serves HTTP, and synthesis warns how to add HTTPS', () => {
    const stack = phaseAssembly('1k').getStackByName(COMPUTE);
    const listeners = ofType(stack.template.Resources as Resources, 'AWS::ElasticLoadBalancingV2::Listener');
    expect(listeners.map((l) => [l.Properties.Port, l.Properties.Protocol])).toEqual([[80, 'HTTP']]);
    const warnings = stack.messages.filter((m) => m.level === SynthesisMessageLevel.WARNING).map((m) => (typeof m.entry.data === 'string' ? m.entry.data : JSON.stringify(m.entry.data)));
    expect(warnings.some((w) => w.includes('The front door serves plain HTTP: pass the ACM certificate') && w.includes('-c certificateArn='))).toBe(true);
  });
});

describe('certificate ARNs are checked against the phase', () => {
  test.each([
    ['arn:aws:iam::123456789012:server-certificate/shop', 'certificateArn = arn:aws:iam::123456789012:server-certificate/shop: must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)'],
    [
      'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
      "certificateArn = arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b: its region eu-west-1 is not one of phase 1k's regions (us-east-1)",
    ],
  ])('%s is refused', (arn, message) => {
    expect(() => certificatesByRegion(PHASES['1k'], [arn])).toThrow(message);
  });

  test('two certificates for one region are refused', () => {
    expect(() => certificatesByRegion(PHASES['1k'], [CERTIFICATE, CERTIFICATE.replace('0f1e', 'aaaa')])).toThrow(`us-east-1 already has certificate ${CERTIFICATE}; give one per region`);
  });
});
