import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CacheSpec } from '../../phases';
import { checkovSkip } from '../checkov';
import { acknowledge } from '../nag';
import { DataStoreProps, storeSecurityGroup } from './data-store';
import { SUBNET_GROUPS } from './network';

/** The cache port. Create-only on a replication group. */
export const CACHE_PORT = 6379;

/** Default parameter groups for cluster mode, by engine and major version. */
const CLUSTER_PARAMETER_GROUPS: Readonly<Record<string, string>> = {
  'valkey:7': 'default.valkey7.cluster.on',
  'valkey:8': 'default.valkey8.cluster.on',
  'redis:7': 'default.redis7.cluster.on',
};

/** The Global Datastore's ID suffix (ElastiCache prefixes it). Create-only. */
const GLOBAL_DATASTORE_SUFFIX = 'orders-cache';

/** How a region's cache takes part in the Global Datastore. */
export type CacheMembership =
  /** A single-region phase: the replication group alone. */
  | { readonly kind: 'standalone' }
  /** The primary region: the replication group is the Global Datastore's primary member. */
  | { readonly kind: 'global-primary' }
  /** A secondary region: a read-only member that follows the primary's cache. */
  | { readonly kind: 'global-secondary'; readonly primary: Cache };

/** Props for {@link Cache}. */
export interface CacheProps extends DataStoreProps {
  readonly spec: CacheSpec;
  /** Key for the slow-log group. */
  readonly logKey: kms.IKey;
  /** Standalone, or a member of the Global Datastore. */
  readonly membership: CacheMembership;
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
  /** The AUTH token clients present: a secondary member shares its primary's. */
  readonly authToken: secretsmanager.ISecret;
  /** The Global Datastore, on its primary member. */
  readonly globalGroup?: elasticache.CfnGlobalReplicationGroup;
  /** The AUTH token secret's ARN and its key's ARN as plain attributes, for other regions. */
  readonly authTokenRef: { readonly arn: string; readonly keyArn: string };

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
      subnetIds: props.vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.isolated }).subnetIds,
    });
    subnetGroup.applyRemovalPolicy(RemovalPolicy.RETAIN);

    const { membership } = props;
    if (membership.kind === 'global-secondary') {
      // Imported by its ARN and key (plain cross-region references): the secret lives in the primary region.
      const primary = membership.primary;
      this.authToken = secretsmanager.Secret.fromSecretAttributes(this, 'PrimaryAuthToken', {
        secretCompleteArn: primary.authTokenRef.arn,
        encryptionKey: kms.Key.fromKeyArn(this, 'PrimaryAuthTokenKey', primary.authTokenRef.keyArn),
      });
    } else {
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
    }

    this.authTokenRef = {
      arn: (this.authToken.node.defaultChild as secretsmanager.CfnSecret | undefined)?.ref ?? this.authToken.secretArn,
      keyArn: (props.key.node.defaultChild as kms.CfnKey | undefined)?.attrArn ?? props.key.keyArn,
    };

    const slowLog = new logs.LogGroup(this, 'SlowLog', {
      retention: logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const regional = {
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      replicasPerNodeGroup: spec.replicasPerShard,
      snapshotRetentionLimit: spec.snapshotRetentionDays,
      snapshotWindow: '03:00-04:00',
      preferredMaintenanceWindow: 'sun:05:00-sun:06:00',
      logDeliveryConfigurations: [
        {
          destinationType: 'cloudwatch-logs',
          destinationDetails: { cloudWatchLogsDetails: { logGroup: slowLog.logGroupName } },
          logFormat: 'json',
          logType: 'slow-log',
        },
      ],
    };

    if (membership.kind === 'global-secondary') {
      const global = membership.primary.globalGroup;
      if (!global) throw new Error('cache: the primary region\'s cache is not the primary of a Global Datastore');
      // A secondary member takes engine, version, node type, shard count, encryption and AUTH from
      // the global group; setting any of them fails the create.
      this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'Resource', {
        replicationGroupDescription: 'Order platform cache (Global Datastore secondary, read-only)',
        globalReplicationGroupId: global.ref,
        ...regional,
      });
      for (const [rule, reason] of [
        ['AEC3', 'A Global Datastore secondary inherits encryption at rest and in transit from the global group, whose primary member enables both with a customer-managed key.'],
        ['AEC5', 'A Global Datastore secondary inherits the primary\'s port, 6379, which is create-only; only the app tier reaches it, over TLS.'],
        ['AEC6', 'A Global Datastore secondary inherits the primary\'s AUTH token; clients present it over TLS.'],
      ] as const) {
        acknowledge(this.replicationGroup, rule, reason);
      }
      for (const check of ['CKV_AWS_29', 'CKV_AWS_30', 'CKV_AWS_31']) {
        checkovSkip(this.replicationGroup, check, 'A Global Datastore secondary inherits encryption at rest, in transit and the AUTH token from the global group; setting them on a secondary fails its creation.');
      }
    } else {
      // Once the group is a Global Datastore member, ElastiCache changes its node type and shards only
      // through the global group: its own properties keep the values it joined with.
      const size = membership.kind === 'global-primary' ? spec.joinedGlobalDatastoreWith : spec;
      if (!size) throw new Error('cache: a Global Datastore primary needs cache.joinedGlobalDatastoreWith');
      this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'Resource', {
        replicationGroupDescription: 'Order platform cache (cluster mode)',
        engine: spec.engine,
        engineVersion: spec.engineVersion,
        cacheNodeType: size.nodeType,
        cacheParameterGroupName: parameterGroup,
        clusterMode: 'enabled',
        numNodeGroups: size.shardsPerRegion,
        port: CACHE_PORT,
        atRestEncryptionEnabled: true,
        kmsKeyId: props.key.keyArn,
        transitEncryptionEnabled: true,
        transitEncryptionMode: 'required',
        authToken: this.authToken.secretValue.unsafeUnwrap(),
        autoMinorVersionUpgrade: true,
        ...regional,
      });
      acknowledge(
        this.replicationGroup,
        'AEC5',
        'The cache keeps 6379, the port Redis and Valkey clients expect; the port is create-only, and only the app tier reaches it, over TLS with an AUTH token.',
      );
      if (membership.kind === 'global-primary') {
        this.globalGroup = new elasticache.CfnGlobalReplicationGroup(this, 'Global', {
          globalReplicationGroupIdSuffix: GLOBAL_DATASTORE_SUFFIX,
          globalReplicationGroupDescription: 'Order platform cache in every region: writes in the primary region, read-only copies elsewhere',
          members: [{ replicationGroupId: this.replicationGroup.ref, replicationGroupRegion: Stack.of(this).region, role: 'PRIMARY' }],
          automaticFailoverEnabled: true,
          cacheNodeType: spec.nodeType,
          globalNodeGroupCount: spec.shardsPerRegion,
        });
        this.globalGroup.applyRemovalPolicy(RemovalPolicy.RETAIN);
      }
    }
    this.replicationGroup.applyRemovalPolicy(RemovalPolicy.RETAIN);
    // Without this, CloudFormation replaces the group when the shard count changes.
    this.replicationGroup.cfnOptions.updatePolicy = { useOnlineResharding: true };
  }
}
