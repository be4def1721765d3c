/**
 * Online re-sharding: moves order buckets between shards while orders are written.
 *
 * For each bucket: copy its rows to the target, catch up on rows changed meanwhile, then cut
 * over: take the bucket's ownership row FOR UPDATE on the source (waiting for the writers that
 * hold it FOR SHARE), mark it not owned (new writers back off and re-read the directory), copy
 * the rest, check source and target agree, give the target ownership, repoint the directory,
 * and delete the source's copy. Writers pause for the cut-over only.
 *
 * Outbox rows stay where they were written: the source's relay publishes them.
 */
import type { Pool, PoolClient } from 'pg';
import { transaction } from '../shared/db';

export interface MoveOptions {
  directory: Pool;
  shards: Pool[];
  bucket: number;
  to: number;
  log?: (msg: string) => void;
  /** Catch-up rounds before the cut-over (default 3). */
  catchUpRounds?: number;
}

export interface MoveResult {
  bucket: number;
  from: number;
  to: number;
  orders: number;
  pauseMs: number;
}

type Q = Pool | PoolClient;

async function copy(src: Q, dst: Q, bucket: number, since: Date | null): Promise<number> {
  let copied = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = (
      await src.query<{ id: string; o: unknown }>(
        `SELECT id, to_jsonb(o) AS o FROM orders o WHERE bucket = $1 AND id > $2 AND ($3::timestamptz IS NULL OR updated_at >= $3) ORDER BY id LIMIT 500`,
        [bucket, after, since],
      )
    ).rows;
    if (rows.length === 0) return copied;
    const ids = rows.map((r) => r.id);
    after = ids[ids.length - 1]!;
    await dst.query(
      `INSERT INTO orders SELECT * FROM jsonb_populate_recordset(NULL::orders, $1::jsonb)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, status_rank = EXCLUDED.status_rank, reason = EXCLUDED.reason, updated_at = EXCLUDED.updated_at
       WHERE orders.status_rank < EXCLUDED.status_rank OR orders.updated_at < EXCLUDED.updated_at`,
      [JSON.stringify(rows.map((r) => r.o))],
    );
    const items = (await src.query<{ j: unknown[] | null }>('SELECT jsonb_agg(to_jsonb(i)) AS j FROM order_items i WHERE order_id = ANY($1::uuid[])', [ids])).rows[0].j;
    if (items) await dst.query('INSERT INTO order_items SELECT * FROM jsonb_populate_recordset(NULL::order_items, $1::jsonb) ON CONFLICT DO NOTHING', [JSON.stringify(items)]);
    const events = (await src.query<{ j: unknown[] | null }>('SELECT jsonb_agg(to_jsonb(e) - \'position\' - \'tx\') AS j FROM order_events e WHERE order_id = ANY($1::uuid[])', [ids])).rows[0].j;
    if (events) {
      await dst.query(
        `INSERT INTO order_events (order_id, seq, bucket, type, data, recorded_at)
         SELECT order_id, seq, bucket, type, data, recorded_at FROM jsonb_populate_recordset(NULL::order_events, $1::jsonb) ON CONFLICT DO NOTHING`,
        [JSON.stringify(events)],
      );
    }
    copied += rows.length;
  }
}

async function fingerprint(q: Q, bucket: number): Promise<string> {
  const r = await q.query(
    `SELECT count(*)::int AS n, COALESCE(sum(total_cents), 0)::bigint AS total, COALESCE(sum(status_rank), 0)::bigint AS ranks,
       (SELECT count(*)::int FROM order_items i JOIN orders o2 ON o2.id = i.order_id WHERE o2.bucket = $1) AS items
     FROM orders WHERE bucket = $1`,
    [bucket],
  );
  return JSON.stringify(r.rows[0]);
}

