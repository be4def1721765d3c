import { RemovalPolicy } from 'aws-cdk-lib';
import * as docdb from 'aws-cdk-lib/aws-docdb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DocumentDbSpec } from '../../phases';
import { constructId } from '../naming';
import { acknowledge } from '../nag';
import { SERVICE_LOG_RETENTION } from './log-retention';
import { DataStoreProps, storeSecurityGroup } from './data-store';
import { SUBNET_GROUPS } from './network';
import { CATALOG_ENGINE_VERSION, CATALOG_PARAMETERS, DOCUMENTDB_PORT, DocumentDb, acknowledgeAuditStreams } from './documentdb';

/** Props for {@link DocumentDbSecondary}. */
export interface DocumentDbSecondaryProps extends DataStoreProps {
  readonly spec: DocumentDbSpec;
  /** The primary region's catalogue, whose global cluster this cluster joins. */
  readonly primary: DocumentDb;
}

/**
 * The catalogue in a secondary region: a read-only member of the primary's DocumentDB global
 * cluster, with as many instances of the same class as the primary cluster so that the region's
 * reads are served locally. It has no users of its own (they replicate with the data), and a
 * global-cluster failover makes it the writer.
 *
 * The elastic cluster has no global clusters, so nothing of it is served here: its one
 * collection, the analytics service's order activity (sharded by hashed customer id), is read in
 * the primary region: a secondary forwards `GET /analytics/customers/:customerId/activity` home
 * (services/shared/region.ts), one cross-region round trip per read.
 */
export class DocumentDbSecondary extends Construct {
  readonly cluster: docdb.CfnDBCluster;
  readonly instances: docdb.CfnDBInstance[] = [];
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DocumentDbSecondaryProps) {
    super(scope, id);
    const global = props.primary.globalCluster;
    if (!global) throw new Error('DocumentDbSecondary: the primary catalogue cluster is not the primary of a global cluster');

    this.securityGroup = storeSecurityGroup(this, {
      vpc: props.vpc,
      clients: props.clients,
      port: DOCUMENTDB_PORT,
      description: 'DocumentDB secondary: app tier only, DocumentDB port only',
      rule: 'App tier to DocumentDB',
    });
    const subnets = new docdb.CfnDBSubnetGroup(this, 'SubnetGroup', {
      dbSubnetGroupDescription: 'DocumentDB secondary in the isolated subnets',
      subnetIds: props.vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.isolated }).subnetIds,
    });
    subnets.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const parameters = new docdb.CfnDBClusterParameterGroup(this, 'Parameters', {
      family: 'docdb5.0',
      description: 'Order platform DocumentDB: TLS required, audit and profiler logs',
      parameters: { ...CATALOG_PARAMETERS },
    });

    this.cluster = new docdb.CfnDBCluster(this, 'Resource', {
      globalClusterIdentifier: global.ref,
      engineVersion: CATALOG_ENGINE_VERSION,
      dbSubnetGroupName: subnets.ref,
      vpcSecurityGroupIds: [this.securityGroup.securityGroupId],
      dbClusterParameterGroupName: parameters.ref,
      port: DOCUMENTDB_PORT,
      storageEncrypted: true,
      kmsKeyId: props.key.keyArn,
      backupRetentionPeriod: props.spec.instanceCluster.backupRetentionDays,
      preferredBackupWindow: '03:00-04:00',
      preferredMaintenanceWindow: 'sun:05:00-sun:06:00',
      enableCloudwatchLogsExports: ['audit', 'profiler'],
      copyTagsToSnapshot: true,
      deletionProtection: true,
    });
    this.cluster.applyRemovalPolicy(RemovalPolicy.SNAPSHOT);
    for (const stream of ['audit', 'profiler']) {
      new logs.LogRetention(this, `${constructId(stream)}LogRetention`, {
        logGroupName: `/aws/docdb/${this.cluster.ref}/${stream}`,
        retention: SERVICE_LOG_RETENTION,
      });
    }
    acknowledge(this.cluster, 'DOC2', 'A global cluster\'s members share the primary\'s port, 27017; the cluster is reachable only from the app tier over TLS.');
    acknowledge(
      this.cluster,
      'DOC3',
      'A global-cluster secondary has no master user of its own: users and their passwords replicate from the primary cluster, whose secret is rotated there.',
    );
    acknowledgeAuditStreams(this.cluster);

    for (let n = 0; n < props.spec.instanceCluster.instances; n++) {
      const instance = new docdb.CfnDBInstance(this, `Instance${n + 1}`, {
        dbClusterIdentifier: this.cluster.ref,
        dbInstanceClass: `db.${props.spec.instanceCluster.instanceClass}`,
        autoMinorVersionUpgrade: true,
        caCertificateIdentifier: 'rds-ca-rsa2048-g1',
        preferredMaintenanceWindow: 'sun:05:00-sun:06:00',
      });
      instance.applyRemovalPolicy(RemovalPolicy.DESTROY);
      this.instances.push(instance);
    }
  }

  /** The cluster endpoint and port, `host:port`; with replicaSet=rs0 the driver finds every instance. */
  get socketAddress(): string {
    return `${this.cluster.attrEndpoint}:${DOCUMENTDB_PORT}`;
  }
}
