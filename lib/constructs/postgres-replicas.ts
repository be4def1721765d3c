import { Arn, ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { PostgresSpec } from '../../phases';
import { checkovSkip } from '../checkov';
import { acknowledge } from '../nag';
import { DataStoreProps } from './data-store';
import { POSTGRES_PORT, PostgresFleet, instanceDefaults, regionalParts } from './postgres';

/** Where a region's replicas come from. */
export type ReplicaSource =
  /** Replicating: the writable instances of the home region, by spec ID; every one gets a replica here. */
  | { readonly kind: 'replicating'; readonly instances: ReadonlyMap<string, rds.CfnDBInstance> }
  /**
   * Promoted by a regional failover (lib/failover): the replicas are standalone, writable
   * instances. The template drops their source, which CloudFormation applies as an in-place
   * promotion (already done), and keeps the create-only SourceRegion they were made with.
   */
  | { readonly kind: 'promoted'; readonly formerSourceRegion: string };

/** The writable instances of a fleet, by spec ID: the source of another region's replicas. */
export function fleetInstances(fleet: PostgresFleet): ReadonlyMap<string, rds.CfnDBInstance> {
  return new Map([...fleet.databases].map(([id, db]) => [id, db.instance.node.defaultChild as rds.CfnDBInstance]));
}

/** Props for {@link PostgresRegionalReplicas}. */
export interface PostgresRegionalReplicasProps extends DataStoreProps {
  readonly spec: PostgresSpec;
  readonly source: ReplicaSource;
}

/**
 * "RDS Multi-Region": in a secondary region, a cross-region read replica of every PostgreSQL
 * primary of the phase (users, inventory and every order shard). Each is encrypted with this
 * region's own key, named by the same spec ID as its source, in this region's isolated subnets
 * behind a group that admits only this region's app tier. Replication is asynchronous: its lag
 * is the RPO of a regional failover, alarmed at the roadmap's 5 s rollback threshold.
 *
 * The source is named by a full ARN built from its identifier in its own region (the attribute
 * aws-cdk-lib would give for an imported instance carries the replica's region: aws-cdk #28998).
 */
export class PostgresRegionalReplicas extends Construct {
  /** Replicas by their source's spec ID. */
  readonly replicas: ReadonlyMap<string, rds.DatabaseInstanceReadReplica>;
  readonly securityGroup: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: PostgresRegionalReplicasProps) {
    super(scope, id);
    const shared = regionalParts(this, { ...props, rotationDays: props.spec.secretRotationDays });
    this.securityGroup = shared.securityGroup;
    const { source } = props;
    const firstSource = source.kind === 'replicating' ? [...source.instances.values()][0] : undefined;
    const sourceRegion = source.kind === 'promoted' ? source.formerSourceRegion : Stack.of(firstSource!).region;
    const replicas = new Map<string, rds.DatabaseInstanceReadReplica>();
    for (const spec of props.spec.instances) {
      const instance = source.kind === 'replicating' ? source.instances.get(spec.id) : undefined;
      if (source.kind === 'replicating' && !instance) throw new Error(`PostgresRegionalReplicas: the home region has no instance ${spec.id} to replicate`);
      // The CloudFormation-level identifier: a plain cross-region reference to the source stack's output.
      const identifier = instance?.ref ?? `${spec.id.toLowerCase()}-promoted`;
      const sourceArn = Arn.format(
        { service: 'rds', resource: 'db', resourceName: identifier, arnFormat: ArnFormat.COLON_RESOURCE_NAME, region: sourceRegion },
        Stack.of(this),
      );
      const imported = rds.DatabaseInstance.fromDatabaseInstanceAttributes(this, `${spec.id}Source`, {
        instanceIdentifier: identifier,
        instanceEndpointAddress: instance?.attrEndpointAddress ?? identifier,
        port: POSTGRES_PORT,
        securityGroups: [],
        engine: shared.engine,
      });
      const replica = new rds.DatabaseInstanceReadReplica(this, spec.id, {
        ...instanceDefaults(shared),
        instanceType: new ec2.InstanceType(spec.instanceClass),
        sourceDatabaseInstance: imported,
        storageEncryptionKey: props.key,
        // Sized like its source and growing with it: a full replica stalls replication, and its
        // source then keeps WAL for it until the source fills up too.
        allocatedStorage: spec.storageGiB,
        maxAllocatedStorage: spec.maxStorageGiB,
        // Failover promotes this replica; until then it is one copy among several and can be rebuilt.
        deletionProtection: false,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const cfn = replica.node.defaultChild as rds.CfnDBInstance;
      cfn.sourceRegion = sourceRegion;
      if (source.kind === 'replicating') {
        cfn.sourceDbInstanceIdentifier = sourceArn;
      } else {
        cfn.addPropertyDeletionOverride('SourceDBInstanceIdentifier');
        // Now the only writable copy: protected, backed up and Multi-AZ like the fleet it replaced
        // (each an in-place change; a replica's deletion policy is ignored, a standalone's is not).
        cfn.deletionProtection = true;
        cfn.multiAz = spec.multiAz;
        cfn.backupRetentionPeriod = spec.backupRetentionDays;
        replica.applyRemovalPolicy(RemovalPolicy.SNAPSHOT);
      }
      // A replica is encrypted because its source is; KmsKeyId names this region's key for it.
      cfn.addPropertyDeletionOverride('StorageEncrypted');
      checkovSkip(replica, 'CKV_AWS_16', 'The cross-region replica is encrypted with this region\'s Postgres key (KmsKeyId); CloudFormation rejects StorageEncrypted beside SourceDBInstanceIdentifier.');
      checkovSkip(replica, 'CKV_AWS_157', 'A cross-region replica is one read copy among several and the standby for a regional failover; Multi-AZ is turned on when it is promoted.');
      acknowledge(replica, 'RDS11', 'A read replica inherits the source instance\'s port, which is create-only.');
      acknowledge(
        replica,
        'RDS3',
        'A cross-region replica serves the region\'s reads and is the standby for a regional failover; Multi-AZ is turned on when it is promoted.',
      );
      acknowledge(
        replica,
        'RDS2',
        'The replica is encrypted with this region\'s Postgres key (KmsKeyId) because its source is encrypted; CloudFormation rejects StorageEncrypted beside SourceDBInstanceIdentifier.',
      );
      acknowledge(replica, 'RDS10', 'A replica is rebuilt from its source at any time; the data it holds is protected by the source\'s deletion protection and backups.');
      acknowledge(
        replica,
        'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
        'Enhanced Monitoring requires this AWS-managed service role policy; it grants only CloudWatch Logs writes for RDS OS metrics.',
      );
      replicas.set(spec.id, replica);
    }
    this.replicas = replicas;
  }
}
