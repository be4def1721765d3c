/** Fuzz: malformed requests never cause a 5xx or take the service down. */
jest.setTimeout(180000);
import { ADDRESS, checkout, seed, startSystem, type InjectRequest, type TestSystem } from './harness';

let s: TestSystem;

beforeAll(async () => {
  s = await startSystem('fuzz', { workers: false });
  await seed(s, [{ id: 'p-fz', priceCents: 100, stock: 1_000_000 }]);
}, 120000);

afterAll(async () => {
  await s?.close();
});

/** Deterministic PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(n: number, seedValue: number): InjectRequest[] {
  const r = rng(seedValue);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const weird: unknown[] = [null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 1.5, NaN, '', ' ', 'x'.repeat(5000), '\u0000', '💥', '<script>', "' OR 1=1 --", [], {}, [[[]]], { __proto__: { polluted: true } }, { constructor: { prototype: {} } }];
  const value = (depth = 0): unknown => {
    const k = r();
    if (depth > 3 || k < 0.5) {
      const v = pick(weird);
      return typeof v === 'object' && v !== null ? structuredClone(v) : v;
    }
    if (k < 0.75) return Array.from({ length: Math.floor(r() * 4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, () => [pick(['customerId', 'items', 'payment', 'shipping', 'productId', 'quantity', 'token', 'country', '__proto__', 'x']), value(depth + 1)]));
  };
  const valid = () => structuredClone(checkout('fuzz-cust', [{ productId: 'p-fz', quantity: 1 }])) as Record<string, any>;
  const mutate = (): Record<string, any> => {
    const b = valid();
    const paths: (() => void)[] = [
      () => (b.customerId = value()),
      () => (b.items = value()),
      () => (b.items[0] = value()),
      () => (b.items[0].quantity = value()),
      () => (b.items[0].productId = value()),
      () => (b.payment = value()),
      () => (b.payment.token = value()),
      () => (b.shipping = value()),
      () => (b.shipping.country = value()),
      () => (b.shipping[pick(['name', 'line1', 'city', 'postalCode'])] = value()),
      () => delete b[pick(['customerId', 'items', 'payment', 'shipping'])],
      () => (b[pick(['extra', '__proto__', 'constructor'])] = value()),
      () => (b.items = Array.from({ length: 60 }, () => ({ productId: 'p-fz', quantity: 1 }))),
    ];
    const times = 1 + Math.floor(r() * 3);
    for (let i = 0; i < times; i++) {
      try {
        pick(paths)();
      } catch {
        // a previous mutation made this path unreachable
      }
    }
    return b;
  };
  const rawBodies = ['{', '}', '[', '{"customerId":', 'null', 'true', '"string"', '123', '{"a":1}{"b":2}', '\u0000\u0001', 'NaN', '{"items":[{"productId":"p-fz","quantity":1e999}]}', '['.repeat(3000) + ']'.repeat(3000), '{"customerId":"' + 'a'.repeat(70000) + '"}'];
  const keys = [undefined, '', 'short', 'x'.repeat(129), 'has space in it', 'ключ-unicode-1', 'valid-key-0001', '../../etc/passwd', '%00%00%00%00'];
  const out: InjectRequest[] = [];
  for (let i = 0; i < n; i++) {
    const kind = r();
    const key = pick(keys);
    const headers: Record<string, string> = key !== undefined ? { 'idempotency-key': encodeURIComponent(key) === key ? key : `k${i}-${encodeURIComponent(key).slice(0, 40)}` } : {};
    if (kind < 0.55) out.push({ method: 'POST', url: '/orders', payload: mutate(), headers: { ...headers, 'idempotency-key': `fuzz-${i}-key` } });
    else if (kind < 0.7) out.push({ method: 'POST', url: '/orders', payload: value(), headers });
    else if (kind < 0.82) out.push({ method: 'POST', url: '/orders', rawBody: pick(rawBodies), headers: { ...headers, 'content-type': 'application/json' } });
    else if (kind < 0.87) out.push({ method: 'POST', url: '/orders', rawBody: 'customerId=x', headers: { ...headers, 'content-type': pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) } });
    else if (kind < 0.95) out.push({ method: 'GET', url: pick(['/orders/', '/orders/not-a-uuid', '/orders/00000000-0000-0000-0000-000000000000', '/orders/ffffffff-ffff-ffff-ffff-ffffffffffff', `/orders/${'a'.repeat(300)}`, '/customers/%00/orders', '/customers/x/orders?limit=-5', '/customers/x/orders?limit=abc', '/products?ids=', '/products?ids=a,,b', '/stock?ids=' + 'a,'.repeat(900), '/products/%ZZ', '/payments/zzz', '/shipments/1', '/notifications?orderId=x']) });
    else out.push({ method: pick(['PUT', 'DELETE', 'PATCH', 'POST']), url: pick(['/orders', '/orders/1', '/products/x', '/stock/x', '/users', '/healthz']), payload: value(), headers });
  }
  return out;
}

test('1,200 malformed requests: no 5xx, no crash', async () => {
  const requests = generate(1200, 20261125);
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  for (let i = 0; i < requests.length; i += 24) {
    const batch = requests.slice(i, i + 24);
    const results = await Promise.all(batch.map((req) => s.inject(req).then((res) => ({ req, res }))));
    for (const { req, res } of results) {
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode >= 500) failures.push(`${req.method} ${req.url} ${JSON.stringify(req.payload ?? req.rawBody)?.slice(0, 200)} -> ${res.statusCode} ${res.body.slice(0, 200)}`);
      else if (res.statusCode >= 400) {
        let body: any;
        try {
          body = res.json();
        } catch {
          body = undefined;
        }
        if (typeof body?.error?.code !== 'string' || typeof body?.error?.message !== 'string') failures.push(`${req.method} ${req.url} -> ${res.statusCode} not a catalogue error: ${res.body.slice(0, 200)}`);
      }
    }
  }
  expect(failures).toEqual([]);
  expect([...statuses.keys()].every((x) => x < 500)).toBe(true);
  const health = await s.inject({ method: 'GET', url: '/healthz' });
  expect(health.statusCode).toBe(200);
  // Sanity: the fuzzer did reach checkout's own validation, not just the router.
  expect(statuses.get(400)).toBeGreaterThan(300);
  const ok = await s.inject({ method: 'POST', url: '/orders', payload: checkout('fuzz-after', [{ productId: 'p-fz', quantity: 1 }], 'tok_visa', ADDRESS), headers: { 'idempotency-key': 'after-fuzz-1' } });
  expect(ok.statusCode).toBe(201);
});
