import type { FlagsSpec } from './spec';

/**
 * The feature flags of every phase. Change a value here and deploy the monitoring stacks
 * (`npx cdk deploy -c phase=NAME --exclusively 'orders-*-monitoring'`) to roll it out gradually; the services are
 * not deployed again. The roadmap's "10% → 50% → 100%" as AppConfig can step: exponential from
 * 10 % (10, 20, 40, 80, 100 %) over 20 minutes, then 10 minutes of bake time in which a rollback
 * alarm still rolls the change back.
 */
export const FLAGS: FlagsSpec = {
  definitions: {
    'catalogue-cache': {
      name: 'Catalogue cache',
      description:
        'Product and stock reads go through the Redis cache (CACHE). Off: they are read from the stores directly and nothing is cached; invalidation goes on, so that turning it back on serves no stale entry. A kill switch for a misbehaving cache.',
      enabled: true,
    },
    'cqrs-reads': {
      name: 'CQRS reads',
      description:
        'With event sourcing (EVENT_SOURCING), order reads are answered from the projection of the event log. Off: from the order tables, which checkout and the saga keep writing; the projection keeps being built.',
      enabled: true,
    },
    'region-writes': {
      name: 'Writes through secondary regions',
      description:
        'A secondary region takes writes (checkout, catalogue and user changes) and forwards them home, one cross-region round trip each. Off: it answers writes 503 WRITES_AT_HOME_ONLY with Retry-After, and its /health/checkout fails, so Route 53 sends its users to a region that takes them within about 40 s; reads go on. A kill switch for a new region\'s write path; it does nothing in the primary region.',
      enabled: true,
    },
  },
  rollout: { growth: 'EXPONENTIAL', growthFactorPercent: 10, deploymentMinutes: 20, finalBakeMinutes: 10 },
  pollSeconds: 30,
};
