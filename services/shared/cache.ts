/**
 * Cache-aside over Redis (cluster or standalone). A cache failure never fails a read: the
 * caller falls through to the database. Entries are deleted by event consumers when the data
 * changes, and expire after CACHE_TTL_SECONDS as a backstop.
 *
 * In a secondary region the cache is a read-only Global Datastore member: it is only read (what
 * the primary region cached replicates here); a miss is loaded from the local replica and not
 * cached, and nothing is invalidated here (the primary's deletions replicate).
 */
import { Cluster, Redis } from 'ioredis';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

export class Cache {
  constructor(
    readonly redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
    private readonly readOnly = false,
    /** Whether reads go through the cache now (the catalogue-cache flag); off: straight to the store. */
    private readonly enabled?: () => Promise<boolean>,
  ) {}

  /** A Redis client from config (cluster when REDIS_CLUSTER_NODES is set), or undefined when no Redis is configured. */
  static connect(cfg: Config): Redis | Cluster | undefined {
    return Cache.connectTo(cfg.REDIS_CLUSTER_NODES, cfg.REDIS_URL, cfg);
  }

  /** The primary region's Redis (HOME_REDIS_*), with the local cache's TLS and AUTH: a Global Datastore shares its token. */
  static connectHome(cfg: Config): Redis | Cluster | undefined {
    return Cache.connectTo(cfg.HOME_REDIS_CLUSTER_NODES, cfg.HOME_REDIS_URL, cfg);
  }

  private static connectTo(clusterNodes: string[], url: string | undefined, cfg: Pick<Config, 'REDIS_TLS' | 'REDIS_PASSWORD'>): Redis | Cluster | undefined {
    if (clusterNodes.length === 0 && !url) return undefined;
    const common = {
      enableAutoPipelining: true,
      maxRetriesPerRequest: 1,
      commandTimeout: 500,
      lazyConnect: false,
      ...(cfg.REDIS_TLS ? { tls: {} } : {}),
      ...(cfg.REDIS_PASSWORD ? { password: cfg.REDIS_PASSWORD } : {}),
    };
    const redis =
      clusterNodes.length > 0
        ? new Cluster(
            clusterNodes.map((hp) => {
              const [host, port] = hp.split(':');
              return { host: host, port: Number(port) };
            }),
            { enableAutoPipelining: true, redisOptions: common, slotsRefreshTimeout: 2000, ...(cfg.REDIS_TLS ? { dnsLookup: (a, cb) => cb(null, a) } : {}) },
          )
        : new Redis(url!, common);
    redis.on('error', () => undefined);
    return redis;
  }

  key(kind: string, id: string): string {
    // The hash tag keeps a kind's key in one slot per id only; keys of different ids spread.
    return `${this.prefix}${kind}:{${id}}`;
  }

  /** Reads `ids` through the cache; `load` is called once with the misses. */
  async getMany<T>(kind: string, ids: string[], load: (missing: string[]) => Promise<Map<string, T>>): Promise<Map<string, T>> {
    // Switched off: nothing is read or filled here; invalidation goes on, so that no entry is stale when it is switched on again.
    if (this.enabled && !(await this.enabled())) {
      this.metrics?.cache.inc({ kind, result: 'bypass' }, ids.length);
      return load(ids);
    }
    const out = new Map<string, T>();
    let cached: (string | null)[] = ids.map(() => null);
    try {
      cached = await Promise.all(ids.map((id) => this.redis.get(this.key(kind, id))));
    } catch (err) {
      this.metrics?.cache.inc({ kind, result: 'error' });
      this.log.debug({ err }, 'cache read failed');
    }
    const missing: string[] = [];
    ids.forEach((id, i) => {
      const v = cached[i];
      if (v != null) {
        out.set(id, JSON.parse(v) as T);
        this.metrics?.cache.inc({ kind, result: 'hit' });
      } else {
        missing.push(id);
        this.metrics?.cache.inc({ kind, result: 'miss' });
      }
    });
    if (missing.length > 0) {
      const loaded = await load(missing);
      if (this.readOnly) {
        for (const [id, v] of loaded) out.set(id, v);
        return out;
      }
      const writes: Promise<unknown>[] = [];
      for (const [id, v] of loaded) {
        out.set(id, v);
        writes.push(this.redis.set(this.key(kind, id), JSON.stringify(v), 'EX', this.ttlSeconds));
      }
      await Promise.all(writes).catch(() => this.metrics?.cache.inc({ kind, result: 'error' }));
    }
    return out;
  }

  async invalidate(kind: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    if (this.readOnly) throw new Error('a read-only cache is not invalidated here: the primary region\'s deletions replicate to it');
    await Promise.all(ids.map((id) => this.redis.del(this.key(kind, id))));
    this.metrics?.cache.inc({ kind, result: 'invalidated' }, ids.length);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  close(): Promise<void> {
    this.redis.disconnect();
    return Promise.resolve();
  }
}
