import { US_EAST_1 } from './regions';
import { databases, NGINX_DEFAULTS, roadmapMonitoring, topics } from './builders';
import { FLAGS } from './flags';
import { PhaseSpec } from './spec';

/** Phase 1 (Foundation): Nginx, two Node servers, three PostgreSQL databases, MongoDB, Redis, Kafka. */
export const PHASE_1K: PhaseSpec = {
  name: '1k',
  title: 'Foundation',
  slo: {
    dailyUsers: 1_000,
    budgetUsdPerMonth: 500,
    checkoutResponseMs: 2_000,
    uptimePercent: 99.5,
    nextPhaseTriggerDailyUsers: 800,
  },
  regions: [US_EAST_1],
  postgres: {
    engineVersion: '15.17',
    instances: databases(
      {
      instanceClass: 't4g.small',
      multiAz: false,
      storageGiB: 20,
      maxStorageGiB: 100,
      readReplicas: 0,
        backupRetentionDays: 7,
      },
      1,
    ),
    orderBuckets: 256,
    secretRotationDays: 30,
  },
  documentDb: {
    instanceCluster: { instances: 1, instanceClass: 't4g.medium', backupRetentionDays: 7 },
  },
  cache: {
    engine: 'valkey',
    engineVersion: '8.0',
    nodeType: 'cache.t4g.micro',
    shardsPerRegion: 1,
    replicasPerShard: 2,
    globalDatastore: false,
    snapshotRetentionDays: 1,
  },
  streaming: {
    kafkaVersion: '4.1.x.kraft',
    brokerType: 'kafka.t3.small',
    brokersPerRegion: 3,
    storagePerBrokerGiB: 100,
    topics: topics(3),
  },
  compute: {
    monolith: {
      fleet: { instanceType: 't4g.small', minInstances: 2, maxInstances: 3, targetCpuPercent: 60, rootVolumeGiB: 20 },
      nginx: NGINX_DEFAULTS,
    },
  },
  monitoring: roadmapMonitoring(2_000),
  // One latency record per region from the first phase on, so that adding a region adds a record
  // and changes none; 10 s x 3 detects a failed region in 30 s, and a 10 s TTL moves users soon
  // after (the failover budget, README).
  dns: { routing: { policy: 'latency' }, ttlSeconds: 10, healthCheck: { intervalSeconds: 10, failureThreshold: 3 } },
  flags: FLAGS,
  deviations: [
    'Kafka: 3 brokers, not 1: an MSK cluster spread over 3 AZs needs at least one broker per AZ.',
    'Redis: 3 nodes (1 shard, 2 replicas) from the start: replicas per shard cannot change in place, so growth is by shards.',
  ],
};
