/** The eight services as separate runtimes (as in the 30k+ phases): the saga completes across them. */
jest.setTimeout(180000);
import { DOMAINS, loadConfig, type Domain } from '../../services/shared/config';
import { createRuntime } from '../../services/main';
import { MODULES } from '../../services/modules';
import type { Runtime } from '../../services/shared/runtime';
import { ADDRESS, checkout, eventually, httpInject, prepare, type Inject } from './harness';

let prepared: Awaited<ReturnType<typeof prepare>>;
const runtimes = new Map<Domain, { rt: Runtime; inject: Inject; url: string }>();

beforeAll(async () => {
  prepared = await prepare('micro8');
  // Each service listens first, so the order service can be told where the others are.
  for (const d of DOMAINS.filter((x) => x !== 'order')) {
    const rt = createRuntime(d, [MODULES[d]], loadConfig(prepared.env));
    const url = await rt.buildApp().listen({ port: 0, host: '127.0.0.1' });
    runtimes.set(d, { rt, url, inject: httpInject(url) });
  }
  const urls = ['product', 'inventory', 'payment'].map((d) => `${d}=${runtimes.get(d as Domain)!.url}`).join(',');
  const order = createRuntime('order', [MODULES.order], loadConfig({ ...prepared.env, SERVICE_URLS: urls }));
  const orderUrl = await order.buildApp().listen({ port: 0, host: '127.0.0.1' });
  runtimes.set('order', { rt: order, url: orderUrl, inject: httpInject(orderUrl) });
  await Promise.all([...runtimes.values()].map((r) => r.rt.startWorkers()));
  const product = runtimes.get('product')!.inject;
  const inventory = runtimes.get('inventory')!.inject;
  expect((await product({ method: 'PUT', url: '/products/ms8-1', payload: { name: 'Lamp', priceCents: 4000 } })).statusCode).toBe(200);
  expect((await inventory({ method: 'PUT', url: '/stock/ms8-1', payload: { available: 3 } })).statusCode).toBe(200);
}, 180000);

afterAll(async () => {
  await Promise.all([...runtimes.values()].map((r) => r.rt.stop()));
  await prepared?.drop();
});

test('an order placed with the order service is reserved, charged, shipped and notified by the other services', async () => {
  const order = runtimes.get('order')!.inject;
  const r = await order({ method: 'POST', url: '/orders', payload: checkout('ms8-cust', [{ productId: 'ms8-1', quantity: 2 }], 'tok_visa', ADDRESS), headers: { 'idempotency-key': 'ms8-key-0001' } });
  expect(r.statusCode).toBe(201);
  const id = r.json().id as string;
  await eventually(async () => (await order({ method: 'GET', url: `/orders/${id}` })).json().status === 'CONFIRMED', 60000, 'CONFIRMED');
  expect((await runtimes.get('payment')!.inject({ method: 'GET', url: `/payments/${id}` })).json()).toMatchObject({ status: 'CAPTURED', amountCents: 8000 });
  expect((await runtimes.get('shipping')!.inject({ method: 'GET', url: `/shipments/${id}` })).json()).toMatchObject({ status: 'CREATED' });
  expect((await runtimes.get('inventory')!.inject({ method: 'GET', url: '/stock?ids=ms8-1' })).json().stock[0].available).toBe(1);
  await eventually(async () => (await runtimes.get('notification')!.inject({ method: 'GET', url: `/notifications?orderId=${id}` })).json().notifications.length === 1, 30000, 'notification');
  await eventually(
    async () => ((await runtimes.get('analytics')!.inject({ method: 'GET', url: '/analytics/daily' })).json().rows as { metric: string; value: number }[]).some((x) => x.metric === 'orders_confirmed' && x.value === 1),
    30000,
    'analytics',
  );
  // Each service answers only its own routes.
  expect((await runtimes.get('payment')!.inject({ method: 'POST', url: '/orders', payload: {} })).statusCode).toBe(404);
});
