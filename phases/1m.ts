import { PHASE_70K } from './70k';
import { databases, topics } from './builders';
import { EU_CENTRAL_1 } from './regions';
import { PhaseSpec } from './types';

/** Phase 6 (Global scale): eu-central-1, 100 partitions per topic, 54 cache nodes in all. */
export const PHASE_1M: PhaseSpec = {
  ...PHASE_70K,
  name: '1m',
  title: 'Global scale',
  slo: {
    dailyUsers: 1_000_000,
    budgetUsdPerMonth: 120_000,
    checkoutResponseMs: 500,
    uptimePercent: 99.99,
  },
  regions: [...PHASE_70K.regions, EU_CENTRAL_1],
  postgres: {
    ...PHASE_70K.postgres,
    instances: databases(
      { instanceClass: 'r7g.xlarge', multiAz: true, storageGiB: 500, maxStorageGiB: 4_000, readReplicas: 1, backupRetentionDays: 35 },
      6,
    ),
  },
  documentDb: {
    instanceCluster: { ...PHASE_70K.documentDb.instanceCluster, instanceClass: 'r6g.xlarge' },
    elasticCluster: { shardCount: 4, shardCapacity: 8, shardInstanceCount: 3, backupRetentionDays: 35 },
  },
  cache: { ...PHASE_70K.cache, nodeType: 'cache.r7g.xlarge', shardsPerRegion: 6 },
  streaming: { ...PHASE_70K.streaming, brokerType: 'kafka.m7g.xlarge', brokersPerRegion: 12, storagePerBrokerGiB: 1_000, topics: topics(100) },
  deviations: [
    'Redis: 6 shards of 3 nodes in each of 3 regions: the roadmap\'s 54 nodes in all.',
    'Kafka: 12 brokers per region (a multiple of 3 AZs) carry 100 partitions per topic within the per-broker limit.',
  ],
};
