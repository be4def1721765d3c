import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { PHASES, PhaseSpec, SERVICE_NAMES, loadPhase } from '../../../phases';
import { sideBySide } from '../../../lib/compute/migration';
import { regionalStackName } from '../../../lib/naming';
import { synthesizePhases } from '../../../lib/synthesize';
import { cdkJsonContext } from '../support/synth';

type Resources = Record<string, { Type: string; Properties?: any }>;

/** Synthesizes a spec as `cdk synth` would (cdk-nag on), in a scratch directory. */
function synth(spec: PhaseSpec): { assembly: CloudAssembly; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'side-by-side-'));
  const assembly = synthesizePhases(dir, [spec], cdkJsonContext()).get(spec.name)!;
  return { assembly, dir };
}

describe('the 30k→50k move, EC2 services and EKS side by side', () => {
  const step = sideBySide(PHASES['50k'], PHASES['30k'], 10);
  let resources: Resources;
  let dir: string;

  beforeAll(() => {
    loadPhase('50k', { ...PHASES, '50k': step });
    const out = synth(step);
    dir = out.dir;
    resources = out.assembly.getStackByName(regionalStackName('us-east-1', 'compute')).template.Resources as Resources;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const ofType = (type: string) => Object.entries(resources).filter(([, v]) => v.Type === type);

  test('synthesizes with cdk-nag clean, keeping every per-service EC2 group beside the cluster', () => {
    expect(ofType('AWS::AutoScaling::AutoScalingGroup').length).toBe(SERVICE_NAMES.length);
    expect(ofType('AWS::EKS::Cluster').length).toBe(1);
  });

  test('each service path sends 10% to its pods and 90% to its EC2 group', () => {
    const rules = ofType('AWS::ElasticLoadBalancingV2::ListenerRule');
    expect(rules.length).toBe(SERVICE_NAMES.length);
    for (const [, rule] of rules) {
      const groups = rule.Properties.Actions[0].ForwardConfig.TargetGroups as { TargetGroupArn: { Ref: string }; Weight: number }[];
      const byBackend = Object.fromEntries(groups.map((g) => [/Kubernetes/.test(g.TargetGroupArn.Ref) ? 'eks' : 'ec2', g.Weight]));
      expect(byBackend).toEqual({ eks: 10, ec2: 90 });
    }
  });

  test('the logical IDs of the EC2 groups and the cluster are those of 30k and 50k, so each step is an in-place update', () => {
    const ids = (spec: PhaseSpec, type: string) => {
      const out = synth(spec);
      try {
        const r = out.assembly.getStackByName(regionalStackName('us-east-1', 'compute')).template.Resources as Resources;
        return Object.entries(r)
          .filter(([, v]) => v.Type === type)
          .map(([id]) => id)
          .sort();
      } finally {
        fs.rmSync(out.dir, { recursive: true, force: true });
      }
    };
    const stepIds = (type: string) =>
      ofType(type)
        .map(([id]) => id)
        .sort();
    expect(stepIds('AWS::AutoScaling::AutoScalingGroup')).toEqual(ids(PHASES['30k'], 'AWS::AutoScaling::AutoScalingGroup'));
    expect(stepIds('AWS::EKS::Cluster')).toEqual(ids(PHASES['50k'], 'AWS::EKS::Cluster'));
  });
});

describe('the 10k→30k move, the monolith behind API Gateway beside the services', () => {
  test('synthesizes with cdk-nag clean; each service path splits between the monolith and its own group', () => {
    const step = sideBySide(PHASES['30k'], PHASES['10k'], 50);
    const out = synth(step);
    try {
      const resources = out.assembly.getStackByName(regionalStackName('us-east-1', 'compute')).template.Resources as Resources;
      const ofType = (type: string) => Object.values(resources).filter((v) => v.Type === type);
      expect(ofType('AWS::AutoScaling::AutoScalingGroup').length).toBe(SERVICE_NAMES.length + 1);
      expect(ofType('AWS::ElasticLoadBalancingV2::LoadBalancer').map((lb) => lb.Properties.Scheme).sort()).toEqual(['internal', 'internet-facing']);
      for (const rule of ofType('AWS::ElasticLoadBalancingV2::ListenerRule')) {
        const groups = rule.Properties.Actions[0].ForwardConfig.TargetGroups as { TargetGroupArn: { Ref: string }; Weight: number }[];
        const byBackend = Object.fromEntries(groups.map((g) => [/Monolith/.test(g.TargetGroupArn.Ref) ? 'monolith' : 'service', g.Weight]));
        expect(byBackend).toEqual({ monolith: 50, service: 50 });
      }
    } finally {
      fs.rmSync(out.dir, { recursive: true, force: true });
    }
  });
});
