import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as docdb from 'aws-cdk-lib/aws-docdb';
import * as docdbelastic from 'aws-cdk-lib/aws-docdbelastic';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { DocumentDbSpec } from '../../phases';
import { acknowledge } from '../nag';
import { SERVICE_LOG_RETENTION } from './log-retention';
import { DataStoreProps, storeSecurityGroup } from './data-store';
import { SUBNET_GROUPS } from './network';

/** DocumentDB's port. Create-only. */
export const DOCUMENTDB_PORT = 27017;

/** The DocumentDB global cluster's identifier. Create-only. */
export const CATALOG_GLOBAL_CLUSTER = 'orders-catalog';

/** Admin user of both clusters. Create-only. */
export const ADMIN_USERNAME = 'catalog_admin';

/** Props for {@link DocumentDb}. */
export interface DocumentDbProps extends DataStoreProps {
  readonly spec: DocumentDbSpec;
  /** Days between master password rotations. */
  readonly rotationDays: number;
  /**
   * When the phase has secondary regions: the cluster becomes the primary of a DocumentDB global
   * cluster of this identifier (joined in place), which each secondary region's cluster follows.
   */
  readonly globalClusterIdentifier?: string;
}

/** The catalogue's parameters in every region: TLS required, audit and profiler logs. */
export const CATALOG_PARAMETERS = { tls: 'enabled', audit_logs: 'enabled', profiler: 'enabled', profiler_threshold_ms: '200' } as const;

/** Acknowledges, on a catalogue cluster, the log streams it does not export: the audit stream holds those events. */
export function acknowledgeAuditStreams(cluster: IConstruct): void {
  for (const logType of ['authenticate', 'createIndex', 'dropCollection']) {
    acknowledge(
      cluster,
      `DOC5[LogExport::${logType}]`,
      `DocumentDB exports only the audit and profiler streams; with audit_logs enabled the audit stream records ${logType} events.`,
    );
  }
}

/** The engine version of every catalogue cluster; a global cluster's members share it. */
export const CATALOG_ENGINE_VERSION = '5.0.0';

/**
 * The roadmap's MongoDB on DocumentDB: an instance-based cluster for the catalogue from the
 * first phase, and, once collections are sharded, an elastic cluster beside it (never in its
 * place). Both in isolated subnets, KMS-encrypted, TLS-only, backed up, deletion-protected.
 */
export class DocumentDb extends Construct {
  /** The instance-based cluster. */
  readonly cluster: docdb.DatabaseCluster;
  /** The elastic (sharded) cluster, when the phase shards collections: it holds the order-activity collection. */
  readonly elasticCluster?: docdbelastic.CfnCluster;
  /**
   * The elastic cluster's admin password (AuthType SECRET_ARN: a plain-string secret, no JSON),
   * which the schema tool and the analytics service read at run time.
   */
  readonly elasticAdminSecret?: secretsmanager.ISecret;
  /** The group both clusters are in; it admits only the clients, only on the DocumentDB port. */
  readonly securityGroup: ec2.SecurityGroup;
  /** The global cluster the instance-based cluster is the primary of, in multi-region phases. */
  readonly globalCluster?: docdb.CfnGlobalCluster;

  constructor(scope: Construct, id: string, props: DocumentDbProps) {
    super(scope, id);
    const { spec } = props;

    this.securityGroup = storeSecurityGroup(this, {
      vpc: props.vpc,
      clients: props.clients,
      port: DOCUMENTDB_PORT,
      description: 'DocumentDB: app tier only, DocumentDB port only',
      rule: 'App tier to DocumentDB',
    });

    const parameterGroup = new docdb.ClusterParameterGroup(this, 'Parameters', {
      family: 'docdb5.0',
      description: 'Order platform DocumentDB: TLS required, audit and profiler logs',
      parameters: { ...CATALOG_PARAMETERS },
    });

    this.cluster = new docdb.DatabaseCluster(this, 'Resource', {
      engineVersion: CATALOG_ENGINE_VERSION,
      masterUser: { username: ADMIN_USERNAME, kmsKey: props.key },
      instanceType: new ec2.InstanceType(spec.instanceCluster.instanceClass),
      instances: spec.instanceCluster.instances,
      vpc: props.vpc,
      vpcSubnets: { subnetGroupName: SUBNET_GROUPS.isolated },
      securityGroup: this.securityGroup,
      parameterGroup,
      port: DOCUMENTDB_PORT,
      storageEncrypted: true,
      kmsKey: props.key,
      backup: { retention: Duration.days(spec.instanceCluster.backupRetentionDays) },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      instanceRemovalPolicy: RemovalPolicy.DESTROY,
      securityGroupRemovalPolicy: RemovalPolicy.RETAIN,
      exportAuditLogsToCloudWatch: true,
      cloudWatchLogsRetention: SERVICE_LOG_RETENTION,
      exportProfilerLogsToCloudWatch: true,
      copyTagsToSnapshot: true,
    });
    this.cluster.addRotationSingleUser(Duration.days(props.rotationDays));
    acknowledge(
      this.cluster,
      'DOC2',
      'DocumentDB keeps 27017, the MongoDB drivers\' default; the port is create-only, and the cluster is reachable only from the app tier over TLS.',
    );
    acknowledge(
      this.cluster,
      'DOC3',
      'The master credentials are a generated Secrets Manager secret with scheduled rotation; the rule cannot read the secret through its dynamic reference.',
    );
    acknowledgeAuditStreams(this.cluster);

    if (props.globalClusterIdentifier) {
      // Joining a global cluster leaves the cluster in place; its secondaries replicate storage-level,
      // typically under a second behind.
      this.globalCluster = new docdb.CfnGlobalCluster(this, 'Global', {
        globalClusterIdentifier: props.globalClusterIdentifier,
        sourceDbClusterIdentifier: Stack.of(this).formatArn({
          service: 'rds',
          resource: 'cluster',
          resourceName: this.cluster.clusterIdentifier,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
        deletionProtection: true,
      });
      this.globalCluster.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }

    if (spec.elasticCluster) {
      const admin = new secretsmanager.Secret(this, 'ElasticAdmin', {
        description: 'DocumentDB elastic cluster admin password',
        encryptionKey: props.key,
        generateSecretString: { passwordLength: 32, excludePunctuation: true },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.elasticAdminSecret = admin;
      acknowledge(
        admin,
        'SMG4',
        'DocumentDB elastic clusters have no Secrets Manager rotation function; the admin password is rotated with UpdateCluster during maintenance.',
      );
      this.elasticCluster = new docdbelastic.CfnCluster(this, 'Elastic', {
        clusterName: 'orders-catalog-sharded',
        adminUserName: ADMIN_USERNAME,
        authType: 'SECRET_ARN',
        adminUserPassword: admin.secretArn,
        shardCount: spec.elasticCluster.shardCount,
        shardCapacity: spec.elasticCluster.shardCapacity,
        shardInstanceCount: spec.elasticCluster.shardInstanceCount,
        backupRetentionPeriod: spec.elasticCluster.backupRetentionDays,
        preferredBackupWindow: '03:00-04:00',
        preferredMaintenanceWindow: 'sun:05:00-sun:06:00',
        kmsKeyId: props.key.keyArn,
        subnetIds: props.vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.isolated }).subnetIds,
        vpcSecurityGroupIds: [this.securityGroup.securityGroupId],
      });
      this.elasticCluster.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }
  }
}
