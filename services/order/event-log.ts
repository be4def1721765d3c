/**
 * Event sourcing and CQRS for orders (EVENT_SOURCING=true): every change is appended to
 * `order_events` in the transaction that makes it; `order_view` is a projection of that log,
 * built asynchronously by the projector; an order can always be rebuilt by folding its events.
 *
 * The projector reads the log in (transaction id, position) order, and only transactions
 * older than every running one (`pg_snapshot_xmin`), so an event committed late by a slow
 * transaction is never skipped.
 */
import type { Pool, PoolClient } from 'pg';
import { transaction } from '../shared/db';
import type { Logger } from '../shared/logger';
import type { Order, OrderItem, OrderStatus } from './model';

interface LogRow {
  tx: string;
  position: number;
  order_id: string;
  seq: number;
  type: string;
  data: Record<string, unknown>;
  recorded_at: Date;
}

/** Rebuilds an order from its events. Events before its first `OrderPlaced` or `OrderImported` change nothing. */
function fold(orderId: string, events: { type: string; data: Record<string, unknown>; recorded_at: Date }[]): Order | undefined {
  let o: Order | undefined;
  for (const e of events) {
    const at = new Date(e.recorded_at).toISOString();
    if (e.type === 'OrderPlaced') {
      const d = e.data as { customerId: string; items: OrderItem[]; totalCents: number; currency: string; shipping: unknown };
      o = { id: orderId, customerId: d.customerId, status: 'PENDING', totalCents: d.totalCents, currency: d.currency, items: d.items, shipping: d.shipping, createdAt: at, updatedAt: at };
    } else if (e.type === 'OrderImported') {
      // The whole order as the write model held it when the log began for it.
      const d = e.data as Omit<Order, 'id'>;
      o = { id: orderId, ...d };
    } else if (e.type === 'OrderStatusChanged' && o) {
      const d = e.data as { status: OrderStatus; reason?: string };
      o = { ...o, status: d.status, ...(d.reason ? { reason: d.reason } : {}), updatedAt: at };
    }
  }
  return o;
}

export async function loadFromLog(q: Pool | PoolClient, orderId: string): Promise<Order | undefined> {
  const r = await q.query<LogRow>('SELECT type, data, recorded_at FROM order_events WHERE order_id = $1 ORDER BY seq', [orderId]);
  return fold(orderId, r.rows);
}

export async function readView(q: Pool, orderId: string): Promise<Order | undefined> {
  const r = await q.query<{ id: string; customer_id: string; status: OrderStatus; reason: string | null; total_cents: number; currency: string; items: OrderItem[]; shipping: unknown; created_at: Date; updated_at: Date }>(
    'SELECT * FROM order_view WHERE id = $1',
    [orderId],
  );
  const v = r.rows[0];
  if (!v) return undefined;
  return {
    id: v.id,
    customerId: v.customer_id,
    status: v.status,
    ...(v.reason ? { reason: v.reason } : {}),
    totalCents: Number(v.total_cents),
    currency: v.currency,
    items: v.items,
    shipping: v.shipping,
    createdAt: new Date(v.created_at).toISOString(),
    updatedAt: new Date(v.updated_at).toISOString(),
  };
}

const NAME = 'order_view';

/**
 * Applies one batch of new log entries to the view; returns how many. Each order the batch
 * touches is folded from its whole committed log and written with the log's last `seq` as its
 * version, so entries projected out of order (transaction ids are not commit order) never
 * move an order back.
 */
async function projectBatch(pool: Pool, batch = 500): Promise<number> {
  return transaction(pool, async (c) => {
    await c.query(`INSERT INTO projection_checkpoints (name, tx, position) VALUES ($1, '0', 0) ON CONFLICT DO NOTHING`, [NAME]);
    // One projector at a time per database: the others skip.
    const cp = (await c.query<{ tx: string; position: number }>('SELECT tx::text AS tx, position FROM projection_checkpoints WHERE name = $1 FOR UPDATE SKIP LOCKED', [NAME])).rows[0];
    if (!cp) return 0;
    const rows = (
      await c.query<LogRow>(
        `SELECT tx::text AS tx, position, order_id FROM order_events
         WHERE (tx, position) > ($1::xid8, $2::bigint) AND tx < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY tx, position LIMIT $3`,
        [cp.tx, cp.position, batch],
      )
    ).rows;
    const last = rows[rows.length - 1];
    if (!last) return 0;
    await writeView(c, [...new Set(rows.map((r) => r.order_id))]);
    await c.query('UPDATE projection_checkpoints SET tx = $2::xid8, position = $3 WHERE name = $1', [NAME, last.tx, last.position]);
    return rows.length;
  });
}

