/**
 * Where orders live: one database (optionally with replicas), or shards by customer.
 *
 * Sharding: a customer's orders hash into one of ORDER_BUCKETS logical buckets; the
 * directory (`shard_map` in ORDERS_DB_URL) maps buckets to shards. The truth is each shard's
 * `bucket_ownership`: every write transaction holds its bucket's row FOR SHARE and checks it
 * is owned, so the re-shard tool can fence a bucket by taking the row FOR UPDATE. A writer
 * that finds its bucket gone reloads the map and retries on the new shard.
 */
import type { Pool, PoolClient } from 'pg';
import { transaction } from '../shared/db';
import { AppError } from '../shared/errors';
import { AnswerAtHome } from '../shared/region';
import type { Runtime } from '../shared/runtime';

class BucketMoved extends Error {
  constructor(readonly bucket: number) {
    super(`bucket ${bucket} is not owned by this shard`);
  }
}

export interface OrderStore {
  readonly sharded: boolean;
  /** Whether `replica()` may lag the truth, so that read-your-writes must send some reads to `primary()`. */
  readonly staleReads: boolean;
  /** A write transaction on the shard that owns `bucket`. */
  writeTx<T>(bucket: number, fn: (c: PoolClient) => Promise<T>): Promise<T>;
  /** A single statement on the owning shard's primary (unsharded only: no fence needed for reads). */
  primary(bucket: number): Promise<Pool>;
  /** Pool for reads that tolerate staleness. */
  replica(bucket: number): Promise<Pool>;
  /** Every primary pool (for the outbox relay). */
  allPrimaries(): { name: string; pool: Pool }[];
  /** Re-reads the bucket map; true if it changed. */
  refresh(): Promise<boolean>;
}

class SingleOrderStore implements OrderStore {
  readonly sharded = false;
  private next = 0;
  constructor(
    private readonly pool: Pool,
    private readonly replicas: Pool[],
    readonly staleReads = replicas.length > 0,
  ) {}
  writeTx<T>(_bucket: number, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return transaction(this.pool, fn);
  }
  primary(): Promise<Pool> {
    return Promise.resolve(this.pool);
  }
  replica(): Promise<Pool> {
    if (this.replicas.length === 0) return Promise.resolve(this.pool);
    this.next = (this.next + 1) % this.replicas.length;
    return Promise.resolve(this.replicas[this.next]);
  }
  allPrimaries() {
    return [{ name: 'orders', pool: this.pool }];
  }
  refresh(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

class ShardedOrderStore implements OrderStore {
  readonly sharded = true;
  readonly staleReads = false;
  private map: number[] = [];
  private loading: Promise<boolean> | undefined;

  constructor(
    private readonly directory: Pool,
    private readonly shards: Pool[],
    private readonly buckets: number,
    private readonly maxWaitMs = 10000,
  ) {}

  async refresh(): Promise<boolean> {
    if (!this.loading) {
      this.loading = (async () => {
        const rows = (await this.directory.query<{ bucket: number; shard: number }>('SELECT bucket, shard FROM shard_map')).rows;
        const next = new Array<number>(this.buckets).fill(-1);
        for (const r of rows) if (r.bucket < this.buckets) next[r.bucket] = r.shard;
        const changed = next.some((s, i) => s !== this.map[i]);
        this.map = next;
        return changed;
      })().finally(() => {
        this.loading = undefined;
      });
    }
    return this.loading;
  }

  private async shardOf(bucket: number): Promise<number> {
    if (this.map.length === 0) await this.refresh();
    const s = this.map[bucket];
    if (s === undefined || s < 0 || s >= this.shards.length) {
      throw new AppError('INTERNAL', `bucket ${bucket} maps to shard ${s}, which is not in ORDER_SHARD_URLS`);
    }
    return s;
  }

  async writeTx<T>(bucket: number, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.maxWaitMs;
    for (let attempt = 0; ; attempt++) {
      const shard = await this.shardOf(bucket);
      try {
        return await transaction(this.shards[shard], async (c) => {
          const r = await c.query<{ owned: boolean }>('SELECT owned FROM bucket_ownership WHERE bucket = $1 FOR SHARE', [bucket]);
          if (!r.rows[0]?.owned) throw new BucketMoved(bucket);
          return fn(c);
        });
      } catch (e) {
        if (!(e instanceof BucketMoved) || Date.now() > deadline) throw e;
        // The bucket is being cut over: wait for the directory to name its new shard.
        await this.refresh();
        await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** Math.min(attempt, 6))));
      }
    }
  }

  async primary(bucket: number): Promise<Pool> {
    return this.shards[await this.shardOf(bucket)];
  }

  async replica(bucket: number): Promise<Pool> {
    return this.primary(bucket);
  }

  allPrimaries() {
    return this.shards.map((pool, i) => ({ name: `order-shard-${i}`, pool }));
  }
}

/**
 * Orders in a secondary region: every pool of `local` is a read-only replica of the primary
 * region's (its "primaries" here are replicas). Reads that tolerate lag use them; a read that
 * needs the truth (`primary`) is answered at home ({@link AnswerAtHome}); a write is a bug, since
 * writes are forwarded before any handler runs, and fails before reaching a read-only database.
 */
class SecondaryOrderStore implements OrderStore {
  readonly staleReads = true;
  constructor(private readonly local: OrderStore) {}
  get sharded(): boolean {
    return this.local.sharded;
  }
  writeTx<T>(bucket: number): Promise<T> {
    return Promise.reject(new Error(`an order write (bucket ${bucket}) reached a secondary region; writes are made in the primary region`));
  }
  primary(): Promise<Pool> {
    return Promise.reject(new AnswerAtHome('an order read that needs the primary'));
  }
  replica(bucket: number): Promise<Pool> {
    return this.local.primary(bucket);
  }
  allPrimaries(): { name: string; pool: Pool }[] {
    return [];
  }
  refresh(): Promise<boolean> {
    return this.local.refresh();
  }
}

/**
 * The order store this process's configuration describes: the shards (SHARDING, with the bucket
 * directory in ORDERS_DB_URL) or the orders database and its replicas; in a secondary region, the
 * read-only view of either.
 */
export function createOrderStore(rt: Runtime): OrderStore {
  const c = rt.cfg;
  let store: OrderStore;
  if (c.SHARDING) {
    const shards = c.ORDER_SHARD_URLS.map((u) => rt.pool(u, `${rt.service}:order-shard`, c.DB_POOL_MAX));
    store = new ShardedOrderStore(rt.db('orders').primary, shards, c.ORDER_BUCKETS);
  } else {
    const d = rt.db('orders');
    store = new SingleOrderStore(d.primary, d.replicas);
  }
  return rt.region.secondary ? new SecondaryOrderStore(store) : store;
}
