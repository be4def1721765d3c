import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { parseAllDocuments } from 'yaml';
import { PHASES, PHASE_NAMES, PhaseName } from '../../phases';
import { capacity, KEDA_COMPONENT_MILLICORES, podRpsAtTarget } from '../../phases/capacity';
import { FleetPredictiveScaling } from '../../lib/compute/predictive-scaling';
import { KEDA } from '../../lib/k8s/keda';
import { PROMETHEUS_AUTH, TRANSFER_HPA_ANNOTATION, forecasts, requestRate } from '../../lib/k8s/predictive-scaling';
import { scrapeConfig } from '../../lib/k8s/prometheus-scraper';
import { MANIFEST_DIR } from '../../lib/k8s/review-manifests';
import { CLUSTER_NAME } from '../../lib/k8s/services-cluster';
import { regionalStackName } from '../../lib/naming';
import { assemblyDir, templateJson } from './support/assembly';
import { copy, problems } from './support/specs';

type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: any };

function manifests(phase: PhaseName): { region: string; docs: Doc[] }[] {
  return PHASES[phase].regions.map((r) => {
    const file = path.join(assemblyDir(), phase, MANIFEST_DIR, `${regionalStackName(r.region, 'compute')}.yaml`);
    return { region: r.region, docs: parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as Doc).filter(Boolean) };
  });
}

const resourcesOf = (phase: PhaseName, stack: string, type: string) =>
  Object.entries(templateJson(phase, stack).Resources ?? {}).filter(([, r]: [string, any]) => r.Type === type) as [string, any][];

const one = (phase: string, line: string) => `Phase spec "${phase}" is invalid (1 problem):\n  - ${line}`;

describe('predictive scaling in the phase specs', () => {
  test('only 1m scales pods ahead of demand, 15 minutes ahead from a 30-minute trend and the curves of 1 and 7 days before', () => {
    expect(PHASE_NAMES.filter((p) => PHASES[p].compute.eks?.predictiveScaling)).toEqual(['1m']);
    expect(PHASES['1m'].compute.eks!.predictiveScaling).toEqual({ lookaheadMinutes: 15, trendWindowMinutes: 30, seasonalOffsetsDays: [1, 7] });
  });

  test('a pod\'s threshold is the capacity model\'s requests per second at the CPU target', () => {
    const pod = (name: string) => PHASES['1m'].compute.eks!.services.find((s) => s.name === name)!;
    // 500 millicores x 150 requests per vCPU x 60 %; the busy services' pods have 1000.
    expect(podRpsAtTarget(pod('user'))).toBeCloseTo(45);
    expect(podRpsAtTarget(pod('order'))).toBeCloseTo(90);
  });

  test('the capacity model counts KEDA\'s three components in the node CPU where pods scale ahead', () => {
    const without = copy('1m');
    delete without.compute.eks.predictiveScaling;
    expect(capacity(PHASES['1m']).nodes!.requestedMillicores - capacity(without).nodes!.requestedMillicores).toBe(3 * KEDA_COMPONENT_MILLICORES);
  });

  test('a lookahead shorter than a new node and a ready pod fails', () => {
    const spec = copy('1m');
    spec.compute.eks.predictiveScaling.lookaheadMinutes = 2;
    expect(problems(spec, PHASES['70k'])).toBe(
      one('1m', 'compute.eks.predictiveScaling.lookaheadMinutes = 2: must be a whole number of minutes from 5 (a new node and a ready pod) to 60'),
    );
  });

  test('a trend fitted over less history than it projects fails', () => {
    const spec = copy('1m');
    spec.compute.eks.predictiveScaling.trendWindowMinutes = 10;
    expect(problems(spec, PHASES['70k'])).toBe(
      one(
        '1m',
        'compute.eks.predictiveScaling.trendWindowMinutes = {"trendWindowMinutes":10,"lookaheadMinutes":15}: must be a whole number of minutes from lookaheadMinutes to 360: a trend fitted over less history than it projects is noise',
      ),
    );
  });

  test('a seasonal offset beyond the metrics retention fails, naming the retention', () => {
    const spec = copy('1m');
    spec.compute.eks.predictiveScaling.seasonalOffsetsDays = [1, 200];
    expect(problems(spec, PHASES['70k'])).toBe(
      one('1m', 'compute.eks.predictiveScaling.seasonalOffsetsDays = 200: must be distinct whole days from 1 to below monitoring.metricsRetentionDays (150): older samples are gone'),
    );
  });

  test('an EC2 group\'s scheduling buffer must be within the hour Auto Scaling launches ahead', () => {
    const spec = copy('30k');
    spec.compute.ec2Services.services[0].fleet = { ...spec.compute.ec2Services.services[0].fleet, predictiveScaling: { mode: 'ForecastAndScale', schedulingBufferMinutes: 90 } };
    expect(problems(spec, PHASES['10k'])).toBe(
      one('30k', 'compute.ec2Services.services[user].fleet.predictiveScaling.schedulingBufferMinutes = 90: must be a whole number of minutes from 1 to 60 (EC2 Auto Scaling launches at most an hour ahead)'),
    );
  });
});

