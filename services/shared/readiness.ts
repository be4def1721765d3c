/**
 * Readiness: whether a load balancer should send this process requests.
 *
 * Not ready while draining (SIGTERM received), and while a dependency has never answered since
 * start (a new instance with a bad address or password never takes traffic, so a rollout of a
 * broken configuration stops at its first pod). Once a dependency has answered, its failures are
 * tolerated for `toleranceMs` of continuous failure: PostgreSQL and Redis are shared by every
 * instance, so a failover (RDS Multi-AZ: typically 60-120 s; an ElastiCache primary: under a
 * minute) fails them all at the same moment, and marking them all unready would empty every
 * target group and add the health checks' re-admission time to the outage. Requests that need
 * the dependency fail meanwhile and succeed as soon as it is back. A failure that outlasts the
 * tolerance (this instance's connections broken, a network partition of its node) takes the
 * instance out. Liveness (/healthz) never looks at dependencies.
 */

/** A dependency check: resolves when the dependency answers. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

/** What /readyz answers. */
export interface ReadinessReport {
  ready: boolean;
  /** `ready`, `degraded` (a tolerated failure), `not ready` or `draining`. */
  status: 'ready' | 'degraded' | 'not ready' | 'draining';
  checks: Record<string, string>;
}

/** Longest a single check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 2000;

interface CheckState {
  everOk: boolean;
  failingSince?: number;
}

export class Readiness {
  private draining = false;
  private readonly states = new Map<string, CheckState>();
  private readonly checks: ReadinessCheck[];

  constructor(
    checks: readonly ReadinessCheck[],
    private readonly toleranceMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.checks = [...checks];
  }

  /** Adds a dependency (the runtime adds one when it first connects to it). */
  push(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  /** From now on the process is leaving: not ready, whatever its dependencies say. */
  drain(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async evaluate(): Promise<ReadinessReport> {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        try {
          await withTimeout(c.check(), CHECK_TIMEOUT_MS);
          return { name: c.name, error: undefined };
        } catch (err) {
          return { name: c.name, error: (err as Error).message || 'failed' };
        }
      }),
    );
    const at = this.now();
    const checks: Record<string, string> = {};
    let unready = false;
    let degraded = false;
    for (const r of results) {
      const state = this.states.get(r.name) ?? { everOk: false };
      this.states.set(r.name, state);
      if (r.error === undefined) {
        state.everOk = true;
        state.failingSince = undefined;
        checks[r.name] = 'ok';
        continue;
      }
      state.failingSince ??= at;
      const failingMs = at - state.failingSince;
      if (!state.everOk) {
        unready = true;
        checks[r.name] = `never reached: ${r.error}`;
      } else if (failingMs >= this.toleranceMs) {
        unready = true;
        checks[r.name] = `failing for ${Math.round(failingMs / 1000)} s (tolerated ${Math.round(this.toleranceMs / 1000)} s): ${r.error}`;
      } else {
        degraded = true;
        checks[r.name] = `failing for ${Math.round(failingMs / 1000)} s, tolerated for ${Math.round(this.toleranceMs / 1000)} s: ${r.error}`;
      }
    }
    if (this.draining) return { ready: false, status: 'draining', checks };
    if (unready) return { ready: false, status: 'not ready', checks };
    return { ready: true, status: degraded ? 'degraded' : 'ready', checks };
  }
}

/** `p`, or a rejection naming `ms` when it takes longer. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