export async function moveBucket(o: MoveOptions): Promise<MoveResult> {
  const log = o.log ?? (() => undefined);
  const from = (await o.directory.query<{ shard: number }>('SELECT shard FROM shard_map WHERE bucket = $1', [o.bucket])).rows[0]?.shard;
  if (from === undefined) throw new Error(`bucket ${o.bucket} is not in the directory`);
  if (from === o.to) return { bucket: o.bucket, from, to: o.to, orders: 0, pauseMs: 0 };
  const src = o.shards[from];
  const dst = o.shards[o.to];
  if (!src || !dst) throw new Error(`shard ${src ? o.to : from} is not in ORDER_SHARD_URLS`);
  const owned = (await dst.query<{ owned: boolean }>('SELECT owned FROM bucket_ownership WHERE bucket = $1', [o.bucket])).rows[0];
  if (owned?.owned) return finishInterrupted(o, from, src, dst, log);
  await dst.query('INSERT INTO bucket_ownership (bucket, owned) VALUES ($1, false) ON CONFLICT DO NOTHING', [o.bucket]);

  // Copy, then catch up on what changed meanwhile (with a margin for transactions in flight).
  let since: Date | null = null;
  let n = 0;
  for (let round = 0; round <= (o.catchUpRounds ?? 3); round++) {
    const started = new Date(Date.now() - 5000);
    n = await copy(src, dst, o.bucket, since);
    log(`bucket ${o.bucket}: ${round === 0 ? 'copied' : 'caught up'} ${n} orders`);
    since = started;
    if (round > 0 && n < 50) break;
  }

  // Cut over.
  const t0 = Date.now();
  let orders = 0;
  await transaction(src, async (c) => {
    await c.query('SELECT owned FROM bucket_ownership WHERE bucket = $1 FOR UPDATE', [o.bucket]);
    await c.query('UPDATE bucket_ownership SET owned = false WHERE bucket = $1', [o.bucket]);
  });
  try {
    await copy(src, dst, o.bucket, null);
    const [a, b] = await Promise.all([fingerprint(src, o.bucket), fingerprint(dst, o.bucket)]);
    if (a !== b) throw new Error(`bucket ${o.bucket}: source ${a} and target ${b} differ after the final copy`);
    orders = (JSON.parse(a) as { n: number }).n;
    await dst.query('UPDATE bucket_ownership SET owned = true WHERE bucket = $1', [o.bucket]);
    await o.directory.query('UPDATE shard_map SET shard = $2 WHERE bucket = $1', [o.bucket, o.to]);
  } catch (e) {
    // Give the bucket back to the source: nothing was deleted, writers resume there.
    await src.query('UPDATE bucket_ownership SET owned = true WHERE bucket = $1', [o.bucket]);
    throw e;
  }
  const pauseMs = Date.now() - t0;
  log(`bucket ${o.bucket}: shard ${from} -> ${o.to}, ${orders} orders, writes paused ${pauseMs} ms`);

  await dropCopy(src, o.bucket);
  return { bucket: o.bucket, from, to: o.to, orders, pauseMs };
}

/** Deletes a shard's copy of a bucket it no longer owns (the moved orders, their events and view rows). */
async function dropCopy(shard: Pool, bucket: number): Promise<void> {
  await transaction(shard, async (c) => {
    await c.query(`SELECT set_config('orders.moving_bucket', $1, true)`, [String(bucket)]);
    await c.query('DELETE FROM order_view WHERE id IN (SELECT id FROM orders WHERE bucket = $1)', [bucket]);
    await c.query('DELETE FROM order_events WHERE bucket = $1', [bucket]);
    await c.query('DELETE FROM orders WHERE bucket = $1', [bucket]);
  });
}

/**
 * The target owns the bucket but the directory still names the source: a move stopped between
 * giving the target ownership and repointing the directory. When the source no longer owns the
 * bucket and both copies agree, that move is finished (directory repointed, source copy dropped);
 * anything else is a state this tool never leaves, and is refused.
 */
async function finishInterrupted(o: MoveOptions, from: number, src: Pool, dst: Pool, log: (m: string) => void): Promise<MoveResult> {
  const srcOwned = (await src.query<{ owned: boolean }>('SELECT owned FROM bucket_ownership WHERE bucket = $1', [o.bucket])).rows[0]?.owned ?? false;
  const [a, b] = await Promise.all([fingerprint(src, o.bucket), fingerprint(dst, o.bucket)]);
  if (srcOwned || a !== b) {
    const why = srcOwned ? `shard ${from} owns it too` : `their copies differ (shard ${from}: ${a}, shard ${o.to}: ${b})`;
    throw new Error(`shard ${o.to} already owns bucket ${o.bucket} but the directory says shard ${from}, and ${why}: fix the directory first`);
  }
  await o.directory.query('UPDATE shard_map SET shard = $2 WHERE bucket = $1', [o.bucket, o.to]);
  const orders = (JSON.parse(b) as { n: number }).n;
  log(`bucket ${o.bucket}: finished an interrupted move, shard ${from} -> ${o.to}, ${orders} orders (shard ${o.to} owned it and both copies agreed)`);
  await dropCopy(src, o.bucket);
  return { bucket: o.bucket, from, to: o.to, orders, pauseMs: 0 };
}

