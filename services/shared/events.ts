/**
 * The events of the order system: each type belongs to one domain topic, is keyed by its
 * aggregate (the order id, or the product id) and carries data of one schema. Producers build
 * events against the schema's type; consumers parse what arrives with the same schema.
 */
import type { PoolClient } from 'pg';
import { z } from 'zod';
import { newId } from './ids';
import { fieldPath } from './validation';

import { TOPICS, Topic } from './topics';

export { TOPICS };
export type { Topic };

// Event data are loose objects: fields a schema does not name pass through untouched, so an
// event forwarded whole (StockReserved carries OrderPlaced's data) loses nothing.

const OrderLine = z.looseObject({ productId: z.string(), quantity: z.number().int(), unitPriceCents: z.number() });

/** What saga events carry about an order (OrderPlaced, then StockReserved and PaymentCaptured with it). */
const OrderSnapshotData = z.looseObject({
  orderId: z.string(),
  customerId: z.string(),
  items: z.array(OrderLine),
  totalCents: z.number(),
  currency: z.string(),
  paymentToken: z.string(),
  shipping: z.looseObject({
    name: z.string(),
    line1: z.string(),
    line2: z.string().optional(),
    city: z.string(),
    postalCode: z.string(),
    country: z.string(),
  }),
});

/** The data of each event type. */
export const EVENT_DATA = {
  OrderPlaced: OrderSnapshotData,
  OrderStatusChanged: z.looseObject({
    orderId: z.string(),
    customerId: z.string(),
    status: z.string(),
    reason: z.string().nullable(),
    totalCents: z.number(),
    currency: z.string(),
  }),
  StockReserved: OrderSnapshotData,
  StockRejected: z.looseObject({ orderId: z.string(), productId: z.string(), items: z.array(OrderLine) }),
  StockReleased: z.looseObject({ orderId: z.string(), items: z.array(z.looseObject({ productId: z.string(), quantity: z.number().int() })), cause: z.string() }),
  StockChanged: z.looseObject({ productId: z.string(), available: z.number().int() }),
  PaymentCaptured: OrderSnapshotData.extend({ paymentRef: z.string() }),
  PaymentDeclined: z.looseObject({ orderId: z.string(), declineCode: z.string() }),
  PaymentRefunded: z.looseObject({ orderId: z.string(), amountCents: z.number(), refundRef: z.string() }),
  ShipmentCreated: z.looseObject({ orderId: z.string(), tracking: z.string() }),
  ShipmentFailed: z.looseObject({ orderId: z.string(), reason: z.string() }),
  // A change the sweeper recovered after a crash says only which product changed.
  ProductChanged: z.looseObject({
    id: z.string(),
    name: z.string().optional(),
    priceCents: z.number().optional(),
    currency: z.string().optional(),
    version: z.number().int().optional(),
    recovered: z.literal(true).optional(),
  }),
  UserRegistered: z.looseObject({ userId: z.string() }),
} as const;

export type EventType = keyof typeof EVENT_DATA;

/** The data an event of `T` carries. */
export type EventData<T extends EventType> = z.output<(typeof EVENT_DATA)[T]>;

const EVENT_TOPIC = {
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
} as const satisfies Record<EventType, Topic>;

export interface EventEnvelope<T = Record<string, unknown>> {
  id: string;
  type: EventType;
  /** Order id for saga events, product id for catalogue and stock events. */
  key: string;
  occurredAt: string;
  data: T;
}

/** An event of type `T` with its data as the schema types it. */
export type TypedEvent<T extends EventType> = EventEnvelope<EventData<T>> & { type: T };

/** Every event of the types in `T`, each with its own data (so a switch on `type` narrows `data`). */
export type AnyEvent<T extends EventType = EventType> = { [K in T]: TypedEvent<K> }[T];

export function event<T extends EventType>(type: T, key: string, data: EventData<T>): TypedEvent<T> {
  return { id: newId(), type, key, occurredAt: new Date().toISOString(), data };
}

/** What every message must hold to be an event at all: consumers read the type before the rest. */
export const EventHead = z.object({ id: z.string().min(1), type: z.string().min(1) });

/** The whole envelope of an event of type `T`, data included. */
export function envelopeSchema<T extends EventType>(type: T) {
  return z.object({ id: z.string().min(1), type: z.literal(type), key: z.string(), occurredAt: z.string(), data: EVENT_DATA[type] });
}

/** A problem found parsing an event: the field (`data.items[0].quantity`), the value found and the rule it breaks. */
export interface EventProblem {
  field: string;
  value: unknown;
  rule: string;
}

/** Each problem of a failed parse of `input`, with the value found at the field. */
export function eventProblems(error: z.ZodError, input: unknown): EventProblem[] {
  return error.issues.map((issue) => {
    let value: unknown = input;
    for (const p of issue.path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[p] : undefined;
    return { field: fieldPath(issue.path) || '(the message)', value, rule: issue.message };
  });
}

/** One line naming every problem: `data.orderId: expected string, received number (value 42)`. */
export function describeProblems(problems: readonly EventProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.rule} (value ${p.value === undefined ? 'missing' : JSON.stringify(p.value)})`).join('; ');
}

/** Writes events to the outbox in the caller's transaction; the relay publishes them. */
export async function appendOutbox(c: PoolClient, events: EventEnvelope<object>[], bucket?: number): Promise<void> {
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