async function writeView(c: PoolClient, orderIds: string[]): Promise<void> {
  const log = (
    await c.query<Pick<LogRow, 'order_id' | 'seq' | 'type' | 'data' | 'recorded_at'>>(
      'SELECT order_id, seq, type, data, recorded_at FROM order_events WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, seq',
      [orderIds],
    )
  ).rows;
  const byOrder = new Map<string, typeof log>();
  for (const e of log) byOrder.set(e.order_id, [...(byOrder.get(e.order_id) ?? []), e]);
  for (const [id, events] of byOrder) {
    const o = fold(id, events);
    if (!o) continue; // only status changes so far: the order's import will start it
    await c.query(
      `INSERT INTO order_view (id, customer_id, status, reason, total_cents, currency, items, shipping, version, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
       WHERE order_view.version < EXCLUDED.version`,
      [id, o.customerId, o.status, o.reason ?? null, o.totalCents, o.currency, JSON.stringify(o.items), JSON.stringify(o.shipping), events[events.length - 1].seq, o.createdAt, o.updatedAt],
    );
  }
}

/**
 * Seconds since the oldest log entry the view has not applied was recorded (0 when it has
 * applied all): the read model's lag behind the write model.
 */
async function projectionLagSeconds(q: Pool): Promise<number> {
  const r = await q.query<{ lag: number | null }>(
    `SELECT EXTRACT(EPOCH FROM now() - e.recorded_at)::float8 AS lag
     FROM order_events e LEFT JOIN projection_checkpoints cp ON cp.name = $1
     WHERE (e.tx, e.position) > (COALESCE(cp.tx, '0'::xid8), COALESCE(cp.position, 0))
     ORDER BY e.tx, e.position LIMIT 1`,
    [NAME],
  );
  return Math.max(0, r.rows[0]?.lag ?? 0);
}

/**
 * Brings the log of each of `orderIds` up to the write model, for orders that were written or
 * moved while event sourcing was off (or before the log's tables existed), by instances still
 * running without it: an order with no `OrderPlaced` or `OrderImported` gets one
 * `OrderImported` holding the order as it is; an order whose last logged status is not its
 * status gets an `OrderStatusChanged` to it. Holds the order's row, so that no status change
 * slips between the read and the entry; skips a bucket this shard no longer owns.
 */
async function catchUpOrders(pool: Pool, orderIds: string[]): Promise<number> {
  let changed = 0;
  for (const id of orderIds) {
    const done = await transaction(pool, async (c) => {
      const o = (
        await c.query<{ bucket: number; customer_id: string; status: OrderStatus; reason: string | null; total_cents: number; currency: string; shipping: unknown; created_at: Date; updated_at: Date }>(
          'SELECT bucket, customer_id, status, reason, total_cents, currency, shipping, created_at, updated_at FROM orders WHERE id = $1 FOR UPDATE',
          [id],
        )
      ).rows[0];
      if (!o) return false;
      const fence = await c.query<{ owned: boolean }>('SELECT owned FROM bucket_ownership WHERE bucket = $1 FOR SHARE', [o.bucket]);
      if (fence.rows[0] && !fence.rows[0].owned) return false;
      const state = (await c.query<{ started: boolean; status: string | null }>(LOG_STATE_SQL('$1::uuid'), [id])).rows[0];
      let type: string;
      let data: Record<string, unknown>;
      if (!state.started) {
        const items = (
          await c.query<{ productId: string; quantity: number; unitPriceCents: number }>(
            'SELECT product_id AS "productId", quantity, unit_price_cents::float8 AS "unitPriceCents" FROM order_items WHERE order_id = $1 ORDER BY line',
            [id],
          )
        ).rows;
        type = 'OrderImported';
        data = {
          customerId: o.customer_id,
          status: o.status,
          ...(o.reason ? { reason: o.reason } : {}),
          totalCents: Number(o.total_cents),
          currency: o.currency,
          items,
          shipping: o.shipping,
          createdAt: new Date(o.created_at).toISOString(),
          updatedAt: new Date(o.updated_at).toISOString(),
        } satisfies Omit<Order, 'id'>;
      } else if (state.status !== o.status) {
        type = 'OrderStatusChanged';
        data = { status: o.status, ...(o.reason ? { reason: o.reason } : {}), cause: 'write-model' };
      } else {
        return false;
      }
      await c.query(
        `INSERT INTO order_events (order_id, seq, bucket, type, data)
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4::jsonb FROM order_events WHERE order_id = $1`,
        [id, o.bucket, type, JSON.stringify(data)],
      );
      return true;
    });
    if (done) changed++;
  }
  return changed;
}

