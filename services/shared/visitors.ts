/**
 * Daily users: distinct visitors over the last 24 hours, counted across every instance of every
 * service in one Redis HyperLogLog per hour (about 12 KiB each, 0.81% standard error).
 *
 * A visitor is the `X-Visitor-Id` header the storefront sends from its first-party cookie, or,
 * without it, the client's address (the first `X-Forwarded-For` hop that the load balancer or
 * Nginx adds). Probes and calls between services are not visitors. Requests record visitors
 * in memory; once a second one PFADD per hour key sends them, so the cost per request is a Set
 * insert. A secondary region's cache is read-only: there the counts go to the primary region's
 * Redis (HOME_REDIS_*), still once a second, or are not made. This is the figure the capacity alarm compares with the phase's daily users.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from './logger';

const HOUR_MS = 3600_000;
/** Hour keys outlive the 24-hour window by a margin, then expire on their own. */
const KEY_TTL_SECONDS = 26 * 3600;
/** A visitor id longer than this is cut: ids are opaque, and HLL only needs them distinct. */
const MAX_ID_LENGTH = 128;

export class DailyVisitors {
  private pending = new Set<string>();
  private pendingHour = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly flushMs = 1000,
  ) {}

  /**
   * One key per UTC hour; the `{visitors}` hash tag puts all of them in one cluster slot, so a
   * single PFCOUNT can merge 24 of them.
   */
  key(hourStartMs: number): string {
    return `${this.prefix}{visitors}:${new Date(hourStartMs).toISOString().slice(0, 13)}`;
  }

  /** Records a visit (cheap: the id is sent with the next flush). */
  seen(visitor: string): void {
    const hour = Math.floor(this.now() / HOUR_MS) * HOUR_MS;
    if (hour !== this.pendingHour && this.pending.size > 0) void this.flush();
    this.pendingHour = hour;
    this.pending.add(visitor.length > MAX_ID_LENGTH ? visitor.slice(0, MAX_ID_LENGTH) : visitor);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushMs);
  }

  /** Sends the visits recorded so far. A Redis failure drops them (the count is an estimate) and is logged. */
  flush(): Promise<void> {
    if (this.pending.size === 0) return this.flushing;
    const ids = [...this.pending];
    const key = this.key(this.pendingHour);
    this.pending = new Set();
    this.flushing = this.flushing
      .then(async () => {
        // Sent together (auto-pipelined): one round trip, which matters when Redis is in another region.
        await Promise.all([this.redis.pfadd(key, ...ids), this.redis.expire(key, KEY_TTL_SECONDS)]);
      })
      .catch((err: unknown) => this.log.warn({ err, visitors: ids.length }, 'could not record visitors'));
    return this.flushing;
  }

  /** Distinct visitors over the last 24 hours (this hour and the 23 before it). */
  async count(): Promise<number> {
    const hour = Math.floor(this.now() / HOUR_MS) * HOUR_MS;
    const keys = Array.from({ length: 24 }, (_, i) => this.key(hour - i * HOUR_MS));
    return this.redis.pfcount(...keys);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}

/** Marks a call from one service to another: it is not a visitor (services/shared/service-client.ts sets it). */
export const INTERNAL_CALL_HEADER = 'x-orders-internal-call';

/** The visitor a request belongs to: its X-Visitor-Id, else the client's first forwarded address, else the peer. */
export function visitorOf(headers: Record<string, string | string[] | undefined>, peer: string): string {
  const header = (name: string) => {
    const v = headers[name];
    return (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
  };
  const id = header('x-visitor-id');
  if (id) return `v:${id}`;
  const forwarded = header('x-forwarded-for')?.split(',')[0]?.trim();
  return `a:${forwarded || peer}`;
}
