import { PHASE_10K } from './10k';
import { databases, ec2Services, roadmapMonitoring, topics } from './builders';
import { PhaseSpec } from './spec';

/** Phase 3 (Microservices and sharding): 8 services, orders in 3 shards, sharded collections, 6 cache nodes. */
export const PHASE_30K: PhaseSpec = {
  ...PHASE_10K,
  name: '30k',
  title: 'Microservices and database sharding',
  slo: {
    dailyUsers: 30_000,
    budgetUsdPerMonth: 6_000,
    checkoutResponseMs: 1_000,
    uptimePercent: 99.95,
    nextPhaseTriggerDailyUsers: 25_000,
  },
  postgres: {
    ...PHASE_10K.postgres,
    instances: databases(
      { instanceClass: 'm7g.large', multiAz: true, storageGiB: 100, maxStorageGiB: 500, readReplicas: 1, backupRetentionDays: 14 },
      3,
    ),
  },
  documentDb: {
    instanceCluster: { instances: 2, instanceClass: 'r6g.large', backupRetentionDays: 14 },
    elasticCluster: { shardCount: 2, shardCapacity: 2, shardInstanceCount: 2, backupRetentionDays: 14 },
  },
  cache: { ...PHASE_10K.cache, nodeType: 'cache.m7g.large', shardsPerRegion: 2, snapshotRetentionDays: 7 },
  streaming: { ...PHASE_10K.streaming, brokersPerRegion: 6, storagePerBrokerGiB: 200, topics: topics(12) },
  compute: {
    gateway: { throttleRatePerSecond: 1_000, throttleBurst: 2_000, weights: { ec2Services: 100 } },
    ec2Services: ec2Services(
      { instanceType: 't4g.small', minInstances: 2, maxInstances: 4, targetCpuPercent: 60, rootVolumeGiB: 20 },
      ['order', 'product', 'inventory'],
      { instanceType: 't4g.medium', minInstances: 2, maxInstances: 6, targetCpuPercent: 60, rootVolumeGiB: 20 },
    ),
  },
  monitoring: roadmapMonitoring(1_000),
  deviations: [
    'Kafka: 6 brokers, not the roadmap\'s 5: MSK needs a broker count that is a multiple of its 3 AZs.',
    'MongoDB: the sharded collection, the analytics service\'s order activity (shard key: hashed customerId), lives in a DocumentDB elastic cluster added beside the instance-based one.',
  ],
};
