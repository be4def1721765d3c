import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { MonitoringSpec, PostgresInstanceSpec } from '../../phases';
import { rdsMaxConnections } from '../../phases/capacity';
import { AlarmTopics } from './alarm-topics';
import { docdbMaxConnections } from './limits';

/** One PostgreSQL instance (a primary or any kind of replica) and the spec it was built from. */
export interface WatchedPostgres {
  /** Literal ID used in the alarms' construct IDs, e.g. `OrdersShard0`, `UsersReplica0`. */
  readonly id: string;
  /** What the instance is, in the alarms' descriptions, e.g. `read replica 0 of Users`. */
  readonly label: string;
  readonly instance: rds.IDatabaseInstance;
  /** Its class and allocated storage (a replica has its source's). */
  readonly spec: PostgresInstanceSpec;
}

/** The DocumentDB catalogue cluster of this region. */
export interface WatchedCatalog {
  /** Instance identifiers, in the order of the instances' construct IDs (`Instance1`, `Instance2`, ...). */
  readonly instanceIds: readonly string[];
  /** Their class, without `db.`. */
  readonly instanceClass: string;
  /** In a secondary region: the cluster identifier of this region's member of the global cluster. */
  readonly globalSecondaryClusterId?: string;
}

/** The ElastiCache replication group of this region. */
export interface WatchedCache {
  readonly replicationGroupId: string;
  /** Shards (node groups) the group has now. */
  readonly shards: number;
  /** Nodes in each shard: its primary and replicas. */
  readonly nodesPerShard: number;
  /** Whether it is a read-only member of a Global Datastore, following another region's cache. */
  readonly globalSecondary: boolean;
}

/** What the data-store alarms watch in one region; absent parts are not in the region. */
export interface WatchedDataStores {
  readonly postgres: readonly WatchedPostgres[];
  readonly catalog?: WatchedCatalog;
  readonly cache?: WatchedCache;
  /** The MSK cluster's name (its metrics' `Cluster Name` dimension). */
  readonly kafkaClusterName?: string;
}

/** Props for {@link DataStoreAlarms}. */
export interface DataStoreAlarmsProps {
  readonly spec: MonitoringSpec;
  readonly topics: AlarmTopics;
  readonly watched: WatchedDataStores;
}

const GIB = 1024 ** 3;

/**
 * The data stores' own alarms, on what each region holds: PostgreSQL free storage and
 * connections (every primary and replica), DocumentDB CPU, connections and replica lag (and,
 * in a secondary region, the global cluster's replication lag), cache memory and evictions
 * per shard (and the Global Datastore's lag), MSK disk use and under-replicated partitions.
 * Thresholds come from the phase's monitoring spec; each description says what to do.
 */
export class DataStoreAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, private readonly props: DataStoreAlarmsProps) {
    super(scope, id);
    const { spec, watched } = props;
    const minute = Duration.minutes(1);
    const fiveMinutes = Duration.minutes(5);
    const lagMs = spec.replicationLagSeconds * 1000;

    for (const db of watched.postgres) {
      const freeGiB = (db.spec.storageGiB * spec.databaseFreeStoragePercent) / 100;
      this.add(`${db.id}FreeStorage`, {
        metric: db.instance.metricFreeStorageSpace({ statistic: 'Minimum', period: fiveMinutes }),
        threshold: Math.round(freeGiB * GIB),
        below: true,
        evaluationPeriods: 2,
        description:
          `${db.label}: less than ${freeGiB} GiB (${spec.databaseFreeStoragePercent}% of its ${db.spec.storageGiB} GiB) free for 10 minutes. ` +
          `Storage autoscaling (up to ${db.spec.maxStorageGiB} GiB) has not helped: it is at its ceiling or waiting out its 6 hours between growths. ` +
          'Raise maxStorageGiB (or storageGiB) of the instance in the phase spec and deploy, or delete data; a full instance stops taking writes.',
      });
      const maxConnections = rdsMaxConnections(db.spec.instanceClass);
      const connections = Math.floor((maxConnections * spec.databaseConnectionsPercent) / 100);
      this.add(`${db.id}Connections`, {
        metric: db.instance.metricDatabaseConnections({ statistic: 'Maximum', period: fiveMinutes }),
        threshold: connections,
        evaluationPeriods: 3,
        description:
          `${db.label}: more than ${connections} connections (${spec.databaseConnectionsPercent}% of max_connections ${maxConnections} on ${db.spec.instanceClass}) for 15 minutes. ` +
          'New connections will soon be refused. Look for a pool leak or a burst of new processes (npm run capacity shows the planned pools); then lower the pools or move to a larger class.',
      });
    }

