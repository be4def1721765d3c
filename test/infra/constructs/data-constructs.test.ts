import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PHASES } from '../../../phases';
import { Cache } from '../../../lib/constructs/cache';
import { DocumentDb } from '../../../lib/constructs/documentdb';
import { DataKeys, KEY_PURPOSES } from '../../../lib/constructs/keys';
import { Network, SUBNET_GROUPS } from '../../../lib/constructs/network';
import { PostgresFleet } from '../../../lib/constructs/postgres';
import { Streaming } from '../../../lib/constructs/streaming';

/** A stack with a network and keys, for one construct under test. */
function fixture() {
  const stack = new Stack(new App(), 'Test', { env: { region: 'us-east-1' } });
  const network = new Network(stack, 'Network', { region: PHASES['1k'].regions[0] });
  const keys = new DataKeys(stack, 'Keys');
  return { stack, network, keys, vpc: network.vpc, clients: network.appTier };
}

describe('Network', () => {
  test('spans the three given AZs with public, private and isolated subnets, NAT gateways from the spec and flow logs', () => {
    const stack = new Stack(new App(), 'Net', { env: { region: 'us-west-2' } });
    new Network(stack, 'Network', { region: { ...PHASES['70k'].regions[1], natGateways: 2 } });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.20.0.0/16' });
    // Public, private, isolated (data stores) and ingress (internal load balancer, scraper) in each of 3 AZs.
    t.resourceCountIs('AWS::EC2::Subnet', 12);
    t.resourceCountIs('AWS::EC2::NatGateway', 2);
    t.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'us-west-2c', MapPublicIpOnLaunch: false });
    t.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    t.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', Properties: { RetentionInDays: 90 } });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-west-2.secretsmanager', PrivateDnsEnabled: true });
  });
});

describe('DataKeys', () => {
  test('creates one rotating, retained customer-managed key per data store', () => {
    const { stack } = fixture();
    const t = Template.fromStack(stack);
    // The fixture's network adds its flow-log key beside the data keys.
    const dataKeys = Object.values(t.findResources('AWS::KMS::Key')).filter((k: any) => String(k.Properties.Description).endsWith('data at rest'));
    expect(dataKeys).toHaveLength(KEY_PURPOSES.length);
    t.allResources('AWS::KMS::Key', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ EnableKeyRotation: true, RotationPeriodInDays: 365 }) });
  });
});

describe('PostgresFleet', () => {
  test('builds each spec instance with its own replicas, and a replica count of zero builds none', () => {
    const { stack, vpc, clients, keys } = fixture();
    const base = PHASES['10k'].postgres.instances[0];
    new PostgresFleet(stack, 'Postgres', {
      spec: {
        ...PHASES['10k'].postgres,
        instances: [
          { ...base, id: 'Users', readReplicas: 2 },
          { ...base, id: 'OrdersShard0', role: 'orders', shardIndex: 0, databaseName: 'orders', readReplicas: 0, multiAz: false },
        ],
      },
      vpc,
      clients,
      key: keys.key('Postgres'),
    });
    const t = Template.fromStack(stack);
    const instances = Object.entries(t.findResources('AWS::RDS::DBInstance'));
    expect(instances.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'PostgresOrdersShard0',
      'PostgresUsers',
      'PostgresUsersReplica0',
      'PostgresUsersReplica1',
    ]);
    t.hasResourceProperties('AWS::RDS::DBInstance', {
      DBName: 'users',
      DBInstanceClass: 'db.t4g.medium',
      MultiAZ: true,
      StorageEncrypted: true,
      StorageType: 'gp3',
      AllocatedStorage: '50',
      MaxAllocatedStorage: 200,
      BackupRetentionPeriod: 7,
      DeletionProtection: true,
      EnableIAMDatabaseAuthentication: true,
      Port: '5432',
    });
    t.hasResourceProperties('AWS::RDS::DBInstance', { DBName: 'orders', MultiAZ: false });
    // Per instance: the master user's rotation and the services' user's (alternating users).
    t.resourceCountIs('AWS::SecretsManager::RotationSchedule', 4);
    t.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'postgres15', Parameters: Match.objectLike({ 'rds.force_ssl': '1' }) });
  });

  test('admits only the app tier, only on the PostgreSQL port', () => {
    const { stack, vpc, clients, keys } = fixture();
    new PostgresFleet(stack, 'Postgres', { spec: PHASES['1k'].postgres, vpc, clients, key: keys.key('Postgres') });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkAppTier'), 'GroupId'] },
      IpProtocol: 'tcp',
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('PostgreSQL'), SecurityGroupEgress: Match.anyValue() });
  });
});

