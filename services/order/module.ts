/**
 * Order: checkout, order reads (with read/write splitting), and the order's status as the
 * saga moves it (a consumer of inventory, payment and shipping events). This file wires the
 * layers: HTTP entry points (routes.ts), use cases (checkout.ts, reads.ts, status.ts) and data
 * access (repository.ts, event-log.ts, over the order store of store.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { CalledDomain, DomainApis } from '../shared/apis';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { inventoryHttp } from '../inventory/client';
import { paymentHttp } from '../payment/client';
import { productHttp } from '../product/client';
import { placeOrder, type CheckoutDeps } from './checkout';
import { CheckoutHealth, checkoutChecks } from './checkout-health';
import { EventLogSchema, Projector } from './event-log';
import { listCustomerOrders, readOrder, type OrderReadDeps } from './reads';
import { orderRoutes } from './routes';
import { advanceOrder, ORDER_STATUS_CONSUMER, type OrderStatusDeps, type SagaEvent } from './status';
import { createOrderStore } from './store';

export const orderModule: ModuleDef<'order'> = {
  domain: 'order',
  create(rt: Runtime) {
    const cfg = rt.cfg;
    const store = createOrderStore(rt);
    // Customers who wrote recently, so their reads go to the primary (read-your-writes).
    const recentWriters = rt.recentWriters();
    /** Another domain's API: in-process when this process hosts it, else over HTTP (resolved at call time). */
    const port = <D extends CalledDomain>(d: D, http: (rt: Runtime) => DomainApis[D]): (() => DomainApis[D]) => {
      let remote: DomainApis[D] | undefined;
      return () => rt.local(d) ?? (remote ??= http(rt));
    };
    // With event sourcing on, each database logs once the migration has given it the log's tables.
    const eventLog = cfg.EVENT_SOURCING ? new EventLogSchema() : undefined;
    const logged = eventLog ? { eventLog } : {};
    const checkout: CheckoutDeps = {
      cfg,
      store,
      ...logged,
      products: port('product', productHttp),
      inventory: port('inventory', inventoryHttp),
      payment: port('payment', paymentHttp),
      metrics: rt.metrics,
      // Marked with a cache even without local replicas: secondary regions read this marker.
      onWrite: (customerId) => recentWriters.wrote(customerId),
    };
    const reads: OrderReadDeps = { cfg, store, ...logged, recentWriters, cqrsReads: () => rt.flags().enabled('cqrs-reads') };
    const status: OrderStatusDeps = { store, ...logged, metrics: rt.metrics };
    const onSagaEvent = (e: SagaEvent) => advanceOrder(status, e);

    const projector = eventLog
      ? new Projector(
          store.allPrimaries(),
          eventLog,
          {
            lag: (database, seconds) => rt.metrics.readModelLag.set({ database }, seconds),
            imported: (database, n) => rt.metrics.ordersImported.inc({ database }, n),
          },
          rt.log.child({ component: 'projector' }),
        )
      : undefined;

    return {
      // The orders database, or each shard: the checkout's OrderPlaced and the final statuses are written there.
      outboxes: store.allPrimaries(),
      jobs: projector ? [{ name: 'order-projector', start: () => projector.start(), stop: () => projector.stop() }] : [],
      consumers: [
        {
          name: ORDER_STATUS_CONSUMER,
          topics: ['inventory', 'payments', 'shipping'],
          handlers: {
            StockReserved: onSagaEvent,
            StockRejected: onSagaEvent,
            PaymentCaptured: onSagaEvent,
            PaymentDeclined: onSagaEvent,
            ShipmentCreated: onSagaEvent,
            ShipmentFailed: onSagaEvent,
            PaymentRefunded: onSagaEvent,
          },
        },
      ],
      routes(app: FastifyInstance) {
        const health = new CheckoutHealth(checkoutChecks(rt, store), { role: cfg.REGION_ROLE, region: rt.region.name });
        orderRoutes(app, {
          checkoutHealth: () => health.report(),
          placeOrder: (body, key) => placeOrder(checkout, body, key),
          readOrder: (id, requester) => readOrder(reads, id, requester),
          listCustomerOrders: (customerId, limit, requester) => listCustomerOrders(reads, customerId, limit, requester),
        });
      },
    };
  },
};
