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
  const stores = [DURATIONS.postgresPromotion, DURATIONS.documentDbFailover, DURATIONS.cacheFailover];
  const slowest = Math.max(...stores.map((d) => d.seconds));
  const afterDetection = slowest + HOME_POLL_SECONDS + DURATIONS.serviceRestart.seconds;
  const ttlCritical = DURATIONS.dnsTtl.seconds > afterDetection;
  const rows: BudgetRow[] = [
    { part: 'Detection: Route 53 health checks fail', seconds: h.intervalSeconds * h.failureThreshold, critical: true, source: `${h.intervalSeconds} s interval x ${h.failureThreshold} failures (spec: dns.healthCheck)` },
    { part: 'DNS: resolvers drop the failed region', seconds: DURATIONS.dnsTtl.seconds, critical: ttlCritical, source: DURATIONS.dnsTtl.source },
    { part: 'PostgreSQL replicas promoted', seconds: DURATIONS.postgresPromotion.seconds, critical: DURATIONS.postgresPromotion.seconds === slowest, source: DURATIONS.postgresPromotion.source },
    { part: 'DocumentDB global cluster failed over', seconds: DURATIONS.documentDbFailover.seconds, critical: false, source: `${DURATIONS.documentDbFailover.source}; in parallel with PostgreSQL` },
    { part: 'Global Datastore failed over', seconds: DURATIONS.cacheFailover.seconds, critical: false, source: `${DURATIONS.cacheFailover.source}; in parallel with PostgreSQL` },
    { part: 'Services read the new home', seconds: HOME_POLL_SECONDS, critical: true, source: 'one poll of the home parameter (HOME_REGION_POLL_MS)' },
    { part: 'Services restart in their new role', seconds: DURATIONS.serviceRestart.seconds, critical: true, source: DURATIONS.serviceRestart.source },
  ];
  const detection = rows[0].seconds;
  return { phase: spec.name, rows, totalSeconds: detection + Math.max(afterDetection, DURATIONS.dnsTtl.seconds) };
}