describe('DocumentDb', () => {
  test('builds the instance-based cluster alone before sharding', () => {
    const { stack, vpc, clients, keys } = fixture();
    new DocumentDb(stack, 'DocumentDb', { spec: PHASES['10k'].documentDb, vpc, clients, key: keys.key('DocumentDb'), rotationDays: 30 });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::DocDB::DBInstance', 2);
    t.resourceCountIs('AWS::DocDBElastic::Cluster', 0);
    t.hasResourceProperties('AWS::DocDB::DBCluster', { StorageEncrypted: true, EnableCloudwatchLogsExports: ['audit', 'profiler'], BackupRetentionPeriod: 7 });
  });

  test('adds the elastic cluster beside it once collections are sharded', () => {
    const { stack, vpc, clients, keys } = fixture();
    new DocumentDb(stack, 'DocumentDb', { spec: PHASES['1m'].documentDb, vpc, clients, key: keys.key('DocumentDb'), rotationDays: 30 });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::DocDB::DBCluster', 1);
    t.hasResource('AWS::DocDBElastic::Cluster', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ ShardCount: 4, ShardCapacity: 8, ShardInstanceCount: 3, AuthType: 'SECRET_ARN', BackupRetentionPeriod: 35 }),
    });
  });
});

describe('Cache', () => {
  test('is a cluster-mode replication group sized by the spec, encrypted, Multi-AZ and resharded online', () => {
    const { stack, vpc, clients, keys } = fixture();
    new Cache(stack, 'Cache', { spec: PHASES['50k'].cache, vpc, clients, key: keys.key('Cache'), logKey: keys.key('Logs'), membership: { kind: 'standalone' } });
    const t = Template.fromStack(stack);
    t.hasResource('AWS::ElastiCache::ReplicationGroup', {
      DeletionPolicy: 'Retain',
      UpdatePolicy: { UseOnlineResharding: true },
      Properties: Match.objectLike({
        Engine: 'valkey',
        CacheParameterGroupName: 'default.valkey8.cluster.on',
        NumNodeGroups: 3,
        ReplicasPerNodeGroup: 2,
        MultiAZEnabled: true,
        AutomaticFailoverEnabled: true,
        TransitEncryptionEnabled: true,
        TransitEncryptionMode: 'required',
        AtRestEncryptionEnabled: true,
        Port: 6379,
      }),
    });
  });

  test('refuses an engine version it has no cluster-mode parameter group for', () => {
    const { stack, vpc, clients, keys } = fixture();
    expect(
      () => new Cache(stack, 'Cache', { spec: { ...PHASES['1k'].cache, engineVersion: '6.2' }, vpc, clients, key: keys.key('Cache'), logKey: keys.key('Logs'), membership: { kind: 'standalone' } }),
    ).toThrow('cache: no cluster-mode parameter group for valkey 6.2');
  });
});

describe('Streaming', () => {
  test('is an MSK cluster in the three isolated subnets with TLS, IAM auth, KMS and broker logs', () => {
    const { stack, vpc, clients, keys } = fixture();
    new Streaming(stack, 'Streaming', { spec: PHASES['30k'].streaming, vpc, clients, key: keys.key('Streaming'), logKey: keys.key('Logs') });
    const t = Template.fromStack(stack);
    const isolated = vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.isolated }).subnetIds.map((id) => stack.resolve(id));
    t.hasResourceProperties('AWS::MSK::Cluster', {
      KafkaVersion: '4.1.x.kraft',
      NumberOfBrokerNodes: 6,
      BrokerNodeGroupInfo: Match.objectLike({ InstanceType: 'kafka.m7g.large', ClientSubnets: isolated, StorageInfo: { EBSStorageInfo: { VolumeSize: 200 } } }),
      LoggingInfo: { BrokerLogs: { CloudWatchLogs: Match.objectLike({ Enabled: true }) } },
    });
    t.hasResourceProperties('AWS::MSK::Configuration', { ServerProperties: Match.stringLikeRegexp('auto.create.topics.enable=false') });
  });
});