    const catalog = watched.catalog;
    if (catalog) {
      const maxConnections = docdbMaxConnections(catalog.instanceClass);
      const connections = Math.floor((maxConnections * spec.databaseConnectionsPercent) / 100);
      catalog.instanceIds.forEach((instanceId, i) => {
        const name = `CatalogInstance${i + 1}`;
        const docdb = (metricName: string, statistic: string, period: Duration) =>
          new cloudwatch.Metric({ namespace: 'AWS/DocDB', metricName, dimensionsMap: { DBInstanceIdentifier: instanceId }, statistic, period });
        // `CPU` rather than `Cpu`: the PostgreSQL next-phase triggers are the alarms named `<db>Cpu`.
        this.add(`${name}CPU`, {
          metric: docdb('CPUUtilization', 'Average', fiveMinutes),
          threshold: spec.databaseCpuPercent,
          evaluationPeriods: 3,
          description:
            `Next phase: DocumentDB catalogue instance ${i + 1} above ${spec.databaseCpuPercent}% CPU for 15 minutes. ` +
            'Plan a larger documentDb.instanceCluster.instanceClass or more instances (reads spread over replicas).',
        });
        this.add(`${name}Connections`, {
          metric: docdb('DatabaseConnections', 'Maximum', fiveMinutes),
          threshold: connections,
          evaluationPeriods: 3,
          description:
            `DocumentDB catalogue instance ${i + 1}: more than ${connections} connections (${spec.databaseConnectionsPercent}% of the ${maxConnections} a ${catalog.instanceClass} accepts) for 15 minutes. ` +
            'Look for a driver pool leak or a burst of new processes; then lower maxPoolSize or move to a larger class.',
        });
        if (catalog.instanceIds.length > 1) {
          // Only replicas report the metric: the writer's alarm stays OK, and whichever instance is a replica after a failover is watched.
          this.add(`${name}ReplicaDelay`, {
            metric: docdb('DBInstanceReplicaLag', 'Maximum', minute),
            threshold: lagMs,
            evaluationPeriods: 2,
            missing: cloudwatch.TreatMissingData.NOT_BREACHING,
            description:
              `Rollback: DocumentDB catalogue instance ${i + 1}, as a replica, lags more than ${spec.replicationLagSeconds} s behind the writer (milliseconds). ` +
              'Catalogue reads from it are stale: look for a write burst or an undersized instance; roll back the change in progress.',
          });
        }
      });
      if (catalog.globalSecondaryClusterId) {
        // A query over every dimension set carrying the cluster: the metric is keyed by the member cluster (and its source region).
        this.add('CatalogGlobalLag', {
          metric: insights(`SELECT MAX(GlobalClusterReplicationLag) FROM "AWS/DocDB" WHERE DBClusterIdentifier = '${catalog.globalSecondaryClusterId}'`, 'Global cluster lag (ms)', minute),
          threshold: lagMs,
          evaluationPeriods: 2,
          description:
            `Rollback: this region's member of the DocumentDB global cluster lags more than ${spec.replicationLagSeconds} s behind the primary region (milliseconds): ` +
            'what a regional failover would lose. Check the primary\'s write rate and the inter-region network; hold failovers and roll back the change in progress.',
        });
      }
    }

