/**
 * Checkout, as a story: validate the request, price it from the catalogue, check stock and
 * the payment token, then write the order, its items and its OrderPlaced event in one
 * transaction. Everything after that (reserve, charge, ship) is the saga's, driven by events.
 *
 * The checks before the write give the customer an immediate answer (409, 402); they are
 * advisory. The saga is authoritative: an order accepted during a race for the last units
 * still ends OUT_OF_STOCK, with nothing charged.
 */
import type { Config } from '../shared/config';
import { AppError } from '../shared/errors';
import { event } from '../shared/events';
import { bucketOf, canonicalJson, orderId, sha256 } from '../shared/ids';
import type { Metrics } from '../shared/metrics';
import { parse } from '../shared/validation';
import type { InventoryApi } from '../inventory/module';
import type { PaymentApi } from '../payment/module';
import type { ProductApi } from '../product/module';
import type { EventLogSchema } from './event-log';
import { CheckoutRequest, type Order, type OrderItem, type OrderSnapshot } from './model';
import { findByKey, insertOrder } from './repository';
import type { OrderStore } from './store';

export interface CheckoutDeps {
  cfg: Config;
  store: OrderStore;
  products: () => ProductApi;
  inventory: () => InventoryApi;
  payment: () => PaymentApi;
  metrics: Metrics;
  /** Present when event sourcing is on: whether the order's database has the log's tables yet. */
  eventLog?: EventLogSchema;
  onWrite?: (customerId: string) => Promise<void>;
}

const KEY = /^[A-Za-z0-9_\-:.]{8,128}$/;

export async function placeOrder(d: CheckoutDeps, body: unknown, idempotencyKey: string | undefined): Promise<{ order: Order; replayed: boolean }> {
  if (idempotencyKey === undefined || idempotencyKey === '') throw new AppError('IDEMPOTENCY_KEY_REQUIRED', undefined, 'Idempotency-Key');
  if (!KEY.test(idempotencyKey)) throw new AppError('VALIDATION_FAILED', 'Idempotency-Key: must be 8-128 letters, digits or _ - : .', 'Idempotency-Key');
  const req = parse(CheckoutRequest, body);
  const seen = new Set<string>();
  req.items.forEach((it, i) => {
    if (seen.has(it.productId)) throw new AppError('VALIDATION_FAILED', `items[${i}].productId: appears more than once`, `items[${i}].productId`);
    seen.add(it.productId);
  });
  const requestHash = sha256(canonicalJson(req));
  const bucket = bucketOf(req.customerId, d.cfg.ORDER_BUCKETS);

  let items: OrderItem[];
  let currency: string;
  try {
    // Independent checks run together; the first failure in request order is reported.
    const [priced, stock, pay] = await Promise.allSettled([price(d, req), checkStock(d, req), d.payment().verify(req.payment.token)]);
    for (const r of [priced, stock, pay]) if (r.status === 'rejected') throw r.reason;
    ({ items, currency } = (priced as PromiseFulfilledResult<{ items: OrderItem[]; currency: string }>).value);
  } catch (e) {
    // A replay of an accepted order returns it even if stock or prices changed since.
    const existing = await replay(d, bucket, req.customerId, idempotencyKey, requestHash);
    if (existing) return existing;
    d.metrics.checkoutAttempts.inc({ outcome: e instanceof AppError ? e.code : 'error' });
    throw e;
  }

  const totalCents = items.reduce((s, it) => s + it.unitPriceCents * it.quantity, 0);
  const id = orderId(bucket);
  const snapshot: OrderSnapshot = { orderId: id, customerId: req.customerId, items, totalCents, currency, paymentToken: req.payment.token, shipping: req.shipping };
  const placed = event('OrderPlaced', id, snapshot);
  const n = {
    id,
    bucket,
    customerId: req.customerId,
    idempotencyKey,
    requestHash,
    totalCents,
    currency,
    shipping: req.shipping,
    items,
    placed,
    ...(d.eventLog && (await d.eventLog.ready(await d.store.primary(bucket))) ? { logData: { customerId: req.customerId, items, totalCents, currency, shipping: req.shipping } } : {}),
  };
  const created = d.store.sharded ? await d.store.writeTx(bucket, (c) => insertOrder(c, n)) : await insertOrder(await d.store.primary(bucket), n);
  if (!created) {
    const existing = await replay(d, bucket, req.customerId, idempotencyKey, requestHash);
    if (existing) return existing;
    throw new AppError('INTERNAL', 'order insert conflicted but no order was found');
  }
  await d.onWrite?.(req.customerId);
  d.metrics.checkoutAttempts.inc({ outcome: 'accepted' });
  d.metrics.ordersPlaced.inc();
  d.metrics.revenueCents.inc({ currency }, totalCents);
  const at = created.createdAt.toISOString();
  return {
    order: { id, customerId: req.customerId, status: 'PENDING', totalCents, currency, items, shipping: req.shipping, createdAt: at, updatedAt: at },
    replayed: false,
  };
}

async function replay(d: CheckoutDeps, bucket: number, customerId: string, key: string, requestHash: string): Promise<{ order: Order; replayed: true } | undefined> {
  const found = await findByKey(await d.store.primary(bucket), customerId, key);
  if (!found) return undefined;
  if (found.requestHash !== requestHash) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${key} was used for order ${found.order.id} with a different request.`, 'Idempotency-Key', { orderId: found.order.id });
  }
  d.metrics.checkoutAttempts.inc({ outcome: 'replayed' });
  return { order: found.order, replayed: true };
}

async function price(d: CheckoutDeps, req: CheckoutRequest): Promise<{ items: OrderItem[]; currency: string }> {
  const products = await d.products().getProducts(req.items.map((i) => i.productId));
  let currency: string | undefined;
  const items = req.items.map((it, i) => {
    const p = products.get(it.productId);
    if (!p) throw new AppError('UNKNOWN_PRODUCT', `items[${i}].productId: product ${it.productId} does not exist`, `items[${i}].productId`);
    currency ??= p.currency;
    if (p.currency !== currency) throw new AppError('VALIDATION_FAILED', `items[${i}].productId: priced in ${p.currency}, the order in ${currency}`, `items[${i}].productId`);
    return { productId: it.productId, quantity: it.quantity, unitPriceCents: p.priceCents };
  });
  return { items, currency: currency! };
}

async function checkStock(d: CheckoutDeps, req: CheckoutRequest): Promise<void> {
  const levels = await d.inventory().availability(req.items.map((i) => i.productId));
  req.items.forEach((it, i) => {
    const available = levels.get(it.productId) ?? 0;
    if (available < it.quantity) {
      throw new AppError('OUT_OF_STOCK', `items[${i}]: ${it.quantity} of ${it.productId} requested, ${available} available`, `items[${i}].quantity`, { productId: it.productId, available });
    }
  });
}
