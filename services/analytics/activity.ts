/**
 * Order activity (ORDER_ACTIVITY): every order event the analytics service consumes, one document
 * each in the order-activity collection (services/migrations/order-activity.ts), read back per
 * customer, newest first, a page at a time.
 */
import { z } from 'zod';
import { ACTIVITY_COLLECTION, type ActivityDoc } from '../migrations/order-activity';
import type { EventEnvelope } from '../shared/events';
import type { MongoConnection } from '../shared/mongo';
import { id as idSchema } from '../shared/validation';

/** What an order event carries that the activity keeps; parsed at the consumer, never cast. */
const OrderEventData = z.object({
  orderId: idSchema,
  customerId: idSchema,
  status: z.string().min(1).max(40).optional(),
  totalCents: z.number().int().min(0),
});

/** An activity entry as the API returns it. */
export interface Activity {
  eventId: string;
  orderId: string;
  type: string;
  status: string;
  totalCents: number;
  occurredAt: string;
}

/** One page of a customer's activity; `next` reads the page after it. */
export interface ActivityPage {
  activity: Activity[];
  next?: string;
}

/** The most entries one page may hold. */
export const MAX_ACTIVITY_PAGE = 100;

/** The cursor of the page after `doc`: its time and id (ties in time are broken by id). */
function cursorAfter(doc: ActivityDoc): string {
  return Buffer.from(JSON.stringify([doc.occurredAt.toISOString(), doc._id])).toString('base64url');
}

/** The position a cursor names, or undefined when it is not one this service wrote. */
export function parseCursor(cursor: string): { occurredAt: Date; id: string } | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string') return undefined;
    const occurredAt = new Date(v[0]);
    return Number.isNaN(occurredAt.getTime()) ? undefined : { occurredAt, id: v[1] };
  } catch {
    return undefined;
  }
}

export class ActivityStore {
  constructor(private readonly mongo: MongoConnection) {}

  /**
   * Keeps one order event; false when its data is not an order's (nothing is written). The document's id is the event's, and the filter holds the shard key,
   * so a redelivered event rewrites the same document on the same shard: nothing doubles.
   */
  async record(e: EventEnvelope): Promise<boolean> {
    const parsed = OrderEventData.safeParse(e.data);
    if (!parsed.success) return false;
    const d = parsed.data;
    const doc: Omit<ActivityDoc, '_id' | 'customerId'> = {
      orderId: d.orderId,
      type: e.type,
      status: d.status ?? (e.type === 'OrderPlaced' ? 'PENDING' : 'UNKNOWN'),
      totalCents: d.totalCents,
      occurredAt: new Date(e.occurredAt),
    };
    await this.mongo.run((db) => db.collection<ActivityDoc>(ACTIVITY_COLLECTION).updateOne({ _id: e.id, customerId: d.customerId }, { $setOnInsert: doc }, { upsert: true }));
    return true;
  }

  /** A customer's activity, newest first: at most `limit` entries, after the position `before` names. */
  async list(customerId: string, limit: number, before?: { occurredAt: Date; id: string }): Promise<ActivityPage> {
    const filter = before
      ? { customerId, $or: [{ occurredAt: { $lt: before.occurredAt } }, { occurredAt: before.occurredAt, _id: { $lt: before.id } }] }
      : { customerId };
    const docs = await this.mongo.run((db) =>
      db
        .collection<ActivityDoc>(ACTIVITY_COLLECTION)
        .find(filter)
        .sort({ occurredAt: -1, _id: -1 })
        .limit(limit + 1)
        .toArray(),
    );
    const page = docs.slice(0, limit);
    const last = page[page.length - 1];
    return {
      activity: page.map((x) => ({ eventId: x._id, orderId: x.orderId, type: x.type, status: x.status, totalCents: x.totalCents, occurredAt: x.occurredAt.toISOString() })),
      ...(docs.length > limit && last ? { next: cursorAfter(last) } : {}),
    };
  }

  ping(): Promise<void> {
    return this.mongo.run(async (db) => void (await db.command({ ping: 1 })));
  }

  close(): Promise<void> {
    return this.mongo.close();
  }
}