describe('the forecast queries', () => {
  const spec = PHASES['1m'].compute.eks!.predictiveScaling!;

  test('the request rate leaves out probes and scrapes, and reads only the pods\' scrape job', () => {
    expect(requestRate('order')).toBe('sum(rate(http_requests_total{job="pods",service="order",route!~"/healthz|/readyz|/metrics|/health/checkout"}[5m]))');
    expect(scrapeConfig(CLUSTER_NAME)).toContain('job_name: pods');
  });

  test('the trend projects the last 30 minutes 900 s ahead; the curves read the coming 15 minutes of 1 and 7 days before', () => {
    const rate = requestRate('order');
    expect(forecasts('order', spec)).toEqual([
      { name: 'trend', query: `clamp_min(predict_linear(${rate}[30m:1m], 900), 0)` },
      { name: 'seasonal-1d', query: `max_over_time(${rate}[15m:1m] offset 1425m)` },
      { name: 'seasonal-7d', query: `max_over_time(${rate}[15m:1m] offset 10065m)` },
    ]);
  });
});

describe('1m: KEDA scales the services ahead of demand', () => {
  const spec = PHASES['1m'];
  const eks = spec.compute.eks!;

  test.each(spec.regions.map((r) => r.region))('%s: each service has one ScaledObject and no HPA of its own', (region) => {
    const { docs } = manifests('1m').find((m) => m.region === region)!;
    expect(docs.filter((d) => d.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    // The HPA KEDA creates owns the replica count: a fixed one would reset it on every apply.
    for (const pod of eks.services) expect([pod.name, docs.find((d) => d.kind === 'Deployment' && d.metadata.name === pod.name)!.spec.replicas]).toEqual([pod.name, undefined]);
    expect(docs.filter((d) => d.kind === 'ScaledObject').map((d) => d.metadata.name).sort()).toEqual(eks.services.map((s) => s.name).sort());
    const auth = docs.find((d) => d.kind === 'TriggerAuthentication')!;
    expect(auth.metadata).toMatchObject({ name: PROMETHEUS_AUTH, namespace: 'orders' });
    expect(auth.spec).toEqual({ podIdentity: { provider: 'aws' } });
  });

  test.each(spec.regions.map((r) => r.region))('%s: a ScaledObject keeps CPU at the target and adds each forecast at the pod\'s requests per second, against this region\'s workspace', (region) => {
    const { docs } = manifests('1m').find((m) => m.region === region)!;
    for (const pod of eks.services) {
      const so = docs.find((d) => d.kind === 'ScaledObject' && d.metadata.name === pod.name)!;
      expect(so.metadata.annotations).toEqual({ [TRANSFER_HPA_ANNOTATION]: 'true' });
      expect(so.spec).toMatchObject({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: pod.name },
        minReplicaCount: pod.minReplicas,
        maxReplicaCount: pod.maxReplicas,
        // KEDA takes over the HPA of the phase before by its name; scale-down waits out the lookahead.
        advanced: { horizontalPodAutoscalerConfig: { name: pod.name, behavior: { scaleDown: { stabilizationWindowSeconds: 900 } } } },
      });
      const [cpu, ...predictive] = so.spec.triggers;
      expect(cpu).toEqual({ type: 'cpu', name: 'cpu', metricType: 'Utilization', metadata: { value: String(pod.targetCpuPercent) } });
      expect(predictive.map((t: any) => [t.name, t.metadata.query])).toEqual(forecasts(pod.name, eks.predictiveScaling!).map((f) => [f.name, f.query]));
      for (const trigger of predictive) {
        expect(trigger).toMatchObject({ type: 'prometheus', metricType: 'AverageValue', authenticationRef: { name: PROMETHEUS_AUTH } });
        expect(Number(trigger.metadata.threshold)).toBeCloseTo(podRpsAtTarget(pod), 3);
        expect(trigger.metadata.awsRegion).toBe(region);
        expect(trigger.metadata.serverAddress).toMatch(new RegExp(`^https://aps-workspaces\\.${region}\\.<AWS::URLSuffix>/workspaces/<[^>]*Prometheus[^>]*\\.WorkspaceId>$`));
      }
    }
  });

  test('phases before 1m keep one CPU HPA per service and no KEDA', () => {
    for (const phase of PHASE_NAMES.filter((p) => PHASES[p].compute.eks && !PHASES[p].compute.eks.predictiveScaling)) {
      for (const { docs } of manifests(phase)) {
        expect(docs.filter((d) => d.kind === 'HorizontalPodAutoscaler')).toHaveLength(PHASES[phase].compute.eks!.services.length);
        expect(docs.filter((d) => d.apiVersion.startsWith('keda.sh/'))).toEqual([]);
      }
      for (const region of PHASES[phase].regions) {
        expect(resourcesOf(phase, regionalStackName(region.region, 'compute'), 'Custom::AWSCDK-EKS-HelmChart').map(([, r]) => r.Properties.Chart)).not.toContain('keda');
      }
    }
  });

  test.each(spec.regions.map((r) => r.region))('%s: the KEDA chart is pinned, from its repository, and applied before the ScaledObjects', (region) => {
    const stack = regionalStackName(region, 'compute');
    const charts = resourcesOf('1m', stack, 'Custom::AWSCDK-EKS-HelmChart').filter(([, r]) => r.Properties.Chart === 'keda');
    expect(charts).toHaveLength(1);
    const [chartId, chart] = charts[0];
    expect(chart.Properties).toMatchObject({ Version: KEDA.chartVersion, Repository: KEDA.repository, Namespace: KEDA.namespace, Release: 'keda', Wait: true });
    expect(KEDA.chartVersion).toMatch(/^\d+\.\d+\.\d+$/);
    const scaled = resourcesOf('1m', stack, 'Custom::AWSCDK-EKS-KubernetesResource').filter(([, r]) => JSON.stringify(r.Properties.Manifest).includes('ScaledObject'));
    expect(scaled).toHaveLength(1);
    expect(scaled[0][1].DependsOn).toContain(chartId);
  });

  test.each(spec.regions.map((r) => r.region))('%s: the KEDA operator may only query this region\'s workspace, through EKS Pod Identity', (region) => {
    const stack = regionalStackName(region, 'compute');
    const associations = resourcesOf('1m', stack, 'AWS::EKS::PodIdentityAssociation').filter(([, r]) => r.Properties.Namespace === KEDA.namespace);
    expect(associations.map(([, r]) => r.Properties.ServiceAccount)).toEqual([KEDA.operatorAccount]);
    const roleId = associations[0][1].Properties.RoleArn['Fn::GetAtt'][0];
    const policies = resourcesOf('1m', stack, 'AWS::IAM::Policy').filter(([, r]) => r.Properties.Roles.some((x: any) => x.Ref === roleId));
    const statements = policies.flatMap(([, r]) => r.Properties.PolicyDocument.Statement);
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toBe('aps:QueryMetrics');
    expect(JSON.stringify(statements[0].Resource)).toMatch(/Prometheus/);
  });
});

describe('EC2 Auto Scaling predictive scaling', () => {
  test('a fleet whose spec asks for it gets a ForecastAndScale policy on the CPU metric pair at the fleet\'s target', () => {
    const stack = new Stack(new App(), 'Fleet');
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const group = new autoscaling.AutoScalingGroup(stack, 'Group', {
      vpc,
      instanceType: new ec2.InstanceType('t4g.small'),
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
    });
    new FleetPredictiveScaling(stack, 'PredictiveScaling', { group, spec: { mode: 'ForecastAndScale', schedulingBufferMinutes: 10 }, targetCpuPercent: 60 });
    Template.fromStack(stack).hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      AutoScalingGroupName: { Ref: Match.stringLikeRegexp('^Group') },
      PolicyType: 'PredictiveScaling',
      PredictiveScalingConfiguration: {
        Mode: 'ForecastAndScale',
        SchedulingBufferTime: 600,
        MaxCapacityBreachBehavior: 'HonorMaxCapacity',
        MetricSpecifications: [{ TargetValue: 60, PredefinedMetricPairSpecification: { PredefinedMetricType: 'ASGCPUUtilization' } }],
      },
    });
  });

  test('no phase\'s EC2 groups ask for it: the roadmap puts predictive scaling at 1m, which runs on EKS', () => {
    for (const phase of PHASE_NAMES) {
      const fleets = [PHASES[phase].compute.monolith?.fleet, ...(PHASES[phase].compute.ec2Services?.services ?? []).map((s) => s.fleet)];
      expect([phase, fleets.filter((f) => f?.predictiveScaling)]).toEqual([phase, []]);
    }
  });
});
