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

/** Rebuilds an order from its events. */
export function fold(orderId: string, events: { type: string; data: Record<string, unknown>; recorded_at: Date }[]): Order | undefined {
  let o: Order | undefined;
  for (const e of events) {
    const at = new Date(e.recorded_at).toISOString();
    if (e.type === 'OrderPlaced') {
      const d = e.data as { customerId: string; items: OrderItem[]; totalCents: number; currency: string; shipping: unknown };
      o = { id: orderId, customerId: d.customerId, status: 'PENDING', totalCents: d.totalCents, currency: d.currency, items: d.items, shipping: d.shipping, createdAt: at, updatedAt: at };
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

/** Applies one batch of new log entries to the view; returns how many. */
export async function projectBatch(pool: Pool, batch = 500): Promise<number> {
  return transaction(pool, async (c) => {
    await c.query(`INSERT INTO projection_checkpoints (name, tx, position) VALUES ($1, '0', 0) ON CONFLICT DO NOTHING`, [NAME]);
    // One projector at a time per database: the others skip.
    const cp = (await c.query<{ tx: string; position: number }>('SELECT tx::text AS tx, position FROM projection_checkpoints WHERE name = $1 FOR UPDATE SKIP LOCKED', [NAME])).rows[0];
    if (!cp) return 0;
    const rows = (
      await c.query<LogRow>(
        `SELECT tx::text AS tx, position, order_id, seq, type, data, recorded_at FROM order_events
         WHERE (tx, position) > ($1::xid8, $2::bigint) AND tx < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY tx, position LIMIT $3`,
        [cp.tx, cp.position, batch],
      )
    ).rows;
    for (const e of rows) await apply(c, e);
    const last = rows[rows.length - 1];
    if (last) await c.query('UPDATE projection_checkpoints SET tx = $2::xid8, position = $3 WHERE name = $1', [NAME, last.tx, last.position]);
    return rows.length;
  });
}

async function apply(c: PoolClient, e: LogRow): Promise<void> {
  if (e.type === 'OrderPlaced') {
    const d = e.data as { customerId: string; items: OrderItem[]; totalCents: number; currency: string; shipping: unknown };
    await c.query(
      `INSERT INTO order_view (id, customer_id, status, total_cents, currency, items, shipping, version, created_at, updated_at)
       VALUES ($1, $2, 'PENDING', $3, $4, $5::jsonb, $6::jsonb, $7, $8, $8)
       ON CONFLICT (id) DO NOTHING`,
      [e.order_id, d.customerId, d.totalCents, d.currency, JSON.stringify(d.items), JSON.stringify(d.shipping), e.seq, e.recorded_at],
    );
  } else if (e.type === 'OrderStatusChanged') {
    const d = e.data as { status: string; reason?: string };
    await c.query('UPDATE order_view SET status = $2, reason = $3, version = $4, updated_at = $5 WHERE id = $1 AND version < $4', [e.order_id, d.status, d.reason ?? null, e.seq, e.recorded_at]);
  }
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

export class Projector {
  private running = false;
  private loops: Promise<void>[] = [];
  constructor(
    private readonly pools: Pool[],
    private readonly pollMs: number,
    private readonly log: Logger,
  ) {}
  start(): void {
    this.running = true;
    this.loops = this.pools.map(async (p) => {
      while (this.running) {
        let n = 0;
        try {
          n = await projectBatch(p);
        } catch (err) {
          this.log.warn({ err }, 'projection round failed');
        }
        if (n === 0) await new Promise((r) => setTimeout(r, this.pollMs));
      }
    });
  }
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}
