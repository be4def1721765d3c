import { PHASES, PHASE_NAMES } from '../../phases';
import { FAILOVER_TARGET_SECONDS, failoverBudget } from '../../lib/failover/budget';
import { DURATIONS, HOME_POLL_SECONDS } from '../../lib/failover/plan';
import { copy } from './support/specs';

const MULTI_REGION = PHASE_NAMES.filter((name) => PHASES[name].regions.length > 1);

const row = (budget: ReturnType<typeof failoverBudget>, start: string) => {
  const found = budget.rows.find((r) => r.part.startsWith(start));
  if (!found) throw new Error(`no budget row starting with ${start}`);
  return found;
};
const criticalSum = (budget: ReturnType<typeof failoverBudget>) => budget.rows.filter((r) => r.critical).reduce((sum, r) => sum + r.seconds, 0);

describe('the failover budget', () => {
  test('70k and 1m are the phases with several regions', () => {
    expect(MULTI_REGION).toEqual(['70k', '1m']);
  });

  test.each(MULTI_REGION)('phase %s fails over in under the roadmap\'s 5 minutes', (phase) => {
    const budget = failoverBudget(PHASES[phase]);
    expect(FAILOVER_TARGET_SECONDS).toBe(300);
    expect(budget.phase).toBe(phase);
    expect(budget.totalSeconds).toBeLessThan(FAILOVER_TARGET_SECONDS);
  });

  test('detection is the health check\'s interval times its failure threshold, from the spec', () => {
    const spec = copy('70k');
    spec.dns = { ...spec.dns, healthCheck: { intervalSeconds: 30, failureThreshold: 2 } };
    const detection = row(failoverBudget(spec), 'Detection');
    expect(detection).toEqual({ part: 'Detection: Route 53 health checks fail', seconds: 60, critical: true, source: '30 s interval x 2 failures (spec: dns.healthCheck)' });
    expect(row(failoverBudget(PHASES['70k']), 'Detection').seconds).toBe(10 * 3);
  });

  test('the stores are promoted in parallel: only the slowest counts; the rest of the path is in series', () => {
    const budget = failoverBudget(PHASES['70k']);
    const stores = [DURATIONS.postgresPromotion, DURATIONS.documentDbFailover, DURATIONS.cacheFailover].map((d) => d.seconds);
    // detection + the slowest store + one poll + a restart + Route 53 taking the region back + the TTL
    expect(budget.totalSeconds).toBe(30 + Math.max(...stores) + HOME_POLL_SECONDS + DURATIONS.serviceRestart.seconds + 30 + PHASES['70k'].dns.ttlSeconds);
    expect(budget.totalSeconds).toBe(290);
    expect(budget.rows.map((r) => [r.seconds, r.critical])).toEqual([
      [30, true],
      [180, true],
      [60, false],
      [60, false],
      [10, true],
      [30, true],
      [30, true],
      [10, true],
    ]);
    expect(criticalSum(budget)).toBe(budget.totalSeconds);
  });

  test('when another store is the slowest, that store is the one on the critical path', () => {
    jest.replaceProperty(DURATIONS, 'documentDbFailover', { seconds: 200, source: 'a slower DocumentDB' } as never);
    try {
      const budget = failoverBudget(PHASES['70k']);
      expect(budget.totalSeconds).toBe(30 + 200 + 10 + 30 + 30 + 10);
      expect(row(budget, 'DocumentDB').critical).toBe(true);
      expect(row(budget, 'PostgreSQL').critical).toBe(false);
      expect(criticalSum(budget)).toBe(budget.totalSeconds);
    } finally {
      jest.restoreAllMocks();
    }
  });

  test('the api record\'s TTL comes from the spec and is on the path: an alias\'s 60 s would go over', () => {
    const spec = copy('70k');
    spec.dns = { ...spec.dns, ttlSeconds: 60 };
    const budget = failoverBudget(spec);
    expect(row(budget, 'Resolvers')).toMatchObject({ seconds: 60, critical: true });
    expect(budget.totalSeconds).toBe(340);
    expect(budget.totalSeconds).toBeGreaterThan(FAILOVER_TARGET_SECONDS);
  });

  test('a 30 s interval with a threshold of 10 goes over the 5 minutes', () => {
    const spec = copy('70k');
    spec.dns = { ...spec.dns, healthCheck: { intervalSeconds: 30, failureThreshold: 10 } };
    const budget = failoverBudget(spec);
    expect(budget.totalSeconds).toBe(300 + 180 + 10 + 30 + 300 + 10);
    expect(budget.totalSeconds).toBeGreaterThan(FAILOVER_TARGET_SECONDS);
  });
});
