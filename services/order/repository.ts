/** SQL for orders. Every function takes the pool or client of the shard that owns the order. */
import type { Pool, PoolClient } from 'pg';
import type { EventEnvelope } from '../shared/events';
import type { Order, OrderItem, OrderStatus } from './model';

type Q = Pool | PoolClient;

interface OrderRow {
  id: string;
  customer_id: string;
  status: OrderStatus;
  reason: string | null;
  total_cents: number;
  currency: string;
  items: OrderItem[] | null;
  shipping: unknown;
  created_at: Date;
  updated_at: Date;
  request_hash?: string;
}

const toOrder = (r: OrderRow): Order => ({
  id: r.id,
  customerId: r.customer_id,
  status: r.status,
  ...(r.reason ? { reason: r.reason } : {}),
  totalCents: Number(r.total_cents),
  currency: r.currency,
  items: (r.items ?? []).map((i) => ({ productId: i.productId, quantity: i.quantity, unitPriceCents: Number(i.unitPriceCents) })),
  shipping: r.shipping,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

export interface NewOrder {
  id: string;
  bucket: number;
  customerId: string;
  idempotencyKey: string;
  requestHash: string;
  totalCents: number;
  currency: string;
  shipping: unknown;
  items: OrderItem[];
  placed: EventEnvelope;
  /** Event-sourcing log entry, when that is on. */
  logData?: Record<string, unknown>;
}

/**
 * The checkout write: order, items and outbox event (and the event-log entry) in one
 * statement, so one round trip and one transaction. Returns undefined when the customer
 * already used the idempotency key.
 */
export const INSERT_ORDER_SQL = (withLog: boolean) => `
WITH o AS (
  INSERT INTO orders (id, bucket, customer_id, idempotency_key, request_hash, status, status_rank, total_cents, currency, shipping)
  VALUES ($1, $2, $3, $4, $5, 'PENDING', 0, $6, $7, $8::jsonb)
  ON CONFLICT (customer_id, idempotency_key) DO NOTHING
  RETURNING id, created_at
), i AS (
  INSERT INTO order_items (order_id, line, product_id, quantity, unit_price_cents)
  SELECT o.id, x.line, x.product_id, x.quantity, x.unit_price_cents
  FROM o, jsonb_to_recordset($9::jsonb) AS x(line int, product_id text, quantity int, unit_price_cents bigint)
), e AS (
  INSERT INTO outbox (event_id, topic, key, type, payload, bucket)
  SELECT $10::uuid, 'orders', $1::text, 'OrderPlaced', $11::jsonb, $2 FROM o
)${
  withLog
    ? `, l AS (
  INSERT INTO order_events (order_id, seq, bucket, type, data) SELECT o.id, 1, $2, 'OrderPlaced', $12::jsonb FROM o
)`
    : ''
}
SELECT id, created_at FROM o`;

function insertOrderParams(n: NewOrder): unknown[] {
  const p: unknown[] = [
    n.id,
    n.bucket,
    n.customerId,
    n.idempotencyKey,
    n.requestHash,
    n.totalCents,
    n.currency,
    JSON.stringify(n.shipping),
    JSON.stringify(n.items.map((it, line) => ({ line, product_id: it.productId, quantity: it.quantity, unit_price_cents: it.unitPriceCents }))),
    n.placed.id,
    JSON.stringify(n.placed),
  ];
  if (n.logData) p.push(JSON.stringify(n.logData));
  return p;
}

export async function insertOrder(q: Q, n: NewOrder): Promise<{ createdAt: Date } | undefined> {
  // A named statement: each connection parses and plans the checkout write once.
  const r = await q.query<{ id: string; created_at: Date }>({ name: n.logData ? 'insert-order-logged' : 'insert-order', text: INSERT_ORDER_SQL(!!n.logData), values: insertOrderParams(n) });
  return r.rows[0] ? { createdAt: r.rows[0].created_at } : undefined;
}

const SELECT_ORDER = `
SELECT o.id, o.customer_id, o.status, o.reason, o.total_cents, o.currency, o.shipping, o.created_at, o.updated_at, o.request_hash,
  (SELECT json_agg(json_build_object('productId', i.product_id, 'quantity', i.quantity, 'unitPriceCents', i.unit_price_cents) ORDER BY i.line)
     FROM order_items i WHERE i.order_id = o.id) AS items
FROM orders o`;

export async function findOrder(q: Q, id: string): Promise<Order | undefined> {
  const r = await q.query<OrderRow>(`${SELECT_ORDER} WHERE o.id = $1`, [id]);
  return r.rows[0] ? toOrder(r.rows[0]) : undefined;
}

export async function findByKey(q: Q, customerId: string, key: string): Promise<{ order: Order; requestHash: string } | undefined> {
  const r = await q.query<OrderRow>(`${SELECT_ORDER} WHERE o.customer_id = $1 AND o.idempotency_key = $2`, [customerId, key]);
  const row = r.rows[0];
  return row ? { order: toOrder(row), requestHash: row.request_hash! } : undefined;
}

export async function listByCustomer(q: Q, customerId: string, limit: number): Promise<Order[]> {
  const r = await q.query<OrderRow>(`${SELECT_ORDER} WHERE o.customer_id = $1 ORDER BY o.created_at DESC LIMIT $2`, [customerId, limit]);
  return r.rows.map(toOrder);
}

/** Moves an order forward; returns the order's customer and total if it moved. */
export async function advanceStatus(
  c: PoolClient,
  id: string,
  status: OrderStatus,
  rank: number,
  reason: string | undefined,
): Promise<{ customer_id: string; total_cents: number; currency: string; bucket: number } | undefined> {
  const r = await c.query<{ customer_id: string; total_cents: number; currency: string; bucket: number }>(
    `UPDATE orders SET status = $2, status_rank = $3, reason = $4, updated_at = now() WHERE id = $1 AND status_rank < $3
     RETURNING customer_id, total_cents, currency, bucket`,
    [id, status, rank, reason ?? null],
  );
  return r.rows[0];
}

export async function appendLog(c: PoolClient, orderId: string, bucket: number, type: string, data: Record<string, unknown>): Promise<void> {
  await c.query(
    `INSERT INTO order_events (order_id, seq, bucket, type, data)
     SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4::jsonb FROM order_events WHERE order_id = $1`,
    [orderId, bucket, type, JSON.stringify(data)],
  );
}
