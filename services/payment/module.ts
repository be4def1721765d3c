/**
 * Payment: verifies tokens for checkout, charges when stock is reserved, refunds when a paid
 * order cannot ship. A payment row per order (primary key order_id) plus the provider's
 * idempotency key `charge:<order id>` mean an order is charged at most once. This file wires
 * the layers: routes.ts (HTTP), payments.ts (use cases), repository.ts (SQL).
 */
import type { FastifyInstance } from 'fastify';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { chargeOrder, paymentApi, refundOrder, type PaymentDeps } from './payments';
import { SandboxProvider } from './provider';
import { findPayment } from './repository';
import { paymentRoutes } from './routes';

export type { PaymentApi } from '../shared/apis';

export const paymentModule: ModuleDef<'payment'> = {
  domain: 'payment',
  create(rt: Runtime) {
    const db = rt.db('orders');
    const d: PaymentDeps = { db, provider: new SandboxProvider(rt.pool(rt.cfg.ORDERS_DB_URL, `${rt.service}:sandbox-ledger`)) };
    const api = paymentApi(d.provider);
    return {
      api,
      outboxes: ['orders'],
      consumers: [
        { name: 'payment-charge', topics: ['inventory'], handlers: { StockReserved: (e) => chargeOrder(d, e) } },
        { name: 'payment-refund', topics: ['shipping'], handlers: { ShipmentFailed: (e) => refundOrder(d, e) } },
      ],
      routes(app: FastifyInstance) {
        paymentRoutes(app, { api, findPayment: (orderId) => findPayment(db.primary, orderId) });
      },
    };
  },
};
