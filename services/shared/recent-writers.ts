/**
 * Read-your-writes: who wrote recently, so that their reads skip lagging replicas.
 *
 * A write is remembered in this process and, with a cache, marked in Redis for
 * READ_YOUR_WRITES_WINDOW_MS (awaited, so the marker is there before the customer has the
 * answer): every instance, and every secondary region through the Global Datastore's
 * replication, knows too. A secondary region only reads markers; it also remembers the writes it
 * forwarded home, because its copy of the marker may arrive after the customer's next request.
 *
 * What an unreadable marker means is the caller's choice: in the primary region "not known"
 * (the read goes to a replica, as before read/write splitting knew better); in a secondary "may
 * have written" (the read goes home): a customer must see the order they were just shown.
 */
import type { Cache } from './cache';

export interface RecentWritersOptions {
  windowMs: number;
  /** Where markers are read (and, when `markers` is 'write', written). */
  cache?: Cache;
  markers: 'write' | 'read';
  /** The answer when no marker can be read (no cache, or Redis failed). */
  whenUnknown: boolean;
}

/** Remembered writers at most; past this the memory starts over (markers still answer). */
const MAX_REMEMBERED = 100_000;

export class RecentWriters {
  private readonly memory = new Map<string, number>();

  constructor(private readonly o: RecentWritersOptions) {}

  /** A customer wrote through this process. */
  async wrote(customerId: string): Promise<void> {
    this.remember(customerId);
    const cache = this.o.cache;
    if (cache && this.o.markers === 'write' && this.o.windowMs > 0) {
      await cache.redis.set(cache.key('wrote', customerId), '1', 'PX', this.o.windowMs).catch(() => undefined);
    }
  }

  /** A customer wrote elsewhere (a write this secondary forwarded home): this process knows, Redis is not told. */
  remember(customerId: string): void {
    if (this.memory.size >= MAX_REMEMBERED) this.memory.clear();
    this.memory.set(customerId, Date.now());
  }

  /** Whether `customerId` wrote within the window. */
  async recently(customerId: string | undefined): Promise<boolean> {
    if (!customerId) return false;
    const t = this.memory.get(customerId);
    if (t !== undefined && Date.now() - t < this.o.windowMs) return true;
    const cache = this.o.cache;
    if (!cache) return this.o.whenUnknown;
    try {
      return (await cache.redis.get(cache.key('wrote', customerId))) !== null;
    } catch {
      return this.o.whenUnknown;
    }
  }
}