/** Whether an order's log has begun, and the status its last entry gives it. */
const LOG_STATE_SQL = (orderId: string) => `
SELECT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = ${orderId} AND e.type IN ('OrderPlaced', 'OrderImported')) AS started,
  (SELECT CASE WHEN e.type = 'OrderPlaced' THEN 'PENDING' ELSE e.data->>'status' END FROM order_events e WHERE e.order_id = ${orderId} ORDER BY e.seq DESC LIMIT 1) AS status`;

/** One page of the catch-up's walk over `orders` by id: the page's last id, and the orders in it whose log is behind. */
async function ordersBehind(q: Pool, after: string, limit: number): Promise<{ last?: string; ids: string[] }> {
  const r = await q.query<{ id: string; status: string; started: boolean; logged: string | null }>(
    `SELECT o.id, o.status, l.started, l.status AS logged
     FROM (SELECT id, status FROM orders WHERE id > $1::uuid ORDER BY id LIMIT $2) o
     CROSS JOIN LATERAL (${LOG_STATE_SQL('o.id')}) l ORDER BY o.id`,
    [after, limit],
  );
  return { last: r.rows[r.rows.length - 1]?.id, ids: r.rows.filter((x) => !x.started || x.logged !== x.status).map((x) => x.id) };
}

/** Tables and columns the log, the view and the checkpoints need (services/migrations). */
const SCHEMA: Record<string, string[]> = {
  order_events: ['position', 'tx', 'order_id', 'seq', 'bucket', 'type', 'data', 'recorded_at'],
  order_view: ['id', 'customer_id', 'status', 'reason', 'total_cents', 'currency', 'items', 'shipping', 'version', 'created_at', 'updated_at'],
  projection_checkpoints: ['name', 'tx', 'position'],
};

/**
 * Whether each database has the event log's schema, asked again every `recheckMs` while it has
 * not: until the migration adds it, orders are written and read as with event sourcing off, and
 * the import starts their logs afterwards.
 */
export class EventLogSchema {
  private readonly known = new WeakMap<Pool, { ready: boolean; at: number; pending?: Promise<boolean> }>();
  constructor(private readonly recheckMs = 5000) {}

  async ready(pool: Pool): Promise<boolean> {
    const k = this.known.get(pool);
    if (k?.ready) return true;
    if (k?.pending) return k.pending;
    if (k && Date.now() - k.at < this.recheckMs) return false;
    const pending = present(pool).catch(() => false);
    this.known.set(pool, { ready: false, at: k?.at ?? 0, pending });
    const ready = await pending;
    this.known.set(pool, { ready, at: Date.now() });
    return ready;
  }
}

async function present(pool: Pool): Promise<boolean> {
  const r = await pool.query<{ table_name: string; column_name: string }>(
    'SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1::text[])',
    [Object.keys(SCHEMA)],
  );
  const have = new Set(r.rows.map((x) => `${x.table_name}.${x.column_name}`));
  return Object.entries(SCHEMA).every(([t, cols]) => cols.every((col) => have.has(`${t}.${col}`)));
}

