/**
 * Counting an order event, as a story: keep it in the customer's activity when that is on
 * (idempotent by itself), then, once per event, add it to the day's counters: orders placed and
 * their value, orders confirmed and revenue, or orders reaching another status.
 */
import type { Db } from '../shared/db';
import { markProcessed, type AnyEvent } from '../shared/events';
import type { Logger } from '../shared/logger';
import type { ActivityStore } from './activity';
import { addToDay } from './repository';

export interface CountDeps {
  db: Db;
  activity?: ActivityStore;
  log: Logger;
}

export type OrderEvent = AnyEvent<'OrderPlaced' | 'OrderStatusChanged'>;

/** The counters an order event adds to, and by how much. */
function countersOf(e: OrderEvent): [string, number][] {
  if (e.type === 'OrderPlaced') return [['orders_placed', 1], ['value_placed_cents', e.data.totalCents]];
  if (e.data.status === 'CONFIRMED') return [['orders_confirmed', 1], ['revenue_cents', e.data.totalCents]];
  return [[`orders_${e.data.status.toLowerCase()}`, 1]];
}

export async function countOrderEvent(d: CountDeps, e: OrderEvent): Promise<void> {
  // First the activity, then the counters with the processed mark: a crash between the two
  // redelivers the event, which rewrites the same document.
  if (d.activity && !(await d.activity.record(e))) d.log.warn({ eventId: e.id, type: e.type }, "order event without an order's fields: not kept in the order activity");
  const counters = countersOf(e);
  await d.db.tx(async (c) => {
    if (!(await markProcessed(c, 'analytics', e.id))) return;
    for (const [metric, v] of counters) await addToDay(c, e.occurredAt, metric, v);
  });
}
