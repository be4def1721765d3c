/** The events of the order system: each type belongs to one domain topic and is keyed by its aggregate (the order id, or the product id). */
import type { PoolClient } from 'pg';
import { newId } from './ids';

import { TOPICS, Topic } from './topics';

export { TOPICS };
export type { Topic };

export const EVENT_TOPIC = {
  OrderPlaced: 'orders',
  OrderStatusChanged: 'orders',
  StockReserved: 'inventory',
  StockRejected: 'inventory',
  StockReleased: 'inventory',
  StockChanged: 'inventory',
  PaymentCaptured: 'payments',
  PaymentDeclined: 'payments',
  PaymentRefunded: 'payments',
  ShipmentCreated: 'shipping',
  ShipmentFailed: 'shipping',
  ProductChanged: 'products',
  UserRegistered: 'users',
} as const satisfies Record<string, Topic>;

export type EventType = keyof typeof EVENT_TOPIC;

export interface EventEnvelope<T = Record<string, unknown>> {
  id: string;
  type: EventType;
  /** Order id for saga events, product id for catalogue and stock events. */
  key: string;
  occurredAt: string;
  data: T;
}

export function event<T extends Record<string, unknown>>(type: EventType, key: string, data: T): EventEnvelope<T> {
  return { id: newId(), type, key, occurredAt: new Date().toISOString(), data };
}

/** Writes events to the outbox in the caller's transaction; the relay publishes them. */
export async function appendOutbox(c: PoolClient, events: EventEnvelope[], bucket?: number): Promise<void> {
  if (events.length === 0) return;
  const values: unknown[] = [];
  const rows = events.map((e, i) => {
    values.push(e.id, EVENT_TOPIC[e.type], e.key, e.type, JSON.stringify(e), bucket ?? null);
    const b = i * 6;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}::jsonb, $${b + 6})`;
  });
  await c.query(`INSERT INTO outbox (event_id, topic, key, type, payload, bucket) VALUES ${rows.join(', ')}`, values);
}

/** Records that `consumer` handled `eventId`; false if it already had (then the caller skips the effect). */
export async function markProcessed(c: PoolClient, consumer: string, eventId: string): Promise<boolean> {
  const r = await c.query('INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [consumer, eventId]);
  return r.rowCount === 1;
}
