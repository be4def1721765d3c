import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { PHASES, withHome } from '../../phases';
import { afterReturn } from '../../lib/failover/plan';
import { analyzeReachability } from '../../lib/review/reachability';
import { PhaseTemplates, TemplateJson, reviewUpgrade } from '../../lib/review/upgrade-review';
import { phaseAssembly, phaseTemplates } from './support/assembly';
import { synthesizePhase } from './support/synth';

/** 70k as built after a failover moved the writes from us-east-1 to us-west-2 (-c homeRegion=us-west-2). */
const MOVED = withHome(PHASES['70k'], 'us-west-2');
let moved: CloudAssembly;

beforeAll(() => {
  moved = synthesizePhase(fs.mkdtempSync(path.join(os.tmpdir(), 'failback-')), MOVED);
});

const templateOf = (stack: string): TemplateJson => moved.getStackByName(stack).template;
const resourcesOf = (stack: string, type: string) => Object.entries(templateOf(stack).Resources ?? {}).filter(([, r]) => r.Type === type);
const movedTemplates = (): PhaseTemplates => ({ phase: '70k (home us-west-2)', stacks: new Map(moved.stacks.map((s) => [s.stackName, s.template])) });
/** The services' manifests of a region's cluster, as written beside the assembly (cdk8s). */
const manifests = (region: string): string => fs.readFileSync(path.join(moved.directory, 'k8s', `orders-${region}-compute.yaml`), 'utf8');

