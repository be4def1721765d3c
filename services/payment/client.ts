/** The payment API over HTTP (breaker, timeout, retries), for processes that do not host payment. */
import type { Runtime } from '../shared/runtime';
import type { PaymentApi } from './module';

/** The payment API over HTTP, for an order service running apart from payment. */
export function paymentHttp(rt: Runtime): PaymentApi {
  return {
    async verify(token) {
      await rt.client('payment').post('/payments/verify', { token });
    },
  };
}
