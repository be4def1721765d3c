import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { PHASES, PHASE_NAMES, PhaseName } from '../../phases';
import { PricedStack, estimateCost } from '../../lib/cost/estimate';
import { EC2_HOURLY, HOURS_PER_MONTH, REGION_FACTOR, SPOT_FACTOR } from '../../lib/cost/prices';
import { TERMINATION_GRACE_SECONDS } from '../../lib/compute/shutdown';
import { CAPACITY_LABEL, SPOT_NOTICE_SECONDS } from '../../lib/k8s/spot';
import { MANIFEST_DIR } from '../../lib/k8s/review-manifests';
import { regionalStackName } from '../../lib/naming';
import { assemblyDir, phaseAssembly, templateJson } from './support/assembly';
import { copy, problems } from './support/specs';

type PodSpec = {
  tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[];
  affinity?: { nodeAffinity?: Record<string, unknown> };
  terminationGracePeriodSeconds?: number;
  nodeSelector?: Record<string, string>;
};
type Workload = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec: { template: { spec: PodSpec }; podFailurePolicy?: unknown } };

/** Every Deployment and Job of a phase's review manifests, per region. */
function workloads(phase: PhaseName): { region: string; items: Workload[] }[] {
  return PHASES[phase].regions.map((r) => {
    const file = path.join(assemblyDir(), phase, MANIFEST_DIR, `${regionalStackName(r.region, 'compute')}.yaml`);
    const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as Workload | null);
    return { region: r.region, items: docs.filter((d): d is Workload => !!d && (d.kind === 'Deployment' || d.kind === 'Job')) };
  });
}

/** The workload's app name (a Job's object name carries a hash; its label does not). */
const appName = (w: Workload) => w.metadata.labels?.['app.kubernetes.io/name'] ?? w.metadata.name;

const toleratesSpot = (spec: PodSpec) => (spec.tolerations ?? []).some((t) => t.key === CAPACITY_LABEL || (t.key === undefined && t.operator === 'Exists'));
const prefersSpot = (spec: PodSpec) => JSON.stringify(spec.affinity?.nodeAffinity ?? {}).includes(CAPACITY_LABEL);

const one = (phase: string, line: string) => `Phase spec "${phase}" is invalid (1 problem):\n  - ${line}`;

describe('spot capacity in the rendered manifests', () => {
  test('at 1m analytics and the re-shard Job tolerate the spot taint and prefer spot nodes without requiring them', () => {
    const [home] = workloads('1m');
    const placed = home.items.filter((w) => ['analytics', 'reshard'].includes(appName(w)));
    expect(placed.map((w) => `${w.kind} ${appName(w)}`).sort()).toEqual(['Deployment analytics', 'Job reshard']);
    for (const w of placed) {
      const spec = w.spec.template.spec;
      expect(spec.tolerations).toEqual([{ key: CAPACITY_LABEL, operator: 'Equal', value: 'spot', effect: 'NoSchedule' }]);
      expect(spec.affinity).toEqual({
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: CAPACITY_LABEL, operator: 'In', values: ['spot'] }] } }],
        },
      });
      expect(spec.nodeSelector).toBeUndefined();
    }
  });

  test.each(PHASE_NAMES.filter((p) => PHASES[p].compute.eks))('at %s every other Deployment and Job, in every region, neither tolerates the spot taint nor prefers spot nodes', (phase) => {
    const placed = new Set<string>([...(PHASES[phase].compute.eks!.spot?.services ?? []), ...(PHASES[phase].compute.eks!.spot?.jobs ?? [])]);
    const regions = workloads(phase);
    expect(regions.flatMap((r) => r.items).length).toBeGreaterThan(0);
    for (const { region, items } of regions) {
      const others = items.filter((w) => !placed.has(appName(w)));
      expect(others.length).toBeGreaterThan(0);
      expect(others.filter((w) => toleratesSpot(w.spec.template.spec) || prefersSpot(w.spec.template.spec)).map((w) => `${region} ${w.kind} ${w.metadata.name}`)).toEqual([]);
    }
  });

  test('the schema and topic Jobs at 1m stay off spot nodes', () => {
    const [home] = workloads('1m');
    const jobs = home.items.filter((w) => w.kind === 'Job' && appName(w) !== 'reshard');
    expect(jobs.map(appName).sort()).toEqual(['migrate-inventory', 'migrate-order-activity', 'migrate-order-shard', 'migrate-orders', 'migrate-users', 'provision-topics']);
    for (const job of jobs) expect(toleratesSpot(job.spec.template.spec)).toBe(false);
  });

  test('a spot-placed pod stops within the two-minute notice, and a reclaimed re-shard pod does not use up the Job\'s retries', () => {
    expect(TERMINATION_GRACE_SECONDS).toBeLessThan(SPOT_NOTICE_SECONDS);
    const [home] = workloads('1m');
    const placed = home.items.filter((w) => toleratesSpot(w.spec.template.spec));
    expect(placed).toHaveLength(2);
    for (const w of placed) {
      // Kubernetes gives 30 s when a pod names no grace period.
      expect(w.spec.template.spec.terminationGracePeriodSeconds ?? 30).toBeLessThanOrEqual(SPOT_NOTICE_SECONDS);
    }
    const reshard = placed.find((w) => w.kind === 'Job')!;
    expect(reshard.spec.podFailurePolicy).toEqual({ rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] });
    for (const job of home.items.filter((w) => w.kind === 'Job' && w !== reshard)) expect(job.spec.podFailurePolicy).toBeUndefined();
  });
});

