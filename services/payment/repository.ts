/** SQL for payments (in the orders database): one row per order, so an order is charged at most once. */
import type { Pool, PoolClient } from 'pg';

/** A payment as GET /payments/:orderId answers it. */
export interface Payment {
  orderId: string;
  amountCents: number;
  currency: string;
  status: string;
  declineCode?: string;
  refundedCents: number;
}

/** Opens the order's payment (PENDING); false when it already has one (charged or declined before). */
export async function openPayment(c: PoolClient, orderId: string, amountCents: number, currency: string): Promise<boolean> {
  const r = await c.query(`INSERT INTO payments (order_id, amount_cents, currency, status) VALUES ($1, $2, $3, 'PENDING') ON CONFLICT DO NOTHING`, [orderId, amountCents, currency]);
  return r.rowCount !== 0;
}

export async function markCaptured(c: PoolClient, orderId: string, providerRef: string): Promise<void> {
  await c.query(`UPDATE payments SET status = 'CAPTURED', provider_ref = $2, updated_at = now() WHERE order_id = $1`, [orderId, providerRef]);
}

export async function markDeclined(c: PoolClient, orderId: string, providerRef: string, declineCode: string): Promise<void> {
  await c.query(`UPDATE payments SET status = 'DECLINED', provider_ref = $2, decline_code = $3, updated_at = now() WHERE order_id = $1`, [orderId, providerRef, declineCode]);
}

/** Marks a captured payment refunded; returns what to refund, or undefined when it was not captured (or is refunded already). */
export async function markRefunded(c: PoolClient, orderId: string): Promise<{ amountCents: number; providerRef: string } | undefined> {
  const r = await c.query<{ amount_cents: number; provider_ref: string }>(
    `UPDATE payments SET status = 'REFUNDED', refunded_cents = amount_cents, updated_at = now() WHERE order_id = $1 AND status = 'CAPTURED' RETURNING amount_cents, provider_ref`,
    [orderId],
  );
  const p = r.rows[0];
  return p ? { amountCents: p.amount_cents, providerRef: p.provider_ref } : undefined;
}

export async function findPayment(q: Pool, orderId: string): Promise<Payment | undefined> {
  const r = await q.query<{ order_id: string; amount_cents: number; currency: string; status: string; decline_code: string | null; refunded_cents: number }>(
    'SELECT order_id, amount_cents, currency, status, decline_code, refunded_cents FROM payments WHERE order_id = $1',
    [orderId],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return { orderId: row.order_id, amountCents: Number(row.amount_cents), currency: row.currency, status: row.status, declineCode: row.decline_code ?? undefined, refundedCents: Number(row.refunded_cents) };
}