    const cache = watched.cache;
    if (cache) {
      for (let shard = 1; shard <= cache.shards; shard++) {
        const nodes = Array.from({ length: cache.nodesPerShard }, (_, n) => `${cache.replicationGroupId}-${pad(shard, 4)}-${pad(n + 1, 3)}`);
        // Every node of the shard: after a failover any of them may be its primary.
        const overNodes = (fn: 'MAX' | 'SUM', metricName: string, statistic: string, period: Duration, label: string) =>
          new cloudwatch.MathExpression({
            expression: `${fn}([${nodes.map((_, n) => `n${n}`).join(', ')}])`,
            usingMetrics: Object.fromEntries(
              nodes.map((node, n) => [`n${n}`, new cloudwatch.Metric({ namespace: 'AWS/ElastiCache', metricName, dimensionsMap: { CacheClusterId: node }, statistic, period })]),
            ),
            label,
            period,
          });
        this.add(`CacheShard${shard}Memory`, {
          metric: overNodes('MAX', 'DatabaseMemoryUsagePercentage', 'Maximum', fiveMinutes, 'Memory used (%)'),
          threshold: spec.cacheMemoryPercent,
          evaluationPeriods: 3,
          description:
            `Cache shard ${shard}: a node uses more than ${spec.cacheMemoryPercent}% of its memory for 15 minutes. ` +
            'Add shards (cache.shardsPerRegion grows online) or a larger cache.nodeType before keys are evicted.',
        });
        this.add(`CacheShard${shard}Evictions`, {
          metric: overNodes('SUM', 'Evictions', 'Sum', minute, 'Evictions per minute'),
          threshold: spec.cacheEvictionsPerMinute,
          evaluationPeriods: 5,
          description:
            `Cache shard ${shard}: more than ${spec.cacheEvictionsPerMinute} evictions a minute for 5 minutes: it is full and drops keys the services expect to find. ` +
            'Add shards (cache.shardsPerRegion) or a larger node type.',
        });
        if (cache.globalSecondary) {
          this.add(`CacheShard${shard}GlobalLag`, {
            metric: overNodes('MAX', 'GlobalDatastoreReplicationLag', 'Maximum', minute, 'Global Datastore lag (s)'),
            threshold: spec.replicationLagSeconds,
            evaluationPeriods: 2,
            description:
              `Rollback: cache shard ${shard} of this region's Global Datastore member lags more than ${spec.replicationLagSeconds} s behind the primary region: ` +
              'reads here serve stale entries and missed invalidations. Check the primary\'s write rate and the inter-region network; roll back the change in progress.',
          });
        }
      }
    }

    if (watched.kafkaClusterName) {
      const brokers = (fn: 'MAX' | 'SUM', metricName: string) =>
        `SELECT ${fn}(${metricName}) FROM SCHEMA("AWS/Kafka", "Broker ID", "Cluster Name") WHERE "Cluster Name" = '${watched.kafkaClusterName}'`;
      // One query over every broker: the alarm follows the cluster as brokers are added.
      this.add('KafkaDiskUsed', {
        metric: insights(brokers('MAX', 'KafkaDataLogsDiskUsed'), 'Fullest broker disk (%)', fiveMinutes),
        threshold: spec.kafkaDiskUsedPercent,
        evaluationPeriods: 2,
        description:
          `Kafka: a broker's data disk is more than ${spec.kafkaDiskUsedPercent}% full (MSK storage does not grow by itself here). ` +
          'Raise streaming.storagePerBrokerGiB and deploy (MSK grows volumes in place, once every 6 hours), or shorten log.retention.hours; a full broker stops.',
      });
      this.add('KafkaUnderReplicated', {
        metric: insights(brokers('SUM', 'UnderReplicatedPartitions'), 'Under-replicated partitions', minute),
        threshold: 0,
        evaluationPeriods: spec.kafkaUnderReplicatedMinutes,
        description:
          `Kafka: partitions have been under-replicated for ${spec.kafkaUnderReplicatedMinutes} minutes, longer than a broker restart takes. ` +
          'With min.insync.replicas=2 a second loss stops writes: find the broker that is down or behind (AWS/Kafka by Broker ID) and check disk, CPU and MSK cluster events.',
      });
    }
  }

  private add(
    id: string,
    a: { metric: cloudwatch.IMetric; threshold: number; evaluationPeriods: number; description: string; below?: boolean; missing?: cloudwatch.TreatMissingData },
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: a.description,
      metric: a.metric,
      threshold: a.threshold,
      comparisonOperator: a.below ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD : cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: a.evaluationPeriods,
      datapointsToAlarm: a.evaluationPeriods,
      // These metrics are always published: no data means a wrong name or dimension, shown as INSUFFICIENT_DATA rather than a silent OK.
      treatMissingData: a.missing ?? cloudwatch.TreatMissingData.MISSING,
    });
    this.props.topics.notify(alarm);
    this.alarms.push(alarm);
  }
}

/** A CloudWatch Metrics Insights query as an alarm's metric. */
function insights(query: string, label: string, period: Duration): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({ expression: query, usingMetrics: {}, label, period });
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
