import { PHASE_50K } from './50k';
import { databases, podServices, roadmapMonitoring } from './builders';
import { US_WEST_2 } from './regions';
import { PhaseSpec } from './spec';

/** Phase 5 (Multi-region): us-west-2 beside us-east-1, each with its own network, cache and Kafka. */
export const PHASE_70K: PhaseSpec = {
  ...PHASE_50K,
  name: '70k',
  title: 'Multi-region deployment',
  slo: {
    dailyUsers: 70_000,
    budgetUsdPerMonth: 25_000,
    checkoutResponseMs: 600,
    uptimePercent: 99.99,
    nextPhaseTriggerDailyUsers: 60_000,
  },
  regions: [...PHASE_50K.regions, US_WEST_2],
  postgres: {
    ...PHASE_50K.postgres,
    instances: databases(
      { instanceClass: 'r7g.large', multiAz: true, storageGiB: 200, maxStorageGiB: 1_000, readReplicas: 1, backupRetentionDays: 21 },
      6,
    ),
  },
  cache: {
    ...PHASE_50K.cache,
    nodeType: 'cache.r7g.large',
    globalDatastore: true,
    joinedGlobalDatastoreWith: { nodeType: 'cache.r7g.large', shardsPerRegion: PHASE_50K.cache.shardsPerRegion },
  },
  streaming: { ...PHASE_50K.streaming, mirrorMaker: { tasksMax: 12, cpuMillis: 1_000, memoryMiB: 2_048 } },
  compute: {
    gateway: { throttleRatePerSecond: 3_000, throttleBurst: 6_000, weights: { eks: 100 }, edge: PHASE_50K.compute.gateway?.edge },
    eks: {
      kubernetesVersion: '1.35',
      nodeGroups: [
        { id: 'General', instanceTypes: ['m7g.large', 'm6g.large'], capacityType: 'ON_DEMAND', minNodes: 3, desiredNodes: 6, maxNodes: 26, diskGiB: 50 },
      ],
      services: podServices(
        { cpuMillis: 250, memoryMiB: 384, minReplicas: 2, maxReplicas: 8, targetCpuPercent: 60 },
        ['order', 'product', 'inventory'],
        { cpuMillis: 500, memoryMiB: 512, minReplicas: 3, maxReplicas: 16, targetCpuPercent: 60 },
      ),
    },
  },
  monitoring: roadmapMonitoring(600),
  deviations: [
    'Kafka: 9 brokers per region, not the roadmap\'s 7: MSK needs a broker count that is a multiple of its 3 AZs.',
    'Redis: r7g.large nodes, the smallest kind a Global Datastore accepts.',
  ],
};
