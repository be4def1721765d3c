import { Stack, StackProps } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { PhaseSpec, RegionSpec } from '../../phases';
import { FeatureFlags, isRollbackAlarm } from '../flags/feature-flags';
import { REGION_CODES } from '../naming';
import { AlarmTopics } from '../monitoring/alarm-topics';
import { RoadmapAlarms, WatchedResources } from '../monitoring/alarms';
import { DataStoreAlarms, WatchedDataStores, WatchedPostgres } from '../monitoring/data-store-alarms';
import { PlatformDashboard } from '../monitoring/dashboard';
import { Telemetry } from '../monitoring/telemetry';
import { ComputeStack } from './compute-stack';
import { DataStack } from './data-stack';

/** Props for {@link MonitoringStack}. */
export interface MonitoringStackProps extends StackProps {
  readonly spec: PhaseSpec;
  readonly region: RegionSpec;
  readonly compute: ComputeStack;
  /** This region's data stack: every store it holds is watched. */
  readonly data: DataStack;
  readonly telemetry: Telemetry;
  /**
   * An existing SNS topic of this region that every alarm also notifies (`-c alarmTopicArn=`).
   * @default - only the telemetry stack's topic
   */
  readonly alarmTopicArn?: string;
}

/**
 * A region's alarms and dashboard, over the compute and data stacks: the roadmap's rollback
 * thresholds, response-time target and next-phase triggers, and the data stores' own alarms,
 * notifying the telemetry stack's SNS topic (and the given topic of the region, if any). Also the
 * region's feature flags (AppConfig), whose rollouts those rollback alarms roll back.
 */
export class MonitoringStack extends Stack {
  readonly alarms: RoadmapAlarms;
  readonly dataStoreAlarms: DataStoreAlarms;
  readonly dashboard: PlatformDashboard;
  readonly flags: FeatureFlags;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { spec, compute, data } = props;
    const topics = new AlarmTopics(
      props.telemetry.topic,
      props.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'ExternalAlarmTopic', props.alarmTopicArn) : undefined,
    );
    const databases = new Map([...(data.postgres?.databases.entries() ?? [])].map(([dbId, db]) => [dbId, { instance: db.instance, replicas: db.replicas }] as const));
    const watched: WatchedResources = {
      publicLoadBalancer: compute.monolith?.loadBalancer,
      api: compute.gateway?.api,
      targetGroups: compute.watchedTargetGroups,
      databases,
      crossRegionReplicas: new Map(data.postgresReplicas?.replicas ?? []),
    };
    this.alarms = new RoadmapAlarms(this, 'Alarms', {
      spec: spec.monitoring,
      slo: spec.slo,
      topics,
      watched,
      capacity: props.region.role === 'primary',
    });
    this.dataStoreAlarms = new DataStoreAlarms(this, 'DataStoreAlarms', { spec: spec.monitoring, topics, watched: watchedDataStores(spec, data) });
    this.flags = new FeatureFlags(this, 'FeatureFlags', {
      spec: spec.flags,
      rollbackAlarms: [...this.alarms.alarms, ...this.dataStoreAlarms.alarms].filter(isRollbackAlarm),
    });
    const fleets = new Map<string, autoscaling.AutoScalingGroup>(compute.fleets);
    this.dashboard = new PlatformDashboard(this, 'Dashboard', {
      watched,
      fleets,
      alarms: this.alarms.alarms,
      dataStoreAlarms: this.dataStoreAlarms.alarms,
      regionCode: REGION_CODES[props.region.region],
    });
  }
}

/** Every store the region's data stack holds, with the spec each was built from. */
function watchedDataStores(spec: PhaseSpec, data: DataStack): WatchedDataStores {
  const instanceSpec = (dbId: string) => {
    const found = spec.postgres.instances.find((i) => i.id === dbId);
    if (!found) throw new Error(`MonitoringStack: no PostgreSQL instance ${dbId} in phase ${spec.name}'s spec`);
    return found;
  };
  const postgres: WatchedPostgres[] = [];
  for (const [dbId, db] of data.postgres?.databases ?? []) {
    postgres.push({ id: dbId, label: `PostgreSQL ${dbId}`, instance: db.instance, spec: instanceSpec(dbId) });
    db.replicas.forEach((replica, n) => postgres.push({ id: `${dbId}Replica${n}`, label: `PostgreSQL read replica ${n} of ${dbId}`, instance: replica, spec: instanceSpec(dbId) }));
  }
  for (const [dbId, r] of data.postgresReplicas?.replicas ?? []) {
    postgres.push({ id: `${dbId}Replica`, label: `PostgreSQL cross-region replica of ${dbId}`, instance: r, spec: instanceSpec(dbId) });
  }
  const instanceClass = spec.documentDb.instanceCluster.instanceClass;
  const catalog = data.documentDb
    ? { instanceIds: data.documentDb.cluster.instanceIdentifiers, instanceClass }
    : data.documentDbSecondary
      ? { instanceIds: data.documentDbSecondary.instances.map((i) => i.ref), instanceClass, globalSecondaryClusterId: data.documentDbSecondary.cluster.ref }
      : undefined;
  return {
    postgres,
    catalog,
    cache: {
      replicationGroupId: data.cache.replicationGroup.ref,
      shards: spec.cache.shardsPerRegion,
      nodesPerShard: spec.cache.replicasPerShard + 1,
      globalSecondary: !!data.cache.replicationGroup.globalReplicationGroupId,
    },
    kafkaClusterName: data.streaming.cluster.clusterName,
  };
}
