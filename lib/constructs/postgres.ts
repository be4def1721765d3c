import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PostgresInstanceSpec, PostgresSpec } from '../../phases';
import { checkovSkip } from '../checkov';
import { SERVICE_LOG_RETENTION } from './log-retention';
import { acknowledge } from '../nag';
import { DataStoreProps, storeSecurityGroup } from './data-store';
import { SUBNET_GROUPS } from './network';

/** The master user. Create-only (MasterUsername): never changes. */
const MASTER_USERNAME = 'orders_admin';

/**
 * The services' login on every instance. The alternating-users rotation switches the secret
 * between this user and `orders_app_clone`; the schema tool creates it (services/migrations/app-users.ts).
 */
export const APP_USERNAME = 'orders_app';

/** PostgreSQL's port. Create-only on an instance: never changes. */
export const POSTGRES_PORT = 5432;

/** Props for {@link PostgresFleet}. */
export interface PostgresFleetProps extends DataStoreProps {
  readonly spec: PostgresSpec;
}

/** One database instance of the fleet and its read replicas. */
export class PostgresDatabase extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly replicas: rds.DatabaseInstanceReadReplica[];
  /**
   * The services' login (host, port, dbname, username, password), rotated by alternating users:
   * the user that was current stays valid until the rotation after, so connections opened with
   * either keep working while the services pick up the new one. The master user is for the schema tool only.
   */
  readonly appSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: { spec: PostgresInstanceSpec; shared: PostgresShared }) {
    super(scope, id);
    const { spec, shared } = props;
    const common = { ...instanceDefaults(shared), instanceType: new ec2.InstanceType(spec.instanceClass) };

    this.instance = new rds.DatabaseInstance(this, 'Resource', {
      ...common,
      engine: shared.engine,
      databaseName: spec.databaseName,
      credentials: rds.Credentials.fromGeneratedSecret(MASTER_USERNAME, { encryptionKey: shared.key }),
      storageEncrypted: true,
      storageEncryptionKey: shared.key,
      multiAz: spec.multiAz,
      allocatedStorage: spec.storageGiB,
      maxAllocatedStorage: spec.maxStorageGiB,
      backupRetention: Duration.days(spec.backupRetentionDays),
      deleteAutomatedBackups: false,
      copyTagsToSnapshot: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
    });
    this.instance.addRotationSingleUser({ automaticallyAfter: Duration.days(shared.rotationDays) });
    // Attached, so that the secret holds the instance's endpoint and a secondary region can read
    // it by ARN (a weak cross-region reference).
    this.appSecret = new rds.DatabaseSecret(this, 'AppSecret', {
      username: APP_USERNAME,
      masterSecret: this.instance.secret,
      encryptionKey: shared.key,
    }).attach(this.instance);
    this.instance.addRotationMultiUser('AppRotation', {
      secret: this.appSecret,
      automaticallyAfter: Duration.days(shared.rotationDays),
      // The first rotation must find the user, which the schema tool creates after the deploy; the
      // rotation's setSecret step refuses to run when the current user cannot log in.
      rotateImmediatelyOnUpdate: false,
    });
    acknowledge(
      this.instance,
      'RDS11',
      'PostgreSQL keeps 5432, which every client and tool expects; the port is create-only, and the instance is reachable only from the app tier over TLS.',
    );
    acknowledge(
      this.instance,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      'Enhanced Monitoring requires this AWS-managed service role policy; it grants only CloudWatch Logs writes for RDS OS metrics.',
    );
    if (!spec.multiAz) {
      checkovSkip(this.instance, 'CKV_AWS_157', 'Single-AZ by the phase spec: its uptime target is met with automated backups and point-in-time recovery; Multi-AZ turns on in place in a later phase.');
      acknowledge(
        this.instance,
        'RDS3',
        `Single-AZ by the phase spec: its uptime target is met with automated backups and point-in-time recovery; Multi-AZ turns on in place in a later phase.`,
      );
    }

    this.replicas = Array.from(
      { length: spec.readReplicas },
      (_, n) =>
        new rds.DatabaseInstanceReadReplica(this, `Replica${n}`, {
          ...common,
          sourceDatabaseInstance: this.instance,
          // A replica is rebuilt from its source at any time; deletion protection would only keep a
          // failed update from rolling back (CloudFormation cannot delete a protected new replica).
          deletionProtection: false,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
    );
    for (const replica of this.replicas) {
      checkovSkip(replica, 'CKV_AWS_16', 'A same-region read replica is encrypted with its source\'s KMS key; CloudFormation rejects StorageEncrypted beside SourceDBInstanceIdentifier.');
      acknowledge(replica, 'RDS10', 'A replica is rebuilt from its source at any time; deletion protection would only keep CloudFormation from rolling back a failed update that created it.');
      checkovSkip(replica, 'CKV_AWS_157', 'A read replica serves reads that tolerate staleness; when it fails, reads fall back to the Multi-AZ source instance.');
      acknowledge(replica, 'RDS11', 'A read replica inherits the source instance\'s port, which is create-only.');
      acknowledge(
        replica,
        'RDS2',
        'A same-region read replica inherits its source\'s KMS encryption; CloudFormation rejects StorageEncrypted beside SourceDBInstanceIdentifier.',
      );
      acknowledge(
        replica,
        'RDS3',
        'A read replica serves reads that tolerate staleness; when it fails, reads fall back to the Multi-AZ source instance.',
      );
      acknowledge(
        replica,
        'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
        'Enhanced Monitoring requires this AWS-managed service role policy; it grants only CloudWatch Logs writes for RDS OS metrics.',
      );
    }
  }
}

/**
 * The settings every instance of a region shares: primaries, same-region replicas and
 * cross-region replicas alike.
 */
export function instanceDefaults(shared: PostgresShared) {
  return {
    vpc: shared.vpc,
    subnetGroup: shared.subnetGroup,
    securityGroups: [shared.securityGroup],
    parameterGroup: shared.parameterGroup,
    storageType: rds.StorageType.GP3,
    enablePerformanceInsights: true,
    performanceInsightEncryptionKey: shared.key,
    monitoringInterval: Duration.seconds(60),
    cloudwatchLogsExports: ['postgresql', 'upgrade'],
    cloudwatchLogsRetention: SERVICE_LOG_RETENTION,
    autoMinorVersionUpgrade: true,
    deletionProtection: true,
    iamAuthentication: true,
    caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
    port: POSTGRES_PORT,
  };
}

/** The engine of a spec's version. */
function postgresEngine(spec: PostgresSpec): rds.IInstanceEngine {
  const [major] = spec.engineVersion.split('.');
  return rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.of(spec.engineVersion, major ?? spec.engineVersion) });
}

