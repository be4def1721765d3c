/**
 * Shipping a paid order, as a story: once per event, create its shipment with the sandbox
 * carrier, or fail it when the country is not served; announce either (once per order).
 */
import type { Db } from '../shared/db';
import { appendOutbox, event, markProcessed, type TypedEvent } from '../shared/events';
import { sha256 } from '../shared/ids';
import { insertShipment, type NewShipment } from './repository';

export interface ShippingDeps {
  db: Db;
  /** Countries shipped to (SHIPPING_COUNTRIES). */
  countries: ReadonlySet<string>;
}

export async function shipOrder(d: ShippingDeps, e: TypedEvent<'PaymentCaptured'>): Promise<void> {
  const o = e.data;
  const shipment: NewShipment = d.countries.has(o.shipping.country)
    ? { orderId: o.orderId, status: 'CREATED', carrier: 'sandbox-post', tracking: `SBX${sha256(o.orderId).slice(0, 12).toUpperCase()}` }
    : { orderId: o.orderId, status: 'FAILED', reason: `we do not ship to ${o.shipping.country}` };
  await d.db.tx(async (c) => {
    if (!(await markProcessed(c, 'shipping', e.id))) return;
    if (!(await insertShipment(c, shipment))) return;
    await appendOutbox(c, [
      shipment.status === 'CREATED'
        ? event('ShipmentCreated', o.orderId, { orderId: o.orderId, tracking: shipment.tracking })
        : event('ShipmentFailed', o.orderId, { orderId: o.orderId, reason: shipment.reason }),
    ]);
  });
}
