/**
 * The order's status as the saga moves it, as a story: once per event, move the order forward
 * (never back: a status replaces only one of lower rank), log the change when the order's
 * database keeps the event log, and announce a final status (OrderStatusChanged).
 */
import { appendOutbox, event, markProcessed, type AnyEvent } from '../shared/events';
import { bucketOfOrderId } from '../shared/ids';
import type { Metrics } from '../shared/metrics';
import type { EventLogSchema } from './event-log';
import { STATUS, type OrderStatus } from './model';
import { advanceStatus, appendLog } from './repository';
import type { OrderStore } from './store';

/** The saga's events that move an order. */
export type SagaEvent = AnyEvent<'StockReserved' | 'StockRejected' | 'PaymentCaptured' | 'PaymentDeclined' | 'ShipmentCreated' | 'ShipmentFailed' | 'PaymentRefunded'>;

/** The consumer name: its group, and its key in processed_events. */
export const ORDER_STATUS_CONSUMER = 'order-status';

interface Transition {
  status: OrderStatus;
  reason?: string;
}

/** The status a saga event moves its order to, and why when the order failed. */
function transitionOf(e: SagaEvent): Transition {
  switch (e.type) {
    case 'StockReserved':
      return { status: 'RESERVED' };
    case 'StockRejected':
      return { status: 'OUT_OF_STOCK', reason: `not enough stock of ${e.data.productId || 'a product'}` };
    case 'PaymentCaptured':
      return { status: 'PAID' };
    case 'PaymentDeclined':
      return { status: 'PAYMENT_DECLINED', reason: e.data.declineCode || 'declined' };
    case 'ShipmentCreated':
      return { status: 'CONFIRMED' };
    case 'ShipmentFailed':
      return { status: 'CANCELLING', reason: e.data.reason || 'shipping failed' };
    case 'PaymentRefunded':
      return { status: 'REFUNDED' };
  }
}

export interface OrderStatusDeps {
  store: OrderStore;
  /** Present when event sourcing is on: whether a database has the log's tables yet. */
  eventLog?: EventLogSchema;
  metrics: Pick<Metrics, 'ordersFinal'>;
}

/** Moves the order `e` is about (its key) to the status `e` means. */
export async function advanceOrder(d: OrderStatusDeps, e: SagaEvent): Promise<void> {
  const t = transitionOf(e);
  const orderId = e.key;
  const bucket = bucketOfOrderId(orderId);
  const logged = d.eventLog !== undefined && (await d.eventLog.ready(await d.store.primary(bucket)));
  const finalStatus = await d.store.writeTx(bucket, async (c) => {
    if (!(await markProcessed(c, ORDER_STATUS_CONSUMER, e.id))) return undefined;
    const moved = await advanceStatus(c, orderId, t.status, STATUS[t.status].rank, t.reason);
    if (!moved) return undefined;
    if (logged) await appendLog(c, orderId, moved.bucket, 'OrderStatusChanged', { status: t.status, ...(t.reason ? { reason: t.reason } : {}), cause: e.id });
    if (!STATUS[t.status].final) return undefined;
    const changed = event('OrderStatusChanged', orderId, {
      orderId,
      customerId: moved.customer_id,
      status: t.status,
      reason: t.reason ?? null,
      totalCents: Number(moved.total_cents),
      currency: moved.currency,
    });
    await appendOutbox(c, [changed], moved.bucket);
    return t.status;
  });
  if (finalStatus) d.metrics.ordersFinal.inc({ status: finalStatus });
}
