import { PHASE_1K } from './1k';
import { databases, NGINX_DEFAULTS, roadmapMonitoring, topics } from './builders';
import { PhaseSpec } from './spec';

/** Phase 2 (Read replicas and horizontal scaling): a replica per database, 4 app servers, 3 brokers. */
export const PHASE_10K: PhaseSpec = {
  ...PHASE_1K,
  name: '10k',
  title: 'Read replicas and horizontal scaling',
  slo: {
    dailyUsers: 10_000,
    budgetUsdPerMonth: 1_500,
    checkoutResponseMs: 1_500,
    uptimePercent: 99.9,
    nextPhaseTriggerDailyUsers: 8_000,
  },
  regions: [{ ...PHASE_1K.regions[0], natGateways: 3 }],
  postgres: {
    ...PHASE_1K.postgres,
    instances: databases(
      { instanceClass: 't4g.medium', multiAz: true, storageGiB: 50, maxStorageGiB: 200, readReplicas: 1, backupRetentionDays: 7 },
      1,
    ),
  },
  documentDb: {
    instanceCluster: { instances: 2, instanceClass: 't4g.medium', backupRetentionDays: 7 },
  },
  cache: { ...PHASE_1K.cache, nodeType: 'cache.t4g.medium', shardsPerRegion: 1, snapshotRetentionDays: 3 },
  streaming: { ...PHASE_1K.streaming, brokerType: 'kafka.m7g.large', brokersPerRegion: 3, topics: topics(6) },
  compute: {
    monolith: {
      fleet: { instanceType: 't4g.medium', minInstances: 4, maxInstances: 6, targetCpuPercent: 60, rootVolumeGiB: 20 },
      nginx: NGINX_DEFAULTS,
    },
  },
  monitoring: roadmapMonitoring(1_500),
  deviations: [
    'Redis: 3 nodes as 1 shard with 2 replicas; the cluster grows by shards from here on.',
  ],
};
