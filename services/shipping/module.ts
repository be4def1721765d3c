/** Shipping: creates a shipment for each paid order, or fails it (to a country not served), once per order. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../shared/errors';
import { appendOutbox, event, markProcessed, type TypedEvent } from '../shared/events';
import { sha256 } from '../shared/ids';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { parse, uuid } from '../shared/validation';

export const shippingModule: ModuleDef<'shipping'> = {
  domain: 'shipping',
  create(rt: Runtime) {
    const db = rt.db('orders');
    const countries = new Set(rt.cfg.SHIPPING_COUNTRIES);

    async function ship(e: TypedEvent<'PaymentCaptured'>): Promise<void> {
      const o = e.data;
      await db.tx(async (c) => {
        if (!(await markProcessed(c, 'shipping', e.id))) return;
        const ok = countries.has(o.shipping.country);
        const tracking = `SBX${sha256(o.orderId).slice(0, 12).toUpperCase()}`;
        const reason = `we do not ship to ${o.shipping.country}`;
        const r = await c.query(
          `INSERT INTO shipments (order_id, status, carrier, tracking, reason) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
          [o.orderId, ok ? 'CREATED' : 'FAILED', ok ? 'sandbox-post' : null, ok ? tracking : null, ok ? null : reason],
        );
        if (r.rowCount === 0) return;
        await appendOutbox(c, [ok ? event('ShipmentCreated', o.orderId, { orderId: o.orderId, tracking }) : event('ShipmentFailed', o.orderId, { orderId: o.orderId, reason })]);
      });
    }

    return {
      outboxes: ['orders'],
      consumers: [{ name: 'shipping', topics: ['payments'], handlers: { PaymentCaptured: ship } }],
      routes(app: FastifyInstance) {
        app.get('/shipments/:orderId', async (req) => {
          const { orderId } = parse(z.object({ orderId: uuid }), req.params);
          const row = (await db.query('SELECT order_id, status, carrier, tracking, reason FROM shipments WHERE order_id = $1', [orderId]))[0];
          if (!row) throw new AppError('NOT_FOUND', `No shipment for order ${orderId}.`);
          return { orderId: row.order_id, status: row.status, carrier: row.carrier ?? undefined, tracking: row.tracking ?? undefined, reason: row.reason ?? undefined };
        });
      },
    };
  },
};
