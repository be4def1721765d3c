/**
 * Order: checkout, order reads (with read/write splitting), and the order's status as the
 * saga moves it (a consumer of inventory, payment and shipping events).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../shared/errors';
import { appendOutbox, event, markProcessed, type EventEnvelope, type EventType } from '../shared/events';
import { bucketOf, bucketOfOrderId } from '../shared/ids';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { id as idSchema, parse, uuid } from '../shared/validation';
import { inventoryHttp } from '../inventory/client';
import type { InventoryApi } from '../inventory/module';
import { paymentHttp } from '../payment/client';
import type { PaymentApi } from '../payment/module';
import { productHttp } from '../product/client';
import type { ProductApi } from '../product/module';
import { placeOrder, type CheckoutDeps } from './checkout';
import { CheckoutHealth, checkoutChecks } from './checkout-health';
import { EventLogSchema, loadFromLog, Projector, readView } from './event-log';
import { STATUS, type Order, type OrderStatus } from './model';
import { advanceStatus, appendLog, findOrder, listByCustomer } from './repository';

const text = (v: unknown, fallback: string): string => (typeof v === 'string' && v ? v : fallback);

/** Saga events and the status each moves an order to. */
const TRANSITIONS: Partial<Record<EventType, (d: Record<string, unknown>) => { status: OrderStatus; reason?: string }>> = {
  StockReserved: () => ({ status: 'RESERVED' }),
  StockRejected: (d) => ({ status: 'OUT_OF_STOCK', reason: `not enough stock of ${text(d.productId, 'a product')}` }),
  PaymentCaptured: () => ({ status: 'PAID' }),
  PaymentDeclined: (d) => ({ status: 'PAYMENT_DECLINED', reason: text(d.declineCode, 'declined') }),
  ShipmentCreated: () => ({ status: 'CONFIRMED' }),
  ShipmentFailed: (d) => ({ status: 'CANCELLING', reason: text(d.reason, 'shipping failed') }),
  PaymentRefunded: () => ({ status: 'REFUNDED' }),
};