describe('70k with its home moved to us-west-2', () => {
  test('us-west-2 runs as the primary and us-east-1 as its secondary', () => {
    expect(MOVED.regions.map((r) => [r.region, r.role])).toEqual([
      ['us-east-1', 'secondary'],
      ['us-west-2', 'primary'],
    ]);
    expect(manifests('usw2')).toContain('REGION_ROLE: primary');
    expect(manifests('usw2')).not.toContain('HOME_API_URL');
    expect(manifests('use1')).toContain('REGION_ROLE: secondary');
    expect(manifests('use1')).toMatch(/HOME_API_URL: http:\/\/<orders-usw2-compute:GatewayLoadBalancer[0-9A-F]+\.DNSName>/);
  });

  test('the home pointer stays in us-west-2 and names it; no promotion machine is left there', () => {
    const [[, parameter]] = resourcesOf('orders-usw2-failover', 'AWS::SSM::Parameter');
    expect(parameter.Properties).toMatchObject({ Name: '/orders/platform/home-region', Value: 'us-west-2' });
    expect(resourcesOf('orders-usw2-failover', 'AWS::StepFunctions::StateMachine')).toEqual([]);
    expect(moved.stacks.map((s) => s.stackName)).not.toContain('orders-use1-failover');
  });

  test('us-west-2\'s replicas are written as standalone instances: no source, the create-only SourceRegion they were made with, protected like the fleet', () => {
    const instances = resourcesOf('orders-usw2-data', 'AWS::RDS::DBInstance');
    expect(instances).toHaveLength(PHASES['70k'].postgres.instances.length);
    for (const [, instance] of instances) {
      expect(instance.Properties).not.toHaveProperty('SourceDBInstanceIdentifier');
      expect(instance.Properties).toMatchObject({ SourceRegion: 'us-east-1', DeletionProtection: true, MultiAZ: true, BackupRetentionPeriod: 21 });
      expect((instance as { DeletionPolicy?: string }).DeletionPolicy).toBe('Snapshot');
    }
  });

  test('us-east-1 rejoins with a new replica of every promoted instance, read from us-west-2', () => {
    const promoted = resourcesOf('orders-usw2-data', 'AWS::RDS::DBInstance').map(([id]) => id).sort();
    const replicas = resourcesOf('orders-use1-rejoin', 'AWS::RDS::DBInstance');
    const sources = replicas.map(([, r]) => {
      const join = (r.Properties!.SourceDBInstanceIdentifier as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
      expect(join[0]).toBe('arn:aws:rds:us-west-2:');
      const output = (join[3] as { 'Fn::GetStackOutput': { StackName: string; Region: string; OutputName: string } })['Fn::GetStackOutput'];
      expect(output).toMatchObject({ StackName: 'orders-usw2-data', Region: 'us-west-2' });
      expect(r.Properties).toMatchObject({ SourceRegion: 'us-west-2' });
      return output.OutputName;
    });
    // CDK names a published output after the resource it refers to.
    expect(sources.map((name) => promoted.find((id) => name.startsWith(`PublishOutputRef${id}`))).sort()).toEqual(promoted);
  });

  test('us-east-1 rejoins the catalogue\'s global cluster and the cache\'s Global Datastore with new members', () => {
    const [[, cluster]] = resourcesOf('orders-use1-rejoin', 'AWS::DocDB::DBCluster');
    expect(JSON.stringify(cluster.Properties!.GlobalClusterIdentifier)).toContain('orders-use1-data');
    expect(resourcesOf('orders-use1-rejoin', 'AWS::DocDB::DBInstance')).toHaveLength(PHASES['70k'].documentDb.instanceCluster.instances);
    const [[, cache]] = resourcesOf('orders-use1-rejoin', 'AWS::ElastiCache::ReplicationGroup');
    expect(JSON.stringify(cache.Properties!.GlobalReplicationGroupId)).toContain('orders-use1-data');
    expect(cache.Properties).not.toHaveProperty('Engine');
  });

  test('MirrorMaker 2 runs in us-east-1, copying us-west-2\'s topics; none runs in us-west-2', () => {
    const config = manifests('use1');
    expect(config).toContain('us-west-2->us-east-1.enabled = true');
    expect(config).toContain('us-east-1->us-west-2.enabled = false');
    expect(config).toMatch(/us-west-2\.bootstrap\.servers = <orders-usw2-compute:EnvironmentKafkaBootstrapBrokers[0-9A-F]+\.BootstrapBrokerStringSaslIam>/);
    expect(manifests('usw2')).not.toContain('mirror-maker');
  });

  test('every workload reaches every endpoint it is configured with', () => {
    const report = analyzeReachability(moved);
    expect(report.problems).toEqual([]);
    expect(report.paths.length).toBeGreaterThan(0);
  });

  test('from 70k, the move replaces, deletes or orphans no stateful resource: us-west-2 promotes in place, us-east-1 only adds', () => {
    const review = reviewUpgrade(phaseTemplates('70k'), movedTemplates());
    expect(review.errors).toEqual([]);
    expect(review.removedStacks).toEqual([]);
    expect(review.addedStacks).toEqual(['orders-use1-rejoin']);
    const stateful = review.changes.filter((c) => c.stateful && c.action !== 'add');
    expect(stateful.map((c) => `${c.stack} ${c.type} ${c.action}`)).toEqual(
      PHASES['70k'].postgres.instances.map(() => 'orders-usw2-data AWS::RDS::DBInstance update'),
    );
    const added = review.changes.filter((c) => c.stateful && c.action === 'add');
    expect(new Set(added.map((c) => c.stack))).toEqual(new Set(['orders-use1-rejoin']));
    expect(added.filter((c) => c.type === 'AWS::RDS::DBInstance')).toHaveLength(PHASES['70k'].postgres.instances.length);
  });

  test('a replica given another source instead of none is a replacement, which the review reports', () => {
    const stacks = new Map(movedTemplates().stacks);
    const data = structuredClone(stacks.get('orders-usw2-data')!);
    for (const resource of Object.values(data.Resources!)) {
      if (resource.Type === 'AWS::RDS::DBInstance') resource.Properties = { ...resource.Properties, SourceDBInstanceIdentifier: 'arn:aws:rds:eu-central-1:123456789012:db:elsewhere' };
    }
    stacks.set('orders-usw2-data', data);
    const review = reviewUpgrade(phaseTemplates('70k'), { phase: '70k (replicas pointed elsewhere)', stacks });
    expect(review.errors.filter((e) => e.includes('because of SourceDBInstanceIdentifier'))).toHaveLength(PHASES['70k'].postgres.instances.length);
  });

  test('the normal 70k is untouched: us-east-1 primary, the machine in us-west-2', () => {
    expect(phaseAssembly('70k').stacks.map((s) => s.stackName)).not.toContain('orders-use1-rejoin');
    const failover = phaseTemplates('70k').stacks.get('orders-usw2-failover')!;
    expect(Object.values(failover.Resources!).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')).toHaveLength(1);
  });
});

describe('what the failover command prints for the return of the lost region', () => {
  test('the rebuild steps name the exact deploys, in order', () => {
    const steps = afterReturn(PHASES['70k'], 'us-west-2');
    const deploys = steps.filter((s) => s.startsWith('npx cdk deploy')).map((s) => s.split(':')[0]);
    expect(deploys).toEqual([
      'npx cdk deploy -c phase=70k -c homeRegion=us-west-2 --exclusively orders-usw2-failover',
      'npx cdk deploy -c phase=70k -c homeRegion=us-west-2 --all',
    ]);
    expect(steps.findIndex((s) => s.startsWith('Snapshot us-east-1'))).toBeLessThan(steps.findIndex((s) => s.startsWith('npx cdk deploy')));
    expect(steps.at(-1)).toMatch(/^Reconcile us-east-1's snapshots with us-west-2/);
  });

  test('in 1m the third region rebuilds its PostgreSQL replicas from the new home too', () => {
    const all = afterReturn(PHASES['1m'], 'us-west-2').find((s) => s.includes('--all'))!;
    expect(all).toContain('orders-euc1-rejoin builds new PostgreSQL replicas from us-west-2');
  });
});
