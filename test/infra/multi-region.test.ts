import * as fs from 'fs';
import * as path from 'path';
import { Match } from 'aws-cdk-lib/assertions';
import { parseAllDocuments } from 'yaml';
import { PHASES, PhaseName, RegionName } from '../../phases';
import { MANIFEST_DIR } from '../../lib/k8s/review-manifests';
import { regionalStackName } from '../../lib/naming';
import { loadConfig } from '../../services/shared/config';
import { TOPICS } from '../../services/shared/topics';
import { assemblyDir, stackArtifact, template, templateJson } from './support/assembly';

const MULTI_REGION = ['70k', '1m'] as const;
const HOME: RegionName = 'us-east-1';

const stack = (region: RegionName, layer: string) => regionalStackName(region, layer);
const secondaries = (phase: PhaseName) => PHASES[phase].regions.filter((r) => r.role === 'secondary');
const resourcesOfType = (phase: PhaseName, name: string, type: string) =>
  Object.entries(templateJson(phase, name).Resources ?? {}).filter(([, r]) => r.Type === type) as [string, { Type: string; Properties: Record<string, any> }][];

/** The private subnets' CIDRs of a region, from its network template. */
function privateSubnetCidrs(phase: PhaseName, region: RegionName): string[] {
  return resourcesOfType(phase, stack(region, 'network'), 'AWS::EC2::Subnet')
    .filter(([id]) => id.includes('PrivateSubnet'))
    .map(([, r]) => r.Properties.CidrBlock as string)
    .sort();
}

/** A ConfigMap's data from a region's review manifests. */
function configMap(phase: PhaseName, region: RegionName, name: string): Record<string, string> {
  const file = path.join(assemblyDir(), phase, MANIFEST_DIR, `${stack(region, 'compute')}.yaml`);
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS());
  const found = docs.find((d) => d?.kind === 'ConfigMap' && d.metadata.name === name);
  if (!found) throw new Error(`no ConfigMap ${name} in ${file}`);
  return found.data;
}

function kinds(phase: PhaseName, region: RegionName): string[] {
  const file = path.join(assemblyDir(), phase, MANIFEST_DIR, `${stack(region, 'compute')}.yaml`);
  return parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((d) => d.toJS())
    .filter(Boolean)
    .map((d) => `${d.kind}/${d.metadata.name}`);
}

