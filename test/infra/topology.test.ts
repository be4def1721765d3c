import { Match } from 'aws-cdk-lib/assertions';
import { PHASES, PHASE_NAMES, PhaseName } from '../../phases';
import { regionalStackName } from '../../lib/naming';
import { stackArtifact, stackNames, template } from './support/assembly';

const PRIMARY = 'us-east-1';
const data = (phase: PhaseName, region = PRIMARY) => template(phase, regionalStackName(region as any, 'data'));
const network = (phase: PhaseName, region = PRIMARY) => template(phase, regionalStackName(region as any, 'network'));

/** Expected topology per phase, written out from the roadmap rather than read back from the specs. */
const EXPECTED: Record<PhaseName, { regions: string[]; dbPrimaries: number; dbReplicas: number; docdbInstances: number; elastic: number; cacheShards: number; brokers: number; nat: number }> = {
  '1k': { regions: ['use1'], dbPrimaries: 3, dbReplicas: 0, docdbInstances: 1, elastic: 0, cacheShards: 1, brokers: 3, nat: 1 },
  '10k': { regions: ['use1'], dbPrimaries: 3, dbReplicas: 3, docdbInstances: 2, elastic: 0, cacheShards: 1, brokers: 3, nat: 3 },
  '30k': { regions: ['use1'], dbPrimaries: 5, dbReplicas: 5, docdbInstances: 2, elastic: 1, cacheShards: 2, brokers: 6, nat: 3 },
  '50k': { regions: ['use1'], dbPrimaries: 8, dbReplicas: 8, docdbInstances: 2, elastic: 1, cacheShards: 3, brokers: 9, nat: 3 },
  '70k': { regions: ['use1', 'usw2'], dbPrimaries: 8, dbReplicas: 8, docdbInstances: 2, elastic: 1, cacheShards: 3, brokers: 9, nat: 3 },
  '1m': { regions: ['use1', 'usw2', 'euc1'], dbPrimaries: 8, dbReplicas: 8, docdbInstances: 2, elastic: 1, cacheShards: 6, brokers: 12, nat: 3 },
};

describe.each(PHASE_NAMES)('phase %s', (phase) => {
  const expected = EXPECTED[phase];

  test('has a network and a data stack in each of its regions, named without the phase', () => {
    const names = stackNames(phase);
    for (const code of expected.regions) {
      expect(names).toEqual(expect.arrayContaining([`orders-${code}-network`, `orders-${code}-data`]));
    }
    for (const name of names) expect(name).not.toContain(phase);
  });

  test('pins each stack to its region and protects stateful stacks from termination', () => {
    for (const region of PHASES[phase].regions) {
      for (const layer of ['network', 'data'] as const) {
        const artifact = stackArtifact(phase, regionalStackName(region.region, layer));
        expect(artifact.environment.region).toBe(region.region);
        expect(artifact.terminationProtection).toBe(true);
      }
    }
  });

  test('builds a VPC over three given AZs with public, private and isolated subnets', () => {
    const t = network(phase);
    t.resourceCountIs('AWS::EC2::VPC', 1);
    // Public, private, isolated (data stores) and ingress (the internal load balancer and the scraper) in each of 3 AZs.
    t.resourceCountIs('AWS::EC2::Subnet', 12);
    t.resourceCountIs('AWS::EC2::NatGateway', expected.nat);
    t.resourceCountIs('AWS::EC2::FlowLog', 1);
    for (const az of ['us-east-1a', 'us-east-1b', 'us-east-1c']) {
      t.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: az });
    }
  });

  test('has the roadmap\'s PostgreSQL instances and read replicas', () => {
    const t = data(phase);
    const instances = t.findResources('AWS::RDS::DBInstance');
    const replicas = Object.values(instances).filter((r: any) => r.Properties.SourceDBInstanceIdentifier);
    expect(Object.keys(instances).length - replicas.length).toBe(expected.dbPrimaries);
    expect(replicas).toHaveLength(expected.dbReplicas);
  });

  test('has DocumentDB instances, and the elastic cluster once collections are sharded', () => {
    const t = data(phase);
    t.resourceCountIs('AWS::DocDB::DBCluster', 1);
    t.resourceCountIs('AWS::DocDB::DBInstance', expected.docdbInstances);
    t.resourceCountIs('AWS::DocDBElastic::Cluster', expected.elastic);
  });

  test.each(expected.regions.map((code, n) => [code, PHASES[phase].regions[n].region]))(
    'runs a cluster-mode cache and an MSK cluster in %s sized by the spec',
    (_code, region) => {
      const t = data(phase, region);
      const spec = PHASES[phase];
      const role = spec.regions.find((r) => r.region === region)!.role;
      if (!spec.cache.globalDatastore) {
        t.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { ClusterMode: 'enabled', NumNodeGroups: expected.cacheShards, ReplicasPerNodeGroup: 2, Engine: 'valkey' });
      } else if (role === 'primary') {
        // A Global Datastore's shards are set on the global group, which every member follows.
        t.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { ClusterMode: 'enabled', ReplicasPerNodeGroup: 2, Engine: 'valkey' });
        t.hasResourceProperties('AWS::ElastiCache::GlobalReplicationGroup', { GlobalNodeGroupCount: expected.cacheShards });
      } else {
        t.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { GlobalReplicationGroupId: Match.anyValue(), ReplicasPerNodeGroup: 2 });
      }
      t.hasResourceProperties('AWS::MSK::Cluster', { NumberOfBrokerNodes: expected.brokers });
      const msk = Object.values(t.findResources('AWS::MSK::Cluster'))[0] as any;
      expect(msk.Properties.BrokerNodeGroupInfo.ClientSubnets).toHaveLength(3);
    },
  );

  test('keeps S3 traffic (bundles, image layers) off the NAT gateways with a gateway endpoint in every private and isolated route table', () => {
    for (const region of PHASES[phase].regions) {
      const t = network(phase, region.region);
      const endpoints = Object.values(t.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Gateway' } })) as any[];
      expect(endpoints).toHaveLength(1);
      expect(JSON.stringify(endpoints[0].Properties.ServiceName)).toContain('.s3');
      expect(endpoints[0].Properties.RouteTableIds).toHaveLength(6);
    }
  });

  test('keeps the writable PostgreSQL and DocumentDB in the primary region only; secondary regions hold read-only copies', () => {
    for (const region of PHASES[phase].regions.filter((r) => r.role === 'secondary')) {
      const t = data(phase, region.region);
      const instances = Object.values(t.findResources('AWS::RDS::DBInstance')) as any[];
      expect(instances).toHaveLength(expected.dbPrimaries);
      expect(instances.every((i) => i.Properties.SourceDBInstanceIdentifier !== undefined && i.Properties.MasterUsername === undefined)).toBe(true);
      const clusters = Object.values(t.findResources('AWS::DocDB::DBCluster')) as any[];
      expect(clusters.map((c) => c.Properties.GlobalClusterIdentifier !== undefined)).toEqual([true]);
    }
  });
});