/** Drops the view and replays the whole log into it. */
export async function rebuildView(pool: Pool): Promise<number> {
  await pool.query('BEGIN; DELETE FROM order_view; DELETE FROM projection_checkpoints WHERE name = $$order_view$$; COMMIT;');
  let total = 0;
  for (;;) {
    const n = await projectBatch(pool, 5000);
    total += n;
    if (n === 0) return total;
  }
}

/** Timings of the {@link Projector}. */
export interface ProjectorOptions {
  /** Pause after a round that found nothing to project, in milliseconds. */
  pollMs: number;
  /** How often the lag is measured, in milliseconds. */
  lagEveryMs: number;
  /** Orders per page of the import's walk. */
  importPage: number;
  /** Pause after an import pass that imported something, in milliseconds; it doubles after each pass that imported nothing. */
  importPauseMs: number;
  /** The import stops after a pass that imported nothing once its pause has reached this, in milliseconds. */
  importPauseMaxMs: number;
}

const PROJECTOR_DEFAULTS: ProjectorOptions = { pollMs: 20, lagEveryMs: 1000, importPage: 500, importPauseMs: 1000, importPauseMaxMs: 512_000 };

/** What the projector reports. */
export interface ProjectorMetrics {
  lag(database: string, seconds: number): void;
  imported(database: string, n: number): void;
}

/**
 * Keeps each database's view up to date with its log, measures how far it lags, and starts
 * the log of every order written before the log existed for it: whole passes over `orders`
 * while any pass finds such an order, then ever rarer passes for the processes still writing
 * without a log in a rolling change, until a pass at the longest pause finds none.
 */
export class Projector {
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly o: ProjectorOptions;
  constructor(
    private readonly databases: { name: string; pool: Pool }[],
    private readonly schema: EventLogSchema,
    private readonly metrics: ProjectorMetrics,
    private readonly log: Logger,
    options: Partial<ProjectorOptions> = {},
  ) {
    this.o = { ...PROJECTOR_DEFAULTS, ...options };
  }

  start(): void {
    this.running = true;
    this.loops = this.databases.flatMap((d) => [this.project(d), this.importAll(d)]);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      const end = Date.now() + ms;
      const tick = () => (!this.running || Date.now() >= end ? r() : setTimeout(tick, Math.min(100, end - Date.now())));
      tick();
    });
  }

  private async project({ name, pool }: { name: string; pool: Pool }): Promise<void> {
    let measured = 0;
    while (this.running) {
      if (!(await this.schema.ready(pool))) {
        await this.sleep(this.o.pollMs * 50);
        continue;
      }
      let n = 0;
      try {
        n = await projectBatch(pool);
        if (Date.now() - measured >= this.o.lagEveryMs) {
          measured = Date.now();
          this.metrics.lag(name, await projectionLagSeconds(pool));
        }
      } catch (err) {
        this.log.warn({ err, database: name }, 'projection round failed');
      }
      if (n === 0) await this.sleep(this.o.pollMs);
    }
  }

  private async importAll({ name, pool }: { name: string; pool: Pool }): Promise<void> {
    let pause = this.o.importPauseMs;
    while (this.running) {
      if (!(await this.schema.ready(pool))) {
        await this.sleep(this.o.pollMs * 50);
        continue;
      }
      let found = 0;
      try {
        for (let after = '00000000-0000-0000-0000-000000000000'; this.running; ) {
          const page = await ordersBehind(pool, after, this.o.importPage);
          if (!page.last) break;
          after = page.last;
          if (page.ids.length === 0) continue;
          const n = await catchUpOrders(pool, page.ids);
          found += n;
          this.metrics.imported(name, n);
        }
      } catch (err) {
        this.log.warn({ err, database: name }, 'order import pass failed');
        found = 1; // try again soon
      }
      if (found > 0) {
        if (pause >= this.o.importPauseMaxMs) this.log.info({ database: name, imported: found }, 'orders without a log found late in the import');
        pause = this.o.importPauseMs;
      } else if (pause >= this.o.importPauseMaxMs) {
        this.log.info({ database: name }, 'every order has a log: import finished');
        return;
      } else {
        pause = Math.min(pause * 2, this.o.importPauseMaxMs);
      }
      await this.sleep(pause);
    }
  }
}