describe('spot capacity in the templates', () => {
  test.each(PHASES['1m'].regions.map((r) => r.region))('in %s at 1m the Spot node group is tainted and labelled spot, the General group labelled on demand and untainted', (region) => {
    const groups = Object.entries(templateJson('1m', regionalStackName(region, 'compute')).Resources ?? {}).filter(([, r]: [string, any]) => r.Type === 'AWS::EKS::Nodegroup') as [
      string,
      any,
    ][];
    const byCapacity = Object.fromEntries(groups.map(([, r]) => [r.Properties.CapacityType, r.Properties]));
    expect(Object.keys(byCapacity).sort()).toEqual(['ON_DEMAND', 'SPOT']);
    expect(byCapacity.SPOT.Taints).toEqual([{ Key: CAPACITY_LABEL, Value: 'spot', Effect: 'NO_SCHEDULE' }]);
    expect(byCapacity.SPOT.Labels).toEqual({ [CAPACITY_LABEL]: 'spot' });
    expect(byCapacity.ON_DEMAND.Taints).toBeUndefined();
    expect(byCapacity.ON_DEMAND.Labels).toEqual({ [CAPACITY_LABEL]: 'on_demand' });
  });
});

describe('spot placement rules', () => {
  test('spot-placed work without a SPOT node group fails (compute-eks-spot)', () => {
    const spec = copy('1m');
    spec.compute.eks.nodeGroups = spec.compute.eks.nodeGroups.filter((g: { capacityType: string }) => g.capacityType !== 'SPOT');
    expect(problems(spec)).toBe(
      one('1m', 'compute.eks.spot = {"services":["analytics"],"jobs":["reshard"]}: places work on spot capacity, so compute.eks.nodeGroups needs a group with capacityType SPOT'),
    );
  });

  test('a SPOT node group with nothing placed on it fails, since its taint would leave it idle', () => {
    const spec = copy('1m');
    delete spec.compute.eks.spot;
    expect(problems(spec)).toBe(
      one(
        '1m',
        'compute.eks.nodeGroups[Spot].capacityType = "SPOT": SPOT groups are tainted so that only interruptible work lands there: name that work in compute.eks.spot, or make the group ON_DEMAND',
      ),
    );
  });

  test('a schema Job placed on spot fails, naming the Jobs that may be', () => {
    const spec = copy('1m');
    spec.compute.eks.spot = { services: ['analytics'], jobs: ['reshard', 'migrate-orders'] };
    expect(problems(spec)).toBe(
      one('1m', 'compute.eks.spot.jobs = "migrate-orders": must be one of reshard, each once: the schema and topic Jobs hold up a deploy when interrupted'),
    );
  });

  test('an unknown or repeated service on spot fails', () => {
    const spec = copy('1m');
    spec.compute.eks.spot = { services: ['analytics', 'analytics', 'reporting'], jobs: [] };
    expect(problems(spec)).toBe(
      'Phase spec "1m" is invalid (2 problems):\n' +
        '  - compute.eks.spot.services = "analytics": must name a service of compute.eks.services, each once\n' +
        '  - compute.eks.spot.services = "reporting": must name a service of compute.eks.services, each once',
    );
  });

  test('the work not placed on spot needs an on-demand group: a phase of spot nodes only fails', () => {
    const spec = copy('1m');
    spec.compute.eks.nodeGroups = spec.compute.eks.nodeGroups.filter((g: { capacityType: string }) => g.capacityType === 'SPOT');
    expect(problems(spec)).toBe(
      one('1m', 'compute.eks.nodeGroups = ["Spot"]: needs an ON_DEMAND group with at least 3 nodes (one per AZ) so that system pods survive spot reclaims'),
    );
  });
});

