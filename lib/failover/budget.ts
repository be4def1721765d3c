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
 * The time from the loss of the primary region until every user's checkout succeeds in the new
 * one, as arithmetic, all of it in series: Route 53 detects the loss in interval x threshold
 * (the secondaries, whose health is home's, go out with it, and Route 53 then answers as if all
 * were healthy); with the promotion started then, the stores are promoted in parallel (the
 * slowest counts), the services read the new home within one poll and restart in their new role;
 * the new primary's check passes threshold times in a row, Route 53 sends everyone there, and
 * resolvers that still hold the old answer drop it within the record's TTL (`dns.ttlSeconds`).
 * The on-call's decision to start (the page, then `npm run failover -- --yes`) is not in it: it is
 * the one part no arithmetic bounds.
 */
export function failoverBudget(spec: PhaseSpec): FailoverBudget {
  const h = spec.dns.healthCheck;
  const checks = h.intervalSeconds * h.failureThreshold;
  // The stores are promoted in parallel: the slowest (the first of equals) is the one on the critical path.
  const stores = [
    { part: 'PostgreSQL replicas promoted', d: DURATIONS.postgresPromotion, note: '' },
    { part: 'DocumentDB global cluster failed over', d: DURATIONS.documentDbFailover, note: '; in parallel with PostgreSQL' },
    { part: 'Global Datastore failed over', d: DURATIONS.cacheFailover, note: '; in parallel with PostgreSQL' },
  ];
  const slowest = stores.reduce((a, b) => (b.d.seconds > a.d.seconds ? b : a));
  const rows: BudgetRow[] = [
    { part: 'Detection: Route 53 health checks fail', seconds: checks, critical: true, source: `${h.intervalSeconds} s interval x ${h.failureThreshold} failures (spec: dns.healthCheck)` },
    ...stores.map((s) => ({ part: s.part, seconds: s.d.seconds, critical: s === slowest, source: `${s.d.source}${s.note}` })),
    { part: 'Services read the new home', seconds: HOME_POLL_SECONDS, critical: true, source: 'one poll of the home parameter (HOME_REGION_POLL_MS)' },
    { part: 'Services restart in their new role', seconds: DURATIONS.serviceRestart.seconds, critical: true, source: DURATIONS.serviceRestart.source },
    { part: 'Route 53 takes the new primary back', seconds: checks, critical: true, source: `${h.failureThreshold} passing checks in a row, ${h.intervalSeconds} s apart` },
    { part: 'Resolvers drop the old answer', seconds: spec.dns.ttlSeconds, critical: true, source: 'the api record\'s TTL (spec: dns.ttlSeconds)' },
  ];
  return { phase: spec.name, rows, totalSeconds: rows.filter((r) => r.critical).reduce((sum, r) => sum + r.seconds, 0) };
}
