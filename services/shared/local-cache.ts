/**
 * The in-process layer in front of Redis: a bounded LRU of the hottest catalogue entries in
 * each instance. Every instance hears the change events itself (a listener with a group of its
 * own, see {@link ListenerSpec}) and drops the entry; entries also expire after
 * LOCAL_CACHE_TTL_MS, so a change is visible in every instance within that time even when an
 * event is late or lost (and in a secondary region, where the listener only hears mirrored events).
 *
 * An event carrying the new version also sets a floor: a value older than it, read from a Redis
 * entry that is not yet deleted or by a read that raced the event, is served but not kept.
 */
import { LRUCache } from 'lru-cache';
import type { Metrics } from './metrics';

interface Entry<T> {
  value: T;
}

export class LocalCache<T extends { version?: number }> {
  private readonly entries: LRUCache<string, Entry<T>>;
  /** The lowest version each recently changed id may be kept at. */
  private readonly floors: LRUCache<string, number>;

  constructor(
    private readonly kind: string,
    readonly maxEntries: number,
    readonly ttlMs: number,
    private readonly metrics?: Metrics,
  ) {
    this.entries = new LRUCache({ max: maxEntries, ttl: ttlMs });
    this.floors = new LRUCache({ max: maxEntries, ttl: ttlMs });
  }

  /** Reads `ids` through this cache; `load` is called once with the misses (the next layer). */
  async getMany(ids: string[], load: (missing: string[]) => Promise<Map<string, T>>): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    const missing: string[] = [];
    for (const id of ids) {
      const e = this.entries.get(id);
      if (e) out.set(id, e.value);
      else missing.push(id);
    }
    this.count('hit', ids.length - missing.length);
    this.count('miss', missing.length);
    if (missing.length === 0) return out;
    const loaded = await load(missing);
    for (const [id, v] of loaded) {
      out.set(id, v);
      const floor = this.floors.get(id);
      if (floor === undefined || (v.version ?? 0) >= floor) this.entries.set(id, { value: v });
    }
    return out;
  }

  /** Drops `id`; with the version the change produced, older values are not kept again. */
  invalidate(id: string, version?: number): void {
    this.entries.delete(id);
    if (version !== undefined) this.floors.set(id, Math.max(version, this.floors.get(id) ?? 0));
    this.count('invalidated', 1);
  }

  get size(): number {
    return this.entries.size;
  }

  private count(result: string, n: number): void {
    if (n > 0) this.metrics?.cache.inc({ kind: this.kind, result }, n);
  }
}