/**
 * A region's security group, subnet group and parameter group for PostgreSQL: the group admits
 * only the clients on the PostgreSQL port; instances sit in the isolated subnets; TLS is forced.
 */
export function regionalParts(scope: Construct, props: DataStoreProps & { readonly spec: PostgresSpec; readonly rotationDays: number }): PostgresShared {
  const engine = postgresEngine(props.spec);
  const securityGroup = storeSecurityGroup(scope, {
    vpc: props.vpc,
    clients: props.clients,
    port: POSTGRES_PORT,
    description: 'PostgreSQL instances: app tier only, PostgreSQL port only',
    rule: 'App tier to PostgreSQL',
  });
  const subnetGroup = new rds.SubnetGroup(scope, 'SubnetGroup', {
    vpc: props.vpc,
    description: 'PostgreSQL instances in the isolated subnets',
    vpcSubnets: { subnetGroupName: SUBNET_GROUPS.isolated },
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const parameterGroup = new rds.ParameterGroup(scope, 'Parameters', {
    engine,
    description: 'Order platform PostgreSQL: TLS only, slow statements logged',
    parameters: {
      'rds.force_ssl': '1',
      log_min_duration_statement: '500',
      log_lock_waits: '1',
      idle_in_transaction_session_timeout: '60000',
    },
  });
  return { vpc: props.vpc, engine, subnetGroup, securityGroup, parameterGroup, key: props.key, rotationDays: props.rotationDays };
}

/** What every instance of the fleet shares. */
export interface PostgresShared {
  readonly vpc: ec2.IVpc;
  readonly engine: rds.IInstanceEngine;
  readonly subnetGroup: rds.ISubnetGroup;
  readonly securityGroup: ec2.SecurityGroup;
  readonly parameterGroup: rds.IParameterGroup;
  readonly key: kms.IKey;
  readonly rotationDays: number;
}

/**
 * Every PostgreSQL instance of a phase (users, inventory and each orders shard) with its read
 * replicas: isolated subnets, KMS encryption, TLS forced, IAM auth, rotated master secrets,
 * point-in-time recovery, deletion protection and a final snapshot.
 */
export class PostgresFleet extends Construct {
  /** The databases, by their spec ID. */
  readonly databases: ReadonlyMap<string, PostgresDatabase>;
  /** The group every instance is in; it admits only the clients, only on the PostgreSQL port. */
  readonly securityGroup: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: PostgresFleetProps) {
    super(scope, id);
    const shared = regionalParts(this, { ...props, rotationDays: props.spec.secretRotationDays });
    this.securityGroup = shared.securityGroup;
    this.databases = new Map(props.spec.instances.map((spec) => [spec.id, new PostgresDatabase(this, spec.id, { spec, shared })]));
  }
}
