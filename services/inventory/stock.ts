/**
 * Inventory's use cases, as stories. Reserve (order placed): once per event, take every item's
 * units from available stock or none (a conditional UPDATE per item, rolled back to a savepoint
 * when one falls short), record the reservations and announce StockReserved, or announce
 * StockRejected. Release (payment declined, shipment failed): once per event, put the reserved
 * units back. Commit (shipment created): take them out of reserved stock. Set: an operator sets
 * a product's available units.
 */
import type { Db } from '../shared/db';
import { appendOutbox, event, markProcessed, type AnyEvent, type TypedEvent } from '../shared/events';
import { insertReservations, setStock, settleReservations, takeStock } from './repository';

class Insufficient extends Error {
  constructor(readonly productId: string) {
    super(`insufficient stock of ${productId}`);
  }
}

export async function reserveStock(db: Db, e: TypedEvent<'OrderPlaced'>): Promise<void> {
  const o = e.data;
  await db.tx(async (c) => {
    if (!(await markProcessed(c, 'inventory-reserve', e.id))) return;
    // Lock rows in one order so concurrent reservations cannot deadlock.
    const items = [...o.items].sort((a, b) => (a.productId < b.productId ? -1 : 1));
    await c.query('SAVEPOINT reserve');
    try {
      for (const it of items) if (!(await takeStock(c, it.productId, it.quantity))) throw new Insufficient(it.productId);
      await insertReservations(c, o.orderId, items);
      await appendOutbox(c, [event('StockReserved', o.orderId, o)]);
    } catch (err) {
      if (!(err instanceof Insufficient)) throw err;
      await c.query('ROLLBACK TO SAVEPOINT reserve');
      await appendOutbox(c, [event('StockRejected', o.orderId, { orderId: o.orderId, productId: err.productId, items: o.items })]);
    }
  });
}

export async function releaseStock(db: Db, e: AnyEvent<'PaymentDeclined' | 'ShipmentFailed'>): Promise<void> {
  await db.tx(async (c) => {
    if (!(await markProcessed(c, 'inventory-release', e.id))) return;
    const items = await settleReservations(c, e.key, 'RELEASED');
    if (items.length > 0) await appendOutbox(c, [event('StockReleased', e.key, { orderId: e.key, items, cause: e.type })]);
  });
}

export async function commitStock(db: Db, e: TypedEvent<'ShipmentCreated'>): Promise<void> {
  await db.tx(async (c) => {
    // Handled by the inventory-release consumer: its key in processed_events.
    if (!(await markProcessed(c, 'inventory-release', e.id))) return;
    await settleReservations(c, e.key, 'COMMITTED');
  });
}

export async function setAvailable(db: Db, productId: string, available: number): Promise<{ productId: string; available: number }> {
  await db.tx(async (c) => {
    await setStock(c, productId, available);
    await appendOutbox(c, [event('StockChanged', productId, { productId, available })]);
  });
  return { productId, available };
}
