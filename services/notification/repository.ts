/** SQL for notifications (the users database): one per event, unique by event id. */
import type { Db } from '../shared/db';

export interface NewNotification {
  eventId: string;
  orderId: string;
  customerId: string;
  template: string;
}

/** Records an email notification; false when this event already made one. */
export async function insertNotification(db: Db, n: NewNotification): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO notifications (event_id, order_id, customer_id, channel, template) VALUES ($1, $2, $3, 'email', $4) ON CONFLICT (event_id) DO NOTHING RETURNING id`,
    [n.eventId, n.orderId, n.customerId, n.template],
  );
  return r.length > 0;
}

export async function listNotifications(db: Db, orderId: string): Promise<{ orderId: string; customerId: string; channel: string; template: string; createdAt: unknown }[]> {
  const rows = await db.query<{ order_id: string; customer_id: string; channel: string; template: string; created_at: unknown }>(
    'SELECT order_id, customer_id, channel, template, created_at FROM notifications WHERE order_id = $1 ORDER BY id',
    [orderId],
  );
  return rows.map((r) => ({ orderId: r.order_id, customerId: r.customer_id, channel: r.channel, template: r.template, createdAt: r.created_at }));
}