/** Moves every bucket whose shard under `b mod shards` differs from the directory's. */
export async function reshard(o: { directory: Pool; shards: Pool[]; to: number; log?: (m: string) => void }): Promise<MoveResult[]> {
  if (o.to > o.shards.length) throw new Error(`--to ${o.to}: only ${o.shards.length} shards are in ORDER_SHARD_URLS`);
  const map = (await o.directory.query<{ bucket: number; shard: number }>('SELECT bucket, shard FROM shard_map ORDER BY bucket')).rows;
  const out: MoveResult[] = [];
  for (const m of map) {
    const target = m.bucket % o.to;
    if (target !== m.shard) out.push(await moveBucket({ directory: o.directory, shards: o.shards, bucket: m.bucket, to: target, ...(o.log ? { log: o.log } : {}) }));
  }
  return out;
}

/** The advisory lock one re-shard run holds on the directory: runs never move buckets side by side. */
const RESHARD_LOCK = 7406002;

/** Runs `fn` holding the directory's re-shard lock, waiting for a run that holds it to end. */
export async function withReshardLock<T>(directory: Pool, fn: () => Promise<T>, log: (m: string) => void = () => undefined): Promise<T> {
  const c = await directory.connect();
  try {
    if (!(await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [RESHARD_LOCK])).rows[0].ok) {
      log('another re-shard run holds the directory; waiting for it to end');
      await c.query('SELECT pg_advisory_lock($1)', [RESHARD_LOCK]);
    }
    return await fn();
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [RESHARD_LOCK]).catch(() => undefined);
    c.release();
  }
}

/** What is missing before buckets can move: the directory's map and every shard's ownership rows. */
async function missingSchema(directory: Pool, shards: Pool[]): Promise<string | undefined> {
  const exists = async (q: Pool, table: string) => (await q.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [table])).rows[0].t !== null;
  if (!(await exists(directory, 'shard_map'))) return 'the directory (ORDERS_DB_URL) has no shard_map yet: the migrate-orders Job makes it';
  const buckets = (await directory.query<{ n: number }>('SELECT count(*)::int AS n FROM shard_map')).rows[0].n;
  if (buckets === 0) return 'the directory\'s shard_map is empty: the migrate-orders Job seeds it';
  for (const [i, shard] of shards.entries()) {
    const rows = (await exists(shard, 'bucket_ownership')) ? (await shard.query<{ n: number }>('SELECT count(*)::int AS n FROM bucket_ownership')).rows[0].n : -1;
    if (rows < buckets) return `shard ${i} ${rows < 0 ? 'has no order schema yet' : `has ownership rows for ${rows} of ${buckets} buckets`}: the migrate-order-shard Job makes them`;
  }
  return undefined;
}

/**
 * Waits until the directory and every shard are migrated (a new shard's schema is made by the
 * schema Job, which may run after this one starts), polling every `pollMs`; throws naming what is
 * missing once `timeoutMs` has passed.
 */
export async function waitForShardSchema(o: { directory: Pool; shards: Pool[]; timeoutMs: number; pollMs?: number; log?: (m: string) => void }): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  let reported: string | undefined;
  for (;;) {
    const missing = await missingSchema(o.directory, o.shards).catch((e: unknown) => `cannot read the schema: ${(e as Error).message}`);
    if (missing === undefined) return;
    if (Date.now() >= deadline) throw new Error(`not re-sharding: ${missing} (waited ${Math.round(o.timeoutMs / 1000)} s)`);
    if (missing !== reported) o.log?.(`waiting: ${missing}`);
    reported = missing;
    await new Promise((r) => setTimeout(r, o.pollMs ?? 5000));
  }
}
