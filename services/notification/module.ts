/** Notification: one message per order reaching a final status (unique by event id). Delivery is a log line; a mail or SMS gateway would sit here. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { TypedEvent } from '../shared/events';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { parse, uuid } from '../shared/validation';

const TEMPLATES: Record<string, string> = {
  CONFIRMED: 'order-confirmed',
  OUT_OF_STOCK: 'order-out-of-stock',
  PAYMENT_DECLINED: 'order-payment-declined',
  REFUNDED: 'order-refunded',
};

export const notificationModule: ModuleDef<'notification'> = {
  domain: 'notification',
  create(rt: Runtime) {
    const db = rt.db('users');
    const log = rt.log.child({ component: 'notifications' });
    async function notify(e: TypedEvent<'OrderStatusChanged'>): Promise<void> {
      const d = e.data;
      const template = TEMPLATES[d.status];
      if (!template) return;
      const r = await db.query(
        `INSERT INTO notifications (event_id, order_id, customer_id, channel, template) VALUES ($1, $2, $3, 'email', $4) ON CONFLICT (event_id) DO NOTHING RETURNING id`,
        [e.id, d.orderId, d.customerId, template],
      );
      if (r.length > 0) log.info({ orderId: d.orderId, customerId: d.customerId, template }, 'notification sent');
    }
    return {
      consumers: [{ name: 'notification', topics: ['orders'], handlers: { OrderStatusChanged: notify } }],
      routes(app: FastifyInstance) {
        app.get('/notifications', async (req) => {
          const { orderId } = parse(z.object({ orderId: uuid }), req.query);
          const rows = await db.query('SELECT order_id, customer_id, channel, template, created_at FROM notifications WHERE order_id = $1 ORDER BY id', [orderId]);
          return { notifications: rows.map((r) => ({ orderId: r.order_id, customerId: r.customer_id, channel: r.channel, template: r.template, createdAt: r.created_at })) };
        });
      },
    };
  },
};
