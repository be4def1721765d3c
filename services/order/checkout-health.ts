/**
 * GET /health/checkout: whether this region can accept a checkout now. Route 53 checks it through
 * each region's public API and takes a region out of DNS when it fails, so it answers for the
 * region, not for one instance (that is /readyz, which tolerates blips):
 *
 * - primary: every store a checkout writes or reads answers and, where it writes, is writable
 *   (`pg_is_in_recovery()` false: a promoted replica passes, a demoted primary fails). The order
 *   store's primaries (the bucket directory and each shard when sharded), the inventory database
 *   when this process hosts inventory or the PostgreSQL catalogue (stock and prices are read
 *   there, reservations written by the saga), and the /readyz of each service the checkout calls
 *   over HTTP (product, inventory, payment).
 * - secondary: the `region-writes` flag is on and the home region's /health/checkout answers 200
 *   (writes are forwarded there).
 *
 * Each check has a short timeout, and one result serves every request for CACHE_MS: Route 53's
 * checkers (about 15 per record, every 10 s) never reach the databases more than once per period.
 */
import type { Pool } from 'pg';
import type { Domain } from '../shared/config';
import { withTimeout } from '../shared/readiness';
import type { Runtime } from '../shared/runtime';
import type { OrderStore } from './store';

/** Longest one check may take. */
const CHECK_TIMEOUT_MS = 1000;
/** How long one result is served. */
const CACHE_MS = 2000;

export interface CheckoutHealthReport {
  ok: boolean;
  role: 'primary' | 'secondary';
  region: string;
  /** Each check: `ok` or why it failed. */
  checks: Record<string, string>;
  checkedAt: string;
}

interface Check {
  name: string;
  run(): Promise<void>;
}

async function writable(pool: Pool): Promise<void> {
  const r = await pool.query<{ ro: boolean }>('SELECT pg_is_in_recovery() AS ro');
  if (r.rows[0]?.ro) throw new Error('read-only: the database is a standby (in recovery)');
}

async function answers200(url: string, timeoutMs: number): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
}

/** The checks of a process in its role (see the file comment). */
export function checkoutChecks(rt: Runtime, store: OrderStore): Check[] {
  const cfg = rt.cfg;
  if (rt.region.secondary) {
    return [
      {
        name: 'region-writes',
        run: async () => {
          if (!(await rt.flags().enabled('region-writes'))) throw new Error('the region-writes flag is off: this region takes no writes');
        },
      },
      { name: 'home', run: () => answers200(`${cfg.HOME_API_URL}/health/checkout`, CHECK_TIMEOUT_MS) },
    ];
  }
  const checks: Check[] = [];
  if (store.sharded) checks.push({ name: 'orders-directory', run: () => writable(rt.db('orders').primary) });
  for (const p of store.allPrimaries()) checks.push({ name: p.name, run: () => writable(p.pool) });
  if (rt.hosts('inventory') || (rt.hosts('product') && cfg.CATALOG_STORE === 'postgres')) checks.push({ name: 'inventory', run: () => writable(rt.db('inventory').primary) });
  for (const d of ['product', 'inventory', 'payment'] as Domain[]) {
    const url = cfg.SERVICE_URLS[d];
    if (!rt.hosts(d) && url) checks.push({ name: `${d}-service`, run: () => answers200(`${url}/readyz`, CHECK_TIMEOUT_MS) });
  }
  return checks;
}

/** Runs the checks at most once per {@link CACHE_MS}; concurrent requests share one run. */
export class CheckoutHealth {
  private last: { at: number; report: CheckoutHealthReport } | undefined;
  private running: Promise<CheckoutHealthReport> | undefined;

  constructor(
    private readonly checks: readonly Check[],
    private readonly who: Pick<CheckoutHealthReport, 'role' | 'region'>,
    private readonly now: () => number = Date.now,
  ) {}

  report(): Promise<CheckoutHealthReport> {
    if (this.last && this.now() - this.last.at < CACHE_MS) return Promise.resolve(this.last.report);
    this.running ??= this.evaluate().finally(() => (this.running = undefined));
    return this.running;
  }

  private async evaluate(): Promise<CheckoutHealthReport> {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        try {
          await withTimeout(c.run(), CHECK_TIMEOUT_MS);
          return [c.name, 'ok'] as const;
        } catch (err) {
          return [c.name, (err as Error).message || 'failed'] as const;
        }
      }),
    );
    const checks = Object.fromEntries(results);
    const report: CheckoutHealthReport = { ok: results.every(([, r]) => r === 'ok'), ...this.who, checks, checkedAt: new Date(this.now()).toISOString() };
    this.last = { at: this.now(), report };
    return report;
  }
}
