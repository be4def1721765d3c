import { PHASE_70K } from './70k';
import { databases, podServices, roadmapMonitoring, topics } from './builders';
import { EU_CENTRAL_1 } from './regions';
import { PhaseSpec } from './spec';

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
  streaming: {
    ...PHASE_70K.streaming,
    brokerType: 'kafka.m7g.xlarge',
    brokersPerRegion: 12,
    storagePerBrokerGiB: 1_000,
    topics: topics(100),
    mirrorMaker: { tasksMax: 36, cpuMillis: 2_000, memoryMiB: 4_096 },
  },
  compute: {
    gateway: { throttleRatePerSecond: 10_000, throttleBurst: 20_000, weights: { eks: 100 }, edge: PHASE_70K.compute.gateway?.edge },
    eks: {
      kubernetesVersion: '1.35',
      nodeGroups: [
        // Everything but analytics and the re-shard Job runs on demand: 75 nodes hold its pods at their HPA maxima.
        { id: 'General', instanceTypes: ['m7g.xlarge', 'm6g.xlarge'], capacityType: 'ON_DEMAND', minNodes: 6, desiredNodes: 9, maxNodes: 75, diskGiB: 50 },
        { id: 'Spot', instanceTypes: ['m7g.xlarge', 'm6g.xlarge', 'c7g.xlarge', 'c6g.xlarge'], capacityType: 'SPOT', minNodes: 0, desiredNodes: 3, maxNodes: 9, diskGiB: 50 },
      ],
      // The roadmap's spot workloads: analytics and batch processing.
      spot: { services: ['analytics'], jobs: ['reshard'] },
      services: podServices(
        { cpuMillis: 500, memoryMiB: 512, minReplicas: 3, maxReplicas: 30, targetCpuPercent: 60 },
        ['order', 'product', 'inventory'],
        { cpuMillis: 1_000, memoryMiB: 1_024, minReplicas: 6, maxReplicas: 60, targetCpuPercent: 60 },
      ),
      // 15 minutes covers a new node (about 3) and a ready pod (about 1) with room to spare; the
      // trend is fitted over twice that; yesterday's and last week's curve catch the evening peak
      // and the weekend before the trend can see them.
      predictiveScaling: { lookaheadMinutes: 15, trendWindowMinutes: 30, seasonalOffsetsDays: [1, 7] },
    },
    // The roadmap's 1m step "Implement event sourcing and CQRS"; the lag alarm at its 5 s replication-lag threshold.
    eventSourcing: { readModelLagAlarmSeconds: 5 },
  },
  monitoring: roadmapMonitoring(500),
  deviations: [
    'Redis: 6 shards of 3 nodes in each of 3 regions: the roadmap\'s 54 nodes in all.',
    'Kafka: 12 brokers per region (a multiple of 3 AZs) carry 100 partitions per topic within the per-broker limit.',
  ],
};
