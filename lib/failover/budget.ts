import { PhaseSpec } from '../../phases';
import { DURATIONS, HOME_POLL_SECONDS } from './plan';

/** One row of the failover budget. */
export interface BudgetRow {
  readonly part: string;
  readonly seconds: number;
  /** Whether the row is on the critical path (the rows summed); the others overlap with it. */
  readonly critical: boolean;
  readonly source: string;
}

/** The failover budget of a phase: its rows and the time to the first checkout in the new primary. */
export interface FailoverBudget {
  readonly phase: string;
  readonly rows: readonly BudgetRow[];
  /** Seconds from the primary region's loss until checkouts succeed in the new primary region. */
  readonly totalSeconds: number;
}

/** The roadmap's failover target (70k: "failover in under 5 minutes"). */
export const FAILOVER_TARGET_SECONDS = 5 * 60;

/**
 * The time from the loss of the primary region to the first accepted checkout in the new one, as
 * arithmetic: Route 53 detects the loss in interval x threshold and, with the promotion started
 * then, the stores are promoted in parallel (the slowest counts), the services read the new home
 * within one poll and restart in their new role. DNS moves users during the promotion, so its
 * TTL overlaps with it and counts only if it is longer. The on-call's decision to start (the page,
 * then `npm run failover -- --yes`) is not in it: it is the one part no arithmetic bounds.
 */
export function failoverBudget(spec: PhaseSpec): FailoverBudget {
  const h = spec.dns.healthCheck;
  // The stores are promoted in parallel: the slowest (the first of equals) is the one on the critical path.
  const stores = [
    { part: 'PostgreSQL replicas promoted', d: DURATIONS.postgresPromotion, note: '' },
    { part: 'DocumentDB global cluster failed over', d: DURATIONS.documentDbFailover, note: '; in parallel with PostgreSQL' },
    { part: 'Global Datastore failed over', d: DURATIONS.cacheFailover, note: '; in parallel with PostgreSQL' },
  ];
  const slowest = stores.reduce((a, b) => (b.d.seconds > a.d.seconds ? b : a));
  const afterDetection = slowest.d.seconds + HOME_POLL_SECONDS + DURATIONS.serviceRestart.seconds;
  // Whichever is longer, the TTL or the promotion and restart, is the critical path after detection.
  const ttlCritical = DURATIONS.dnsTtl.seconds > afterDetection;
  const rows: BudgetRow[] = [
    { part: 'Detection: Route 53 health checks fail', seconds: h.intervalSeconds * h.failureThreshold, critical: true, source: `${h.intervalSeconds} s interval x ${h.failureThreshold} failures (spec: dns.healthCheck)` },
    { part: 'DNS: resolvers drop the failed region', seconds: DURATIONS.dnsTtl.seconds, critical: ttlCritical, source: DURATIONS.dnsTtl.source },
    ...stores.map((s) => ({ part: s.part, seconds: s.d.seconds, critical: !ttlCritical && s === slowest, source: `${s.d.source}${s.note}` })),
    { part: 'Services read the new home', seconds: HOME_POLL_SECONDS, critical: !ttlCritical, source: 'one poll of the home parameter (HOME_REGION_POLL_MS)' },
    { part: 'Services restart in their new role', seconds: DURATIONS.serviceRestart.seconds, critical: !ttlCritical, source: DURATIONS.serviceRestart.source },
  ];
  const detection = rows[0].seconds;
  return { phase: spec.name, rows, totalSeconds: detection + Math.max(afterDetection, DURATIONS.dnsTtl.seconds) };
}
