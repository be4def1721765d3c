/** The order service's HTTP entry points: each validates what arrives, calls one use case and shapes the answer. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../shared/errors';
import { id as idSchema, parse, uuid } from '../shared/validation';
import type { CheckoutHealthReport } from './checkout-health';
import type { Order } from './model';

/** The use cases the routes call. */
export interface OrderUseCases {
  checkoutHealth(): Promise<CheckoutHealthReport>;
  placeOrder(body: unknown, idempotencyKey: string | undefined): Promise<{ order: Order; replayed: boolean }>;
  readOrder(id: string, requester: string | undefined): Promise<Order | undefined>;
  listCustomerOrders(customerId: string, limit: number, requester: string | undefined): Promise<Order[]>;
}

const OrderParams = z.object({ id: uuid });
const CustomerParams = z.object({ customerId: idSchema });
const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });

/** The customer asking (X-Customer-Id), when the request says. */
function requesterOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const v = headers['x-customer-id'];
  return typeof v === 'string' ? v : undefined;
}

export function orderRoutes(app: FastifyInstance, uc: OrderUseCases): void {
  app.get('/health/checkout', async (_req, reply) => {
    const r = await uc.checkoutHealth();
    return reply.status(r.ok ? 200 : 503).header('cache-control', 'no-store').send(r);
  });
  app.post('/orders', async (req, reply) => {
    const key = req.headers['idempotency-key'];
    const { order, replayed } = await uc.placeOrder(req.body, Array.isArray(key) ? key[0] : key);
    void reply.header('location', `/orders/${order.id}`);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return reply.status(201).send(order);
  });
  app.get('/orders/:id', async (req) => {
    const { id } = parse(OrderParams, req.params);
    const o = await uc.readOrder(id.toLowerCase(), requesterOf(req.headers));
    if (!o) throw new AppError('NOT_FOUND', `Order ${id} does not exist.`);
    return o;
  });
  app.get('/customers/:customerId/orders', async (req) => {
    const { customerId } = parse(CustomerParams, req.params);
    const { limit } = parse(ListQuery, req.query);
    return { orders: await uc.listCustomerOrders(customerId, limit, requesterOf(req.headers)) };
  });
}