export const orderModule: ModuleDef = {
  domain: 'order',
  create(rt: Runtime) {
    const cfg = rt.cfg;
    const store = rt.orderStore();
    // Customers who wrote recently, so their reads go to the primary (read-your-writes).
    const recentWriters = rt.recentWriters();
    const port = <T>(d: 'product' | 'inventory' | 'payment', http: (rt: Runtime) => T): (() => T) => {
      let remote: T | undefined;
      return () => rt.local<T>(d) ?? (remote ??= http(rt));
    };
    // With event sourcing on, each database logs once the migration has given it the log's tables.
    const eventLog = cfg.EVENT_SOURCING ? new EventLogSchema() : undefined;
    const deps: CheckoutDeps = {
      cfg,
      store,
      ...(eventLog ? { eventLog } : {}),
      products: port<ProductApi>('product', productHttp),
      inventory: port<InventoryApi>('inventory', inventoryHttp),
      payment: port<PaymentApi>('payment', paymentHttp),
      metrics: rt.metrics,
      // Marked with a cache even without local replicas: secondary regions read this marker.
      onWrite: (customerId) => recentWriters.wrote(customerId),
    };

    async function readOrder(id: string, requester: string | undefined): Promise<Order | undefined> {
      const bucket = bucketOfOrderId(id);
      if (bucket >= cfg.ORDER_BUCKETS) return undefined;
      const replica = eventLog && (await store.replica(bucket));
      // The cqrs-reads flag off: the order tables answer, as they do without event sourcing; the projection goes on.
      if (replica && (await rt.flags().enabled('cqrs-reads')) && (await eventLog.ready(replica))) {
        const view = await readView(replica, id);
        if (view) return view;
        // Not projected yet, or written before its log began and not imported yet: the write model has it.
        const primary = await store.primary(bucket);
        return (await loadFromLog(primary, id)) ?? findOrder(primary, id);
      }
      if (!store.staleReads) {
        const o = await findOrder(await store.primary(bucket), id);
        if (!o && store.sharded && (await store.refresh())) return findOrder(await store.primary(bucket), id);
        return o;
      }
      const stale = await findOrder(await store.replica(bucket), id);
      // Not replicated yet, or the customer's own fresh order: the primary has the truth.
      if (!stale) return findOrder(await store.primary(bucket), id);
      const fresh = Date.now() - Date.parse(stale.createdAt) < cfg.READ_YOUR_WRITES_WINDOW_MS;
      if (requester === stale.customerId && (fresh || (await recentWriters.recently(requester)))) return findOrder(await store.primary(bucket), id);
      return stale;
    }

    async function onSagaEvent(e: EventEnvelope): Promise<void> {
      const t = TRANSITIONS[e.type]?.(e.data);
      if (!t) return;
      const orderId = e.key;
      const bucket = bucketOfOrderId(orderId);
      const logged = eventLog !== undefined && (await eventLog.ready(await store.primary(bucket)));
      const finalStatus = await store.writeTx(bucket, async (c) => {
        if (!(await markProcessed(c, 'order-status', e.id))) return undefined;
        const moved = await advanceStatus(c, orderId, t.status, STATUS[t.status].rank, t.reason);
        if (!moved) return undefined;
        if (logged) await appendLog(c, orderId, moved.bucket, 'OrderStatusChanged', { status: t.status, ...(t.reason ? { reason: t.reason } : {}), cause: e.id });
        if (STATUS[t.status].final) {
          await appendOutbox(
            c,
            [event('OrderStatusChanged', orderId, { orderId, customerId: moved.customer_id, status: t.status, reason: t.reason ?? null, totalCents: Number(moved.total_cents), currency: moved.currency })],
            moved.bucket,
          );
          return t.status;
        }
        return undefined;
      });
      if (finalStatus) rt.metrics.ordersFinal.inc({ status: finalStatus });
    }

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
      outboxes: ['order-shards'],
      jobs: projector ? [{ name: 'order-projector', start: () => projector.start(), stop: () => projector.stop() }] : [],
      consumers: [
        {
          name: 'order-status',
          topics: ['inventory', 'payments', 'shipping'],
          handlers: Object.fromEntries(Object.keys(TRANSITIONS).map((k) => [k, onSagaEvent])),
        },
      ],
      routes(app: FastifyInstance) {
        const health = new CheckoutHealth(checkoutChecks(rt), { role: cfg.REGION_ROLE, region: rt.region.name });
        app.get('/health/checkout', async (_req, reply) => {
          const r = await health.report();
          return reply.status(r.ok ? 200 : 503).header('cache-control', 'no-store').send(r);
        });
        app.post('/orders', async (req, reply) => {
          const key = req.headers['idempotency-key'];
          const { order, replayed } = await placeOrder(deps, req.body, Array.isArray(key) ? key[0] : key);
          void reply.header('location', `/orders/${order.id}`);
          if (replayed) void reply.header('idempotent-replayed', 'true');
          return reply.status(201).send(order);
        });
        app.get('/orders/:id', async (req) => {
          const { id } = parse(z.object({ id: uuid }), req.params);
          const requester = req.headers['x-customer-id'];
          const o = await readOrder(id.toLowerCase(), typeof requester === 'string' ? requester : undefined);
          if (!o) throw new AppError('NOT_FOUND', `Order ${id} does not exist.`);
          return o;
        });
        app.get('/customers/:customerId/orders', async (req) => {
          const { customerId } = parse(z.object({ customerId: idSchema }), req.params);
          const { limit } = parse(z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }), req.query);
          const bucket = bucketOf(customerId, cfg.ORDER_BUCKETS);
          const requester = req.headers['x-customer-id'];
          const own = store.staleReads && requester === customerId && (await recentWriters.recently(customerId));
          const pool = own ? await store.primary(bucket) : await store.replica(bucket);
          return { orders: await listByCustomer(pool, customerId, limit) };
        });
      },
    };
  },
};
