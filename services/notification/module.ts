/**
 * Notification: one message per order reaching a final status (unique by event id). Delivery is a
 * log line; a mail or SMS gateway would sit here. This file holds the consumer, the use case and
 * the route; repository.ts the SQL.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { TypedEvent } from '../shared/events';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { parse, uuid } from '../shared/validation';
import { insertNotification, listNotifications } from './repository';

const TEMPLATES: Record<string, string> = {
  CONFIRMED: 'order-confirmed',
  OUT_OF_STOCK: 'order-out-of-stock',
  PAYMENT_DECLINED: 'order-payment-declined',
  REFUNDED: 'order-refunded',
};

const NotificationQuery = z.object({ orderId: uuid });

export const notificationModule: ModuleDef<'notification'> = {
  domain: 'notification',
  create(rt: Runtime) {
    const db = rt.db('users');
    const log = rt.log.child({ component: 'notifications' });
    /** Notifies the customer of a final status that has a template, once per event. */
    async function notify(e: TypedEvent<'OrderStatusChanged'>): Promise<void> {
      const d = e.data;
      const template = TEMPLATES[d.status];
      if (!template) return;
      if (await insertNotification(db, { eventId: e.id, orderId: d.orderId, customerId: d.customerId, template })) log.info({ orderId: d.orderId, customerId: d.customerId, template }, 'notification sent');
    }
    return {
      consumers: [{ name: 'notification', topics: ['orders'], handlers: { OrderStatusChanged: notify } }],
      routes(app: FastifyInstance) {
        app.get('/notifications', async (req) => {
          const { orderId } = parse(NotificationQuery, req.query);
          return { notifications: await listNotifications(db, orderId) };
        });
      },
    };
  },
};
