/**
 * The DocumentDB elastic cluster holds the analytics service's order activity (wired where the
 * phase has one, in the primary region only), and the platform starts the re-shard tool as a Job
 * whenever orders are sharded.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as cdk8s from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { PHASES, PHASE_NAMES, PhaseName, RegionName } from '../../phases';
import { regionalStackName } from '../../lib/naming';
import { ChartBindings, JobsChart, RESHARD_DEADLINE } from '../../lib/k8s/services-chart';
import { MANIFEST_DIR } from '../../lib/k8s/review-manifests';
import { loadConfig } from '../../services/shared/config';
import { assemblyDir, templateJson } from './support/assembly';

type Doc = { kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> };

const HOME: RegionName = 'us-east-1';
const stack = (region: RegionName, layer: string) => regionalStackName(region, layer);
const withElastic = PHASE_NAMES.filter((p) => PHASES[p].documentDb.elasticCluster);
const eksWithElastic = withElastic.filter((p) => PHASES[p].compute.eks);
const ec2WithElastic = withElastic.filter((p) => !PHASES[p].compute.eks);

function manifests(phase: PhaseName, region: RegionName): Doc[] {
  const file = path.join(assemblyDir(), phase, MANIFEST_DIR, `${stack(region, 'compute')}.yaml`);
  return parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as Doc)
    .filter(Boolean);
}

const configMap = (phase: PhaseName, region: RegionName, name: string) => manifests(phase, region).find((d) => d.kind === 'ConfigMap' && d.metadata.name === name)!.data!;
const elasticOf = (phase: PhaseName) => Object.entries(templateJson(phase, stack(HOME, 'data')).Resources ?? {}).find(([, r]) => r.Type === 'AWS::DocDBElastic::Cluster')!;

describe('the elastic cluster holds the order activity', () => {
  test('it exists from 30k on, so the phases that have it are the ones that shard collections', () => {
    expect(withElastic).toEqual(['30k', '50k', '70k', '1m']);
  });

  test.each(eksWithElastic)('%s: the analytics service and the schema Job get the elastic cluster, sharded, with the password read at run time', (phase) => {
    for (const name of ['analytics-config', 'jobs-config']) {
      const env = configMap(phase, HOME, name);
      expect([name, env.ORDER_ACTIVITY, env.ANALYTICS_MONGO_SHARDED, env.ANALYTICS_MONGO_DB]).toEqual([name, 'true', 'true', 'analytics']);
      expect(env.ANALYTICS_MONGO_URL).toMatch(new RegExp(`^mongodb://catalog_admin@<${stack(HOME, 'data')}:DocumentDbElastic[0-9A-F]{8}\\.ClusterEndpoint>:27017/\\?tls=true&retryWrites=false&credentials=<${stack(HOME, 'data')}:DocumentDbElasticAdmin[0-9A-F]{8}>$`));
      // The services' own schema accepts what the platform sets (deploy-time values in their deployed form).
      const deployed = env.ANALYTICS_MONGO_URL.replace(/<[^>]*ClusterEndpoint>/, 'orders-catalog-sharded.example.docdb-elastic.amazonaws.com').replace(/<[^>]*ElasticAdmin[^>]*>/, 'arn:aws:secretsmanager:us-east-1:111111111111:secret:elastic');
      const mine = { ORDER_ACTIVITY: env.ORDER_ACTIVITY, ANALYTICS_MONGO_DB: env.ANALYTICS_MONGO_DB, ANALYTICS_MONGO_SHARDED: env.ANALYTICS_MONGO_SHARDED, ANALYTICS_MONGO_URL: deployed };
      expect(loadConfig({ ORDERS_DB_URL: 'postgres://h/o', INVENTORY_DB_URL: 'postgres://h/i', USERS_DB_URL: 'postgres://h/u', ...mine })).toMatchObject({ ORDER_ACTIVITY: true, ANALYTICS_MONGO_SHARDED: true });
    }
    const job = manifests(phase, HOME).find((d) => d.kind === 'Job' && d.metadata.name.startsWith('migrate-order-activity-'));
    expect(job?.spec.template.spec.containers[0].args).toEqual(['services/migrate.mjs', 'order-activity']);
  });

  test.each(ec2WithElastic)('%s: the app servers get the elastic cluster too (the schema tool runs before each start)', (phase) => {
    const compute = JSON.stringify(templateJson(phase, stack(HOME, 'compute')));
    expect(compute).toContain('ORDER_ACTIVITY=\\"true\\"');
    expect(compute).toContain('ANALYTICS_MONGO_SHARDED=\\"true\\"');
    expect(compute).toContain('ANALYTICS_MONGO_URL=\\"mongodb://catalog_admin@');
  });

  test.each(withElastic)('%s: the elastic cluster admits the app tier on 27017 only, and the services may read its admin secret', (phase) => {
    const data = templateJson(phase, stack(HOME, 'data'));
    const [, elastic] = elasticOf(phase);
    const props = (elastic as { Properties: Record<string, any> }).Properties;
    expect(props.AuthType).toBe('SECRET_ARN');
    const [group] = props.VpcSecurityGroupIds as { 'Fn::GetAtt': [string, string] }[];
    const ingress = (data.Resources![group['Fn::GetAtt'][0]] as { Properties: { SecurityGroupIngress?: any[] } }).Properties.SecurityGroupIngress ?? [];
    const standalone = Object.values(data.Resources ?? {}).filter((r: any) => r.Type === 'AWS::EC2::SecurityGroupIngress' && JSON.stringify(r.Properties.GroupId).includes(group['Fn::GetAtt'][0]));
    const rules = [...ingress, ...standalone.map((r: any) => r.Properties)];
    expect(rules.length).toBeGreaterThan(0);
    // 27017, written as such or as the catalogue cluster's port (create-only, 27017).
    const docdbPort = (p: any) => p === 27017 || (p?.['Fn::GetAtt']?.[1] === 'Port' && /^DocumentDb[0-9A-F]{8}$/.test(p['Fn::GetAtt'][0]));
    for (const r of rules) expect([docdbPort(r.FromPort), docdbPort(r.ToPort), r.CidrIp, typeof r.SourceSecurityGroupId]).toEqual([true, true, undefined, 'object']);
    const secret = props.AdminUserPassword as { Ref: string };
    const compute = JSON.stringify(templateJson(phase, stack(HOME, 'compute')));
    expect(compute).toMatch(new RegExp(`"secretsmanager:GetSecretValue".{0,4000}${secret.Ref.replace(/[0-9A-F]{8}$/, '')}`));
  });

  test.each(eksWithElastic.filter((p) => PHASES[p].regions.length > 1))('%s: a secondary region keeps no order activity (no elastic cluster there): its reads go home', (phase) => {
    for (const region of PHASES[phase].regions.filter((r) => r.role === 'secondary')) {
      const env = configMap(phase, region.region, 'analytics-config');
      expect([region.region, env.ORDER_ACTIVITY, env.ANALYTICS_MONGO_URL]).toEqual([region.region, undefined, undefined]);
      expect(JSON.stringify(templateJson(phase, stack(region.region, 'data')))).not.toContain('AWS::DocDBElastic::Cluster');
    }
  });
});

describe('the re-shard Job', () => {
  const bindings: ChartBindings = {
    image: 'registry.example/orders:build-1',
    environment: { ORDERS_DB_URL: 'postgres://orders.example/orders', INVENTORY_DB_URL: 'postgres://inventory.example/inventory', USERS_DB_URL: 'postgres://users.example/users' },
    secretArns: 'pg=arn:aws:secretsmanager:us-east-1:111111111111:secret:pg',
    vpcCidr: '10.0.0.0/16',
    trafficSources: { loadBalancer: ['10.0.32.0/19'], scraper: ['10.0.32.0/19'] },
  };
  const jobs = (phase: PhaseName) => {
    const app = new cdk8s.App();
    new JobsChart(app, 'Jobs', PHASES[phase], bindings);
    return app.charts.flatMap((c) => c.toJson() as Doc[]).filter((d) => d.kind === 'Job');
  };
  const reshardJob = (phase: PhaseName) => jobs(phase).find((j) => j.metadata.name.startsWith('reshard-'));
  const shardsOf = (phase: PhaseName) => PHASES[phase].postgres.instances.filter((i) => i.role === 'orders').length;

  test.each(PHASE_NAMES)('%s: a Job moves the buckets to the phase\'s shards whenever orders are sharded', (phase) => {
    const job = reshardJob(phase);
    if (shardsOf(phase) === 1) {
      expect(job).toBeUndefined();
      return;
    }
    expect(job!.spec.template.spec.containers[0].args).toEqual(['services/reshard.mjs', '--to', String(shardsOf(phase)), '--wait-seconds', '900']);
    expect(job!.metadata.annotations!['orders.platform/order-shards']).toBe(String(shardsOf(phase)));
    // Retried when it gives up waiting for a new shard's schema; long enough to move every bucket.
    expect([job!.spec.backoffLimit, job!.spec.activeDeadlineSeconds, job!.spec.template.spec.serviceAccountName]).toEqual([6, RESHARD_DEADLINE.toSeconds(), 'migrations']);
  });

  test('adding shards names a new Job, so the move to 50k starts one; the same phase re-applies the same Job', () => {
    expect([shardsOf('30k'), shardsOf('50k')]).toEqual([3, 6]);
    expect(reshardJob('30k')!.metadata.name).not.toBe(reshardJob('50k')!.metadata.name);
    expect(reshardJob('50k')!.metadata.name).toBe(reshardJob('50k')!.metadata.name);
  });

  test.each(eksWithElastic)('%s: the deployed chart holds the re-shard Job in the primary region', (phase) => {
    const job = manifests(phase, HOME).find((d) => d.kind === 'Job' && d.metadata.name.startsWith('reshard-'));
    expect(job?.spec.template.spec.containers[0].args.slice(0, 3)).toEqual(['services/reshard.mjs', '--to', String(shardsOf(phase))]);
  });
});
