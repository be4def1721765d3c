/** Calls between services: retries with backoff, timeouts, circuit breakers; microservices over HTTP. */
jest.setTimeout(120000);
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../services/shared/config';
import { createRuntime } from '../../services/main';
import { MODULES } from '../../services/modules';
import { ServiceClient } from '../../services/shared/service-client';
import type { Runtime } from '../../services/shared/runtime';
import { checkout, httpInject, prepare, type Inject } from './harness';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

async function stub(handler: Handler): Promise<{ url: string; calls: () => number; headers: http.IncomingHttpHeaders[]; close: () => Promise<void> }> {
  let n = 0;
  const headers: http.IncomingHttpHeaders[] = [];
  const srv = http.createServer((req, res) => {
    headers.push(req.headers);
    handler(req, res, n++);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    calls: () => n,
    headers,
    close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }),
  };
}

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const client = (url: string, o: Partial<ConstructorParameters<typeof ServiceClient>[0]> = {}) =>
  new ServiceClient({ baseUrl: url, target: 'stub', timeoutMs: 200, retries: 2, backoffMs: 10, errorThresholdPercent: 50, resetTimeoutMs: 300, volumeThreshold: 4, ...o });

describe('ServiceClient', () => {
  test('a failing call is retried with backoff until it succeeds', async () => {
    const s = await stub((_req, res, n) => (n < 2 ? json(res, 503, {}) : json(res, 200, { ok: true })));
    await expect(client(s.url).get('/x')).resolves.toEqual({ ok: true });
    expect(s.calls()).toBe(3);
    await s.close();
  });

  test('a call that hangs times out, and after the retries the caller gets DEPENDENCY_UNAVAILABLE', async () => {
    const s = await stub(() => undefined);
    const t0 = Date.now();
    await expect(client(s.url).get('/x')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', status: 503 });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(s.calls()).toBe(3);
    await s.close();
  });

  test('a 4xx answer is passed on as it is and not retried', async () => {
    const s = await stub((_req, res) => json(res, 409, { error: { code: 'OUT_OF_STOCK', message: 'none left', field: 'items[0].quantity' } }));
    await expect(client(s.url).get('/x')).rejects.toMatchObject({ code: 'OUT_OF_STOCK', field: 'items[0].quantity' });
    expect(s.calls()).toBe(1);
    await s.close();
  });

  test('a POST is retried only with an idempotency key, which every attempt carries', async () => {
    const s = await stub((_req, res) => json(res, 500, {}));
    const c = client(s.url, { volumeThreshold: 100 });
    await expect(c.post('/p', { a: 1 })).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(s.calls()).toBe(1);
    await expect(c.post('/p', { a: 1 }, 'key-123')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(s.calls()).toBe(4);
    expect(s.headers.slice(1).map((h) => h['idempotency-key'])).toEqual(['key-123', 'key-123', 'key-123']);
    // Marked as a call between services, so the callee does not count a visitor.
    expect(s.headers.every((h) => h['x-orders-internal-call'] === '1')).toBe(true);
    await s.close();
  });

  test('the breaker opens after repeated failures, fails fast while open, and closes after a good trial call', async () => {
    let healthy = false;
    const s = await stub((_req, res) => (healthy ? json(res, 200, { ok: 1 }) : json(res, 500, {})));
    const c = client(s.url, { retries: 0 });
    for (let i = 0; i < 5; i++) await c.get('/x').catch(() => undefined);
    expect(c.state).toBe('open');
    const before = s.calls();
    const t0 = Date.now();
    await expect(c.get('/x')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    // Fails without a call (a timing bound only loosely, as CI machines are busy).
    expect(Date.now() - t0).toBeLessThan(150);
    expect(s.calls()).toBe(before);
    healthy = true;
    await new Promise((r) => setTimeout(r, 350));
    await expect(c.get('/x')).resolves.toEqual({ ok: 1 });
    expect(c.state).toBe('closed');
    await s.close();
  });
});

describe('microservices over HTTP', () => {
  let prepared: Awaited<ReturnType<typeof prepare>>;
  const rts: Runtime[] = [];
  let order: Inject;
  let catalogue: Runtime;

  beforeAll(async () => {
    prepared = await prepare('micro');
    const start = async (name: 'product' | 'inventory' | 'payment' | 'order', env: Record<string, string> = {}) => {
      const rt = createRuntime(name, [MODULES[name]], loadConfig({ ...prepared.env, ...env }));
      rts.push(rt);
      return { rt, url: await rt.buildApp().listen({ port: 0, host: '127.0.0.1' }) };
    };
    const product = await start('product');
    const inventory = await start('inventory');
    const payment = await start('payment');
    catalogue = product.rt;
    const o = await start('order', {
      SERVICE_URLS: `product=${product.url},inventory=${inventory.url},payment=${payment.url}`,
      HTTP_CLIENT_TIMEOUT_MS: '300',
      HTTP_CLIENT_RETRIES: '1',
      BREAKER_VOLUME_THRESHOLD: '3',
      BREAKER_RESET_MS: '60000',
    });
    order = httpInject(o.url);
    const p = httpInject(product.url);
    const i = httpInject(inventory.url);
    expect((await p({ method: 'PUT', url: '/products/ms-1', payload: { name: 'M', priceCents: 900 } })).statusCode).toBe(200);
    expect((await i({ method: 'PUT', url: '/stock/ms-1', payload: { available: 1 } })).statusCode).toBe(200);
  }, 120000);

  afterAll(async () => {
    for (const rt of rts) await rt.stop();
    await prepared?.drop();
  });

  test('the order service prices, checks stock and verifies payment through the other services', async () => {
    const ok = await order({ method: 'POST', url: '/orders', payload: checkout('ms-cust', [{ productId: 'ms-1', quantity: 1 }]), headers: { 'idempotency-key': 'ms-key-00001' } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().totalCents).toBe(900);
    const oos = await order({ method: 'POST', url: '/orders', payload: checkout('ms-cust', [{ productId: 'ms-1', quantity: 2 }]), headers: { 'idempotency-key': 'ms-key-00002' } });
    expect(oos.statusCode).toBe(409);
    const declined = await order({ method: 'POST', url: '/orders', payload: checkout('ms-cust', [{ productId: 'ms-1', quantity: 1 }], 'tok_chargeDeclinedInsufficientFunds'), headers: { 'idempotency-key': 'ms-key-00003' } });
    expect(declined.statusCode).toBe(402);
    expect(declined.json().error).toMatchObject({ code: 'PAYMENT_DECLINED', field: 'payment.token' });
  });

  test('with the product service down, checkout answers 503 DEPENDENCY_UNAVAILABLE and then fails fast on the open breaker', async () => {
    await catalogue.app!.close();
    const attempt = (n: number) => order({ method: 'POST', url: '/orders', payload: checkout('ms-cust', [{ productId: 'ms-1', quantity: 1 }]), headers: { 'idempotency-key': `ms-down-000${n}` } });
    for (let n = 0; n < 3; n++) {
      const r = await attempt(n);
      expect(r.statusCode).toBe(503);
      expect(r.json().error.code).toBe('DEPENDENCY_UNAVAILABLE');
    }
    const t0 = Date.now();
    const fast = await attempt(9);
    expect(fast.statusCode).toBe(503);
    expect(Date.now() - t0).toBeLessThan(250);
    const metrics = await order({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/circuit_breaker_events_total\{target="product",event="open",service="order"\} 1/);
  });
});