describe('spot saving in the cost estimate', () => {
  const nodegroup = (capacityType: string, desired: number) => ({
    Type: 'AWS::EKS::Nodegroup',
    Properties: { CapacityType: capacityType, InstanceTypes: ['m7g.xlarge', 'm6g.xlarge'], ScalingConfig: { MinSize: 0, DesiredSize: desired, MaxSize: 9 }, DiskSize: 50 },
  });

  test('a spot group\'s saving is its nodes on demand minus the same on spot, by region; an on-demand group saves nothing', () => {
    const template = { Resources: { Spot: nodegroup('SPOT', 2), General: nodegroup('ON_DEMAND', 6) } };
    for (const region of ['us-east-1', 'eu-central-1']) {
      const estimate = estimateCost([{ stackName: 's', region, template }]);
      const onDemand = 2 * EC2_HOURLY['m7g.xlarge'] * HOURS_PER_MONTH * REGION_FACTOR[region];
      expect(estimate.spotSavings).toEqual([
        { stack: 's', logicalId: 'Spot', what: '2 × m7g.xlarge', onDemandUsd: expect.closeTo(onDemand, 6), spotUsd: expect.closeTo(onDemand * SPOT_FACTOR, 6), savingUsd: expect.closeTo(onDemand * (1 - SPOT_FACTOR), 6) },
      ]);
    }
  });

  test('the saving is not counted twice: the total has the spot group at the spot price', () => {
    const spot = estimateCost([{ stackName: 's', region: 'us-east-1', template: { Resources: { Spot: nodegroup('SPOT', 2) } } }]);
    const onDemand = estimateCost([{ stackName: 's', region: 'us-east-1', template: { Resources: { Spot: nodegroup('ON_DEMAND', 2) } } }]);
    expect(onDemand.totalUsd - spot.totalUsd).toBeCloseTo(spot.spotSavings[0].savingUsd, 6);
    expect(onDemand.spotSavings).toEqual([]);
  });

  test('at 1m each region\'s Spot group saves on its 3 desired nodes; no earlier phase has a saving', () => {
    const stacksOf = (phase: PhaseName): PricedStack[] => phaseAssembly(phase).stacks.map((s) => ({ stackName: s.stackName, region: s.environment.region, template: s.template }));
    const savings = estimateCost(stacksOf('1m')).spotSavings;
    expect(savings.map((s) => `${s.stack}: ${s.what}`).sort()).toEqual(['orders-euc1-compute: 3 × m7g.xlarge', 'orders-use1-compute: 3 × m7g.xlarge', 'orders-usw2-compute: 3 × m7g.xlarge']);
    for (const s of savings) expect(s.savingUsd).toBeCloseTo(s.onDemandUsd - s.spotUsd, 6);
    expect(estimateCost(stacksOf('70k')).spotSavings).toEqual([]);
  });
});
