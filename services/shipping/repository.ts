/** SQL for shipments (in the orders database): one row per order, so an order ships at most once. */
import type { Pool, PoolClient } from 'pg';

/** A shipment as GET /shipments/:orderId answers it. */
export interface Shipment {
  orderId: string;
  status: string;
  carrier?: string;
  tracking?: string;
  reason?: string;
}

export type NewShipment = { orderId: string; status: 'CREATED'; carrier: string; tracking: string } | { orderId: string; status: 'FAILED'; reason: string };

/** Records the order's shipment; false when it already has one. */
export async function insertShipment(c: PoolClient, s: NewShipment): Promise<boolean> {
  const created = s.status === 'CREATED';
  const r = await c.query(`INSERT INTO shipments (order_id, status, carrier, tracking, reason) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, [
    s.orderId,
    s.status,
    created ? s.carrier : null,
    created ? s.tracking : null,
    created ? null : s.reason,
  ]);
  return r.rowCount !== 0;
}

export async function findShipment(q: Pool, orderId: string): Promise<Shipment | undefined> {
  const r = await q.query<{ order_id: string; status: string; carrier: string | null; tracking: string | null; reason: string | null }>(
    'SELECT order_id, status, carrier, tracking, reason FROM shipments WHERE order_id = $1',
    [orderId],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return { orderId: row.order_id, status: row.status, carrier: row.carrier ?? undefined, tracking: row.tracking ?? undefined, reason: row.reason ?? undefined };
}
