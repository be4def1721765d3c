import { PHASE_30K } from './30k';
import { databases, podServices, roadmapMonitoring, topics } from './builders';
import { PhaseSpec } from './spec';

/** Phase 4 (Containerization): EKS with autoscaling, 6 order shards, 9 cache nodes, 24 partitions. */
export const PHASE_50K: PhaseSpec = {
  ...PHASE_30K,
  name: '50k',
  title: 'Containerization and orchestration',
  slo: {
    dailyUsers: 50_000,
    budgetUsdPerMonth: 10_000,
    checkoutResponseMs: 800,
    uptimePercent: 99.95,
    nextPhaseTriggerDailyUsers: 40_000,
  },
  postgres: {
    ...PHASE_30K.postgres,
    instances: databases(
      { instanceClass: 'm7g.large', multiAz: true, storageGiB: 200, maxStorageGiB: 1_000, readReplicas: 1, backupRetentionDays: 14 },
      6,
    ),
  },
  documentDb: {
    instanceCluster: PHASE_30K.documentDb.instanceCluster,
    elasticCluster: { shardCount: 2, shardCapacity: 4, shardInstanceCount: 2, backupRetentionDays: 14 },
  },
  // The hottest products also in each instance (bench/cache-layers.ts: 1,000 entries keep 16.6% of
  // catalogue reads from Redis); a price change is seen everywhere within 2 s.
  cache: { ...PHASE_30K.cache, shardsPerRegion: 3, inProcess: { entries: 1_000, ttlMs: 2_000 } },
  streaming: { ...PHASE_30K.streaming, brokersPerRegion: 9, storagePerBrokerGiB: 500, topics: topics(24) },
  compute: {
    gateway: {
      throttleRatePerSecond: 2_000,
      throttleBurst: 4_000,
      weights: { eks: 100 },
      // The catalogue is about 45% of requests (SERVICE_TRAFFIC_SHARE.product); the edge answers
      // 59 % of them in bench/cache-layers.ts: 27 % of all requests.
      edge: { priceClass: 'PriceClass_100', expectedHitPercent: 27, maxTtlSeconds: 300, originProtection: true },
    },
    eks: {
      kubernetesVersion: '1.35',
      nodeGroups: [
        { id: 'General', instanceTypes: ['m7g.large', 'm6g.large'], capacityType: 'ON_DEMAND', minNodes: 3, desiredNodes: 6, maxNodes: 18, diskGiB: 50 },
      ],
      services: podServices(
        { cpuMillis: 250, memoryMiB: 384, minReplicas: 2, maxReplicas: 6, targetCpuPercent: 60 },
        ['order', 'product', 'inventory'],
        { cpuMillis: 500, memoryMiB: 512, minReplicas: 3, maxReplicas: 12, targetCpuPercent: 60 },
      ),
    },
  },
  monitoring: roadmapMonitoring(800),
  deviations: [
    'Kafka: 9 brokers, not the roadmap\'s 7: MSK needs a broker count that is a multiple of its 3 AZs.',
  ],
};
