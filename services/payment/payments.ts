/**
 * Payment's use cases, as stories. Verify: the provider checks the token. Charge (stock
 * reserved): once per event, open the order's payment (an order has at most one), charge with
 * the provider's idempotency key `charge:<order id>`, record the outcome and announce it. Refund
 * (shipment failed): once per event, mark a captured payment refunded, refund it, announce it.
 */
import type { PaymentApi } from '../shared/apis';
import type { Db } from '../shared/db';
import { AppError } from '../shared/errors';
import { appendOutbox, event, markProcessed, type TypedEvent } from '../shared/events';
import type { PaymentProvider } from './provider';
import { markCaptured, markDeclined, markRefunded, openPayment } from './repository';

export interface PaymentDeps {
  db: Db;
  provider: PaymentProvider;
}

/** The in-process payment API: a declined token throws PAYMENT_DECLINED naming `payment.token`. */
export function paymentApi(provider: PaymentProvider): PaymentApi {
  return {
    async verify(token) {
      const r = await provider.verify(token);
      if (!r.ok) throw new AppError('PAYMENT_DECLINED', `The payment was declined: ${r.declineCode}.`, 'payment.token', { declineCode: r.declineCode });
    },
  };
}

export async function chargeOrder(d: PaymentDeps, e: TypedEvent<'StockReserved'>): Promise<void> {
  const o = e.data;
  await d.db.tx(async (c) => {
    if (!(await markProcessed(c, 'payment-charge', e.id))) return;
    // Already charged or declined: never charge twice.
    if (!(await openPayment(c, o.orderId, o.totalCents, o.currency))) return;
    const r = await d.provider.charge(`charge:${o.orderId}`, o.paymentToken, o.totalCents);
    if (r.ok) {
      await markCaptured(c, o.orderId, r.ref);
      await appendOutbox(c, [event('PaymentCaptured', o.orderId, { ...o, paymentRef: r.ref })]);
    } else {
      await markDeclined(c, o.orderId, r.ref, r.declineCode);
      await appendOutbox(c, [event('PaymentDeclined', o.orderId, { orderId: o.orderId, declineCode: r.declineCode })]);
    }
  });
}

export async function refundOrder(d: PaymentDeps, e: TypedEvent<'ShipmentFailed'>): Promise<void> {
  const { orderId } = e.data;
  await d.db.tx(async (c) => {
    if (!(await markProcessed(c, 'payment-refund', e.id))) return;
    const p = await markRefunded(c, orderId);
    if (!p) return;
    const refund = await d.provider.refund(`refund:${orderId}`, p.providerRef, p.amountCents);
    await appendOutbox(c, [event('PaymentRefunded', orderId, { orderId, amountCents: p.amountCents, refundRef: refund.ref })]);
  });
}
