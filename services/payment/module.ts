/**
 * Payment: verifies tokens for checkout, charges when stock is reserved, refunds when a paid
 * order cannot ship. A payment row per order (primary key order_id) plus the provider's
 * idempotency key `charge:<order id>` mean an order is charged at most once.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PaymentApi } from '../shared/apis';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { AppError } from '../shared/errors';
import { appendOutbox, event, markProcessed, type TypedEvent } from '../shared/events';
import { parse, uuid } from '../shared/validation';
import { SandboxProvider, type PaymentProvider } from './provider';

export type { PaymentApi } from '../shared/apis';

export const paymentModule: ModuleDef<'payment'> = {
  domain: 'payment',
  create(rt: Runtime) {
    const db = rt.db('orders');
    const provider: PaymentProvider = new SandboxProvider(rt.pool(rt.cfg.ORDERS_DB_URL, `${rt.service}:sandbox-ledger`));

    const api: PaymentApi = {
      async verify(token) {
        const r = await provider.verify(token);
        if (!r.ok) throw new AppError('PAYMENT_DECLINED', `The payment was declined: ${r.declineCode}.`, 'payment.token', { declineCode: r.declineCode });
      },
    };

    async function charge(e: TypedEvent<'StockReserved'>): Promise<void> {
      const o = e.data;
      await db.tx(async (c) => {
        if (!(await markProcessed(c, 'payment-charge', e.id))) return;
        const created = await c.query(`INSERT INTO payments (order_id, amount_cents, currency, status) VALUES ($1, $2, $3, 'PENDING') ON CONFLICT DO NOTHING`, [o.orderId, o.totalCents, o.currency]);
        if (created.rowCount === 0) return; // already charged or declined: never charge twice
        const r = await provider.charge(`charge:${o.orderId}`, o.paymentToken, o.totalCents);
        if (r.ok) {
          await c.query(`UPDATE payments SET status = 'CAPTURED', provider_ref = $2, updated_at = now() WHERE order_id = $1`, [o.orderId, r.ref]);
          await appendOutbox(c, [event('PaymentCaptured', o.orderId, { ...o, paymentRef: r.ref })]);
        } else {
          await c.query(`UPDATE payments SET status = 'DECLINED', provider_ref = $2, decline_code = $3, updated_at = now() WHERE order_id = $1`, [o.orderId, r.ref, r.declineCode]);
          await appendOutbox(c, [event('PaymentDeclined', o.orderId, { orderId: o.orderId, declineCode: r.declineCode })]);
        }
      });
    }

    async function refund(e: TypedEvent<'ShipmentFailed'>): Promise<void> {
      const { orderId } = e.data;
      await db.tx(async (c) => {
        if (!(await markProcessed(c, 'payment-refund', e.id))) return;
        const r = await c.query<{ amount_cents: number; provider_ref: string }>(
          `UPDATE payments SET status = 'REFUNDED', refunded_cents = amount_cents, updated_at = now() WHERE order_id = $1 AND status = 'CAPTURED' RETURNING amount_cents, provider_ref`,
          [orderId],
        );
        const p = r.rows[0];
        if (!p) return;
        const refund = await provider.refund(`refund:${orderId}`, p.provider_ref, p.amount_cents);
        await appendOutbox(c, [event('PaymentRefunded', orderId, { orderId, amountCents: p.amount_cents, refundRef: refund.ref })]);
      });
    }

    return {
      api,
      outboxes: ['orders'],
      consumers: [
        { name: 'payment-charge', topics: ['inventory'], handlers: { StockReserved: charge } },
        { name: 'payment-refund', topics: ['shipping'], handlers: { ShipmentFailed: refund } },
      ],
      routes(app: FastifyInstance) {
        app.post('/payments/verify', async (req) => {
          const body = parse(z.strictObject({ token: z.string().min(1).max(100) }), req.body);
          await api.verify(body.token);
          return { ok: true };
        });
        app.get('/payments/:orderId', async (req) => {
          const { orderId } = parse(z.object({ orderId: uuid }), req.params);
          const row = (await db.query('SELECT order_id, amount_cents, currency, status, decline_code, refunded_cents FROM payments WHERE order_id = $1', [orderId]))[0];
          if (!row) throw new AppError('NOT_FOUND', `No payment for order ${orderId}.`);
          return { orderId: row.order_id, amountCents: Number(row.amount_cents), currency: row.currency, status: row.status, declineCode: row.decline_code ?? undefined, refundedCents: Number(row.refunded_cents) };
        });
      },
    };
  },
};
