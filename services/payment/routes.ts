/** Payment's HTTP entry points. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PaymentApi } from '../shared/apis';
import { AppError } from '../shared/errors';
import { parse, uuid } from '../shared/validation';
import type { Payment } from './repository';

const VerifyBody = z.strictObject({ token: z.string().min(1).max(100) });
const PaymentParams = z.object({ orderId: uuid });

export function paymentRoutes(app: FastifyInstance, uc: { api: PaymentApi; findPayment(orderId: string): Promise<Payment | undefined> }): void {
  app.post('/payments/verify', async (req) => {
    const body = parse(VerifyBody, req.body);
    await uc.api.verify(body.token);
    return { ok: true };
  });
  app.get('/payments/:orderId', async (req) => {
    const { orderId } = parse(PaymentParams, req.params);
    const payment = await uc.findPayment(orderId);
    if (!payment) throw new AppError('NOT_FOUND', `No payment for order ${orderId}.`);
    return payment;
  });
}