describe.each(MULTI_REGION)('phase %s as one system across regions', (phase) => {
  const spec = PHASES[phase];

  test('peers every pair of regions once, requested by the later region, with routes both ways in every private and isolated route table', () => {
    const regions = spec.regions.map((r) => r.region);
    regions.forEach((later, j) => {
      const connections = resourcesOfType(phase, stack(later, 'peering'), 'AWS::EC2::VPCPeeringConnection');
      expect(connections.map(([, c]) => c.Properties.PeerRegion).sort()).toEqual(regions.slice(0, j).sort());
    });
    for (const region of spec.regions) {
      const routes = resourcesOfType(phase, stack(region.region, 'peering'), 'AWS::EC2::Route');
      for (const other of spec.regions.filter((r) => r !== region)) {
        // Three private, three isolated and three ingress route tables point the other VPC's CIDR at a peering connection.
        const toOther = routes.filter(([, r]) => r.Properties.DestinationCidrBlock === other.vpcCidr);
        expect([other.region, toOther.length]).toEqual([other.region, 9]);
        expect(toOther.every(([, r]) => r.Properties.VpcPeeringConnectionId !== undefined)).toBe(true);
      }
    }
  });

  test('every region\'s compute deploys after its peering stack, whose routes its cross-region paths need', () => {
    for (const region of spec.regions) {
      const deps = stackArtifact(phase, stack(region.region, 'compute')).dependencies.map((d) => d.id);
      expect(deps).toContain(stack(region.region, 'peering'));
    }
  });

  test('admits exactly the secondary regions\' private subnets, on exactly the ports the design needs, into the primary region', () => {
    const remote = secondaries(phase).flatMap((r) => privateSubnetCidrs(phase, r.region)).sort();
    const remotePrefixes = secondaries(phase).map((r) => r.vpcCidr.split('.').slice(0, 2).join('.') + '.');
    const rulesFromRemote = (name: string) =>
      resourcesOfType(phase, name, 'AWS::EC2::SecurityGroup').flatMap(([id, g]) =>
        ((g.Properties.SecurityGroupIngress ?? []) as { CidrIp?: string; FromPort: number }[])
          .filter((rule) => typeof rule.CidrIp === 'string' && remotePrefixes.some((p) => rule.CidrIp!.startsWith(p)))
          .map((rule) => ({ group: id, port: rule.FromPort, cidr: rule.CidrIp! })),
      );
    const data = rulesFromRemote(stack(HOME, 'data'));
    const compute = rulesFromRemote(stack(HOME, 'compute'));
    const byPort = (rules: { port: number; cidr: string }[], port: number) => rules.filter((r) => r.port === port).map((r) => r.cidr).sort();
    expect(byPort(data, 6379)).toEqual(remote);
    expect(byPort(data, 9098)).toEqual(remote);
    expect(byPort(compute, 80)).toEqual(remote);
    expect([...data, ...compute].map((r) => r.port).filter((p) => ![6379, 9098, 80].includes(p))).toEqual([]);
    // Never a whole remote VPC, never a database port.
    expect([...data, ...compute].some((r) => r.cidr.endsWith('/16'))).toBe(false);
  });

  test.each(secondaries(phase).map((r) => r.region))('%s holds a cross-region replica of every PostgreSQL primary, encrypted with its own key, its source named by ARN', (region) => {
    const replicas = resourcesOfType(phase, stack(region, 'data'), 'AWS::RDS::DBInstance');
    expect(replicas).toHaveLength(spec.postgres.instances.length);
    for (const [, replica] of replicas) {
      const source = JSON.stringify(replica.Properties.SourceDBInstanceIdentifier);
      expect(source).toContain(`:rds:${HOME}:`);
      expect(source).toContain(':db:');
      expect(source).toContain('Fn::GetStackOutput');
      expect(replica.Properties.SourceRegion).toBe(HOME);
      expect(replica.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^KeysPostgres/), 'Arn'] });
      expect(replica.Properties.StorageEncrypted).toBeUndefined();
      expect(replica.Properties.DeletionProtection).toBe(false);
    }
    // Sized like its source and growing with it: a full replica stalls replication and its source's WAL piles up.
    for (const instance of spec.postgres.instances) {
      const [, replica] = replicas.find(([id]) => id.startsWith(`PostgresReplicas${instance.id}`))!;
      expect([instance.id, replica.Properties.AllocatedStorage, replica.Properties.MaxAllocatedStorage]).toEqual([instance.id, String(instance.storageGiB), instance.maxStorageGiB]);
    }
    const ids = replicas.map(([id]) => id);
    for (const instance of spec.postgres.instances) expect(ids.some((id) => id.startsWith(`PostgresReplicas${instance.id}`))).toBe(true);
  });

  test.each(secondaries(phase).map((r) => r.region))('%s alarms when a cross-region replica lags more than the roadmap\'s 5 s', (region) => {
    const t = template(phase, stack(region, 'monitoring'));
    const lag = Object.values(t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'ReplicaLag' } }));
    expect(lag).toHaveLength(spec.postgres.instances.length);
    for (const alarm of lag) expect((alarm as any).Properties.Threshold).toBe(5);
  });

  test('the catalogue is the primary of a DocumentDB global cluster and every secondary region has a member of it', () => {
    const home = template(phase, stack(HOME, 'data'));
    home.resourceCountIs('AWS::DocDB::GlobalCluster', 1);
    home.hasResourceProperties('AWS::DocDB::GlobalCluster', { GlobalClusterIdentifier: 'orders-catalog', SourceDBClusterIdentifier: Match.anyValue() });
    for (const region of secondaries(phase)) {
      const t = template(phase, stack(region.region, 'data'));
      t.hasResourceProperties('AWS::DocDB::DBCluster', {
        GlobalClusterIdentifier: { 'Fn::GetStackOutput': Match.objectLike({ StackName: stack(HOME, 'data'), Region: HOME }) },
        StorageEncrypted: true,
        MasterUsername: Match.absent(),
      });
      t.resourceCountIs('AWS::DocDB::DBInstance', spec.documentDb.instanceCluster.instances);
    }
  });

  test('the caches form one Global Datastore: the primary keeps the sizes it joined with, the global group carries the phase\'s, secondaries set none', () => {
    const home = template(phase, stack(HOME, 'data'));
    const joined = spec.cache.joinedGlobalDatastoreWith!;
    home.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { CacheNodeType: joined.nodeType, NumNodeGroups: joined.shardsPerRegion });
    home.hasResourceProperties('AWS::ElastiCache::GlobalReplicationGroup', {
      CacheNodeType: spec.cache.nodeType,
      GlobalNodeGroupCount: spec.cache.shardsPerRegion,
      Members: [Match.objectLike({ Role: 'PRIMARY', ReplicationGroupRegion: HOME })],
    });
    for (const region of secondaries(phase)) {
      const [[, group]] = resourcesOfType(phase, stack(region.region, 'data'), 'AWS::ElastiCache::ReplicationGroup');
      expect(JSON.stringify(group.Properties.GlobalReplicationGroupId)).toContain(stack(HOME, 'data'));
      for (const inherited of ['Engine', 'EngineVersion', 'CacheNodeType', 'NumNodeGroups', 'AtRestEncryptionEnabled', 'TransitEncryptionEnabled', 'AuthToken', 'KmsKeyId']) {
        expect([inherited, group.Properties[inherited]]).toEqual([inherited, undefined]);
      }
      expect(group.Properties.ReplicasPerNodeGroup).toBe(spec.cache.replicasPerShard);
    }
    // The roadmap's node count in all: shards x (1 + replicas) in every region.
    expect(spec.regions.length * spec.cache.shardsPerRegion * (1 + spec.cache.replicasPerShard)).toBe(phase === '1m' ? 54 : 18);
  });

  test.each(secondaries(phase).map((r) => r.region))('%s services read their own replicas and send writes home; no relay, consumers or schema jobs run there', (region) => {
    const env = configMap(phase, region, 'order-config');
    expect(env.REGION_ROLE).toBe('secondary');
    // The relay and the consumers follow the role (off in a secondary; on once a failover makes it the primary).
    expect([env.RELAY, env.CONSUMERS]).toEqual([undefined, undefined]);
    // The rendered values, with the deploy-time addresses (tokens here) as hosts and ports.
    const resolved = { ...env, KAFKA_BROKERS: 'b-1.msk:9098', REDIS_CLUSTER_NODES: 'cache:6379', HOME_REDIS_CLUSTER_NODES: 'home-cache:6379' };
    expect(loadConfig(resolved)).toMatchObject({ REGION_ROLE: 'secondary', RELAY: false, CONSUMERS: false });
    expect(env.HOME_API_URL).toBe(`http://<${stack(HOME, 'compute')}:GatewayLoadBalancer0F44D590.DNSName>`);
    expect(env.HOME_REDIS_CLUSTER_NODES).toContain(`<${stack(HOME, 'data')}:Cache`);
    for (const name of ['USERS_DB_URL', 'INVENTORY_DB_URL', 'ORDERS_DB_URL', 'ORDER_SHARD_URLS']) {
      expect([name, env[name]]).toEqual([name, expect.stringContaining(`@<${stack(region, 'data')}:PostgresReplicas`)]);
      // The host is this region's replica; only the credentials' secret lives in the primary region.
      expect(env[name].split('?')[0]).not.toContain(stack(HOME, 'data'));
    }
    expect(env.MONGO_URL).toContain(`@<${stack(region, 'data')}:DocumentDbSecondary`);
    expect(env.REDIS_CLUSTER_NODES).not.toContain(stack(HOME, 'data'));
    expect(kinds(phase, region).filter((k) => k.startsWith('Job/'))).toEqual([]);
    expect(configMap(phase, HOME, 'order-config').REGION_ROLE).toBe('primary');
    expect(kinds(phase, HOME).filter((k) => k.startsWith('Job/')).length).toBeGreaterThan(0);
  });

  test.each(secondaries(phase).map((r) => r.region))('%s runs MirrorMaker 2 from the primary region with the services\' topics, identity names and offset sync', (region) => {
    expect(kinds(phase, region)).toEqual(expect.arrayContaining(['Deployment/mirror-maker', 'ConfigMap/mirror-maker-config', 'ServiceAccount/mirror-maker']));
    const properties = configMap(phase, region, 'mirror-maker-config')['mm2.properties'];
    expect(properties).toContain(`${HOME}->${region}.enabled = true`);
    expect(properties).toContain(`${region}->${HOME}.enabled = false`);
    expect(properties).toContain('replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy');
    expect(properties).toContain('sync.group.offsets.enabled = true');
    expect(properties).toContain('emit.checkpoints.enabled = true');
    expect(properties).toContain('replication.factor = 3');
    expect(properties).toContain(`${HOME}.sasl.mechanism = AWS_MSK_IAM`);
    expect(properties).toContain(`${HOME}->${region}.topics = ${[...TOPICS].sort().join(', ')}`);
    expect(properties).toContain(`${HOME}.bootstrap.servers = <${stack(HOME, 'compute')}:`);
    // Its pod role reads the primary's cluster and writes this region's.
    const t = template(phase, stack(region, 'compute'));
    t.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { ServiceAccount: 'mirror-maker', Namespace: 'orders' });
  });
});

describe('single-region phases', () => {
  test.each(['1k', '10k', '30k', '50k'] as const)('%s has no peering, no replication across regions and no region role in its environment', (phase) => {
    expect(PHASES[phase].regions.map((r) => r.role)).toEqual(['primary']);
    const data = template(phase, stack(HOME, 'data'));
    data.resourceCountIs('AWS::ElastiCache::GlobalReplicationGroup', 0);
    data.resourceCountIs('AWS::DocDB::GlobalCluster', 0);
    expect(JSON.stringify(templateJson(phase, stack(HOME, 'compute')))).not.toContain('REGION_ROLE');
  });
});
