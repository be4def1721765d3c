/**
 * Shipping: creates a shipment for each paid order, or fails it (to a country not served), once
 * per order. This file wires the layers: the consumer and the route (HTTP), ship.ts (the use
 * case), repository.ts (SQL).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../shared/errors';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { parse, uuid } from '../shared/validation';
import { findShipment } from './repository';
import { shipOrder, type ShippingDeps } from './ship';

const ShipmentParams = z.object({ orderId: uuid });

export const shippingModule: ModuleDef<'shipping'> = {
  domain: 'shipping',
  create(rt: Runtime) {
    const db = rt.db('orders');
    const d: ShippingDeps = { db, countries: new Set(rt.cfg.SHIPPING_COUNTRIES) };
    return {
      outboxes: ['orders'],
      consumers: [{ name: 'shipping', topics: ['payments'], handlers: { PaymentCaptured: (e) => shipOrder(d, e) } }],
      routes(app: FastifyInstance) {
        app.get('/shipments/:orderId', async (req) => {
          const { orderId } = parse(ShipmentParams, req.params);
          const shipment = await findShipment(db.primary, orderId);
          if (!shipment) throw new AppError('NOT_FOUND', `No shipment for order ${orderId}.`);
          return shipment;
        });
      },
    };
  },
};
