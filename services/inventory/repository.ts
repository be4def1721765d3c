/** SQL for stock and reservations (the inventory database). */
import type { PoolClient } from 'pg';
import type { Db } from '../shared/db';

/** Units of one product (a type, so that it is also a line of the events' loose schema). */
export type Line = {
  productId: string;
  quantity: number;
};

/** Units available per product, from a replica when there is one (stale-tolerant). */
export async function availableStock(db: Db, ids: string[]): Promise<Map<string, number>> {
  const rows = await db.queryStale<{ product_id: string; available: number }>('SELECT product_id, available FROM stock WHERE product_id = ANY($1::text[])', [ids], 'stock-by-id');
  return new Map(rows.map((r) => [r.product_id, r.available]));
}

/** Moves `quantity` of a product from available to reserved; false when fewer are available. */
export async function takeStock(c: PoolClient, productId: string, quantity: number): Promise<boolean> {
  const r = await c.query('UPDATE stock SET available = available - $2, reserved = reserved + $2, updated_at = now() WHERE product_id = $1 AND available >= $2', [productId, quantity]);
  return r.rowCount !== 0;
}

export async function insertReservations(c: PoolClient, orderId: string, lines: readonly Line[]): Promise<void> {
  await c.query(
    `INSERT INTO reservations (order_id, product_id, quantity, status)
             SELECT $1, x.product_id, x.quantity, 'RESERVED' FROM jsonb_to_recordset($2::jsonb) AS x(product_id text, quantity int)`,
    [orderId, JSON.stringify(lines.map((i) => ({ product_id: i.productId, quantity: i.quantity })))],
  );
}

/**
 * Settles the order's open reservations: RELEASED puts the units back into available stock,
 * COMMITTED takes them out of reserved stock (they shipped). Returns the lines settled.
 */
export async function settleReservations(c: PoolClient, orderId: string, to: 'RELEASED' | 'COMMITTED'): Promise<Line[]> {
  const r = await c.query<{ product_id: string; quantity: number }>(
    `UPDATE reservations SET status = $2, updated_at = now() WHERE order_id = $1 AND status = 'RESERVED' RETURNING product_id, quantity`,
    [orderId, to],
  );
  // Stock rows are updated in one order so concurrent settlements cannot deadlock.
  const rows = [...r.rows].sort((a, b) => (a.product_id < b.product_id ? -1 : 1));
  for (const x of rows) {
    await c.query(
      to === 'RELEASED'
        ? 'UPDATE stock SET available = available + $2, reserved = reserved - $2, updated_at = now() WHERE product_id = $1'
        : 'UPDATE stock SET reserved = reserved - $2, updated_at = now() WHERE product_id = $1',
      [x.product_id, x.quantity],
    );
  }
  return rows.map((x) => ({ productId: x.product_id, quantity: x.quantity }));
}

export async function setStock(c: PoolClient, productId: string, available: number): Promise<void> {
  await c.query(
    `INSERT INTO stock (product_id, available) VALUES ($1, $2)
               ON CONFLICT (product_id) DO UPDATE SET available = EXCLUDED.available, updated_at = now()`,
    [productId, available],
  );
}
