import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CacheSpec } from '../../phases';
import { acknowledge } from '../nag';
import { DataStoreProps, storeSecurityGroup } from './data-store';

/** The cache port. Create-only on a replication group. */
export const CACHE_PORT = 6379;

/** Default parameter groups for cluster mode, by engine and major version. */
const CLUSTER_PARAMETER_GROUPS: Readonly<Record<string, string>> = {
  'valkey:7': 'default.valkey7.cluster.on',
  'valkey:8': 'default.valkey8.cluster.on',
  'redis:7': 'default.redis7.cluster.on',
};

/** Props for {@link Cache}. */
export interface CacheProps extends DataStoreProps {
  readonly spec: CacheSpec;
  /** Key for the slow-log group. */
  readonly logKey: kms.IKey;
}

/**
 * An ElastiCache replication group in cluster mode from the first phase: engine, port, KMS key
 * and replicas per shard are fixed (each forces replacement), so the cache grows by shards,
 * which ElastiCache adds online. Encrypted at rest and in transit, AUTH token required,
 * Multi-AZ with automatic failover.
 */
export class Cache extends Construct {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  readonly securityGroup: ec2.SecurityGroup;
  /** The AUTH token clients present. */
  readonly authToken: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id);
    const { spec } = props;
    const parameterGroup = CLUSTER_PARAMETER_GROUPS[`${spec.engine}:${spec.engineVersion.split('.')[0]}`];
    if (!parameterGroup) throw new Error(`cache: no cluster-mode parameter group for ${spec.engine} ${spec.engineVersion}`);

    this.securityGroup = storeSecurityGroup(this, {
      vpc: props.vpc,
      clients: props.clients,
      port: CACHE_PORT,
      description: 'ElastiCache: app tier only, cache port only',
      rule: 'App tier to cache',
    });

    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'SubnetGroup', {
      description: 'Cache nodes in the isolated subnets',
      subnetIds: props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
    });
    subnetGroup.applyRemovalPolicy(RemovalPolicy.RETAIN);

    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      description: 'ElastiCache AUTH token',
      encryptionKey: props.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    acknowledge(
      this.authToken,
      'SMG4',
      'ElastiCache AUTH tokens rotate through ModifyReplicationGroup (AuthTokenUpdateStrategy ROTATE then SET), which a Secrets Manager rotation function cannot drive without dropping clients.',
    );

    const slowLog = new logs.LogGroup(this, 'SlowLog', {
      retention: logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'Resource', {
      replicationGroupDescription: 'Order platform cache (cluster mode)',
      engine: spec.engine,
      engineVersion: spec.engineVersion,
      cacheNodeType: spec.nodeType,
      cacheParameterGroupName: parameterGroup,
      clusterMode: 'enabled',
      numNodeGroups: spec.shardsPerRegion,
      replicasPerNodeGroup: spec.replicasPerShard,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      port: CACHE_PORT,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      atRestEncryptionEnabled: true,
      kmsKeyId: props.key.keyArn,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      snapshotRetentionLimit: spec.snapshotRetentionDays,
      snapshotWindow: '03:00-04:00',
      preferredMaintenanceWindow: 'sun:05:00-sun:06:00',
      autoMinorVersionUpgrade: true,
      logDeliveryConfigurations: [
        {
          destinationType: 'cloudwatch-logs',
          destinationDetails: { cloudWatchLogsDetails: { logGroup: slowLog.logGroupName } },
          logFormat: 'json',
          logType: 'slow-log',
        },
      ],
    });
    this.replicationGroup.applyRemovalPolicy(RemovalPolicy.RETAIN);
    acknowledge(
      this.replicationGroup,
      'AEC5',
      'The cache keeps 6379, the port Redis and Valkey clients expect; the port is create-only, and only the app tier reaches it, over TLS with an AUTH token.',
    );
    // Without this, CloudFormation replaces the group when the shard count changes.
    this.replicationGroup.cfnOptions.updatePolicy = { useOnlineResharding: true };
  }
}
