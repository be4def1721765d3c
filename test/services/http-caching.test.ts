/** What clients and the edge may cache, per route, and conditional GETs, against a real service. */
jest.setTimeout(120000);
import { CACHE_CONTROL, ROUTE_CACHING, cachingOf, etagOf } from '../../services/shared/http-caching';
import { allRoutes } from './support/routes';
import { checkout, post, seed, startSystem, type TestSystem } from './harness';

let s: TestSystem;

beforeAll(async () => {
  s = await startSystem('httpcache', { workers: false });
  await seed(s, [
    { id: 'hc-1', priceCents: 1000, stock: 10 },
    { id: 'hc-2', priceCents: 2000, stock: 10 },
  ]);
}, 120000);

afterAll(async () => {
  await s?.close();
});

test('every route of the services says in one table how its answers may be cached', async () => {
  const routes = await allRoutes();
  expect(routes.filter((r) => !(r in ROUTE_CACHING))).toEqual([]);
  // Only catalogue reads are shared; nothing that writes is ever stored.
  expect(routes.filter((r) => cachingOf(r.split(' ')[0], r.split(' ')[1]) === 'shared')).toEqual(['GET /products/:id', 'GET /products']);
  for (const r of routes.filter((x) => !x.startsWith('GET '))) expect([r, ROUTE_CACHING[r]]).toEqual([r, 'private']);
});

test('a product read may be shared for a short time and carries an ETag of its body', async () => {
  const r = await s.inject({ method: 'GET', url: '/products/hc-1' });
  expect(r.statusCode).toBe(200);
  expect(r.headers['cache-control']).toBe('public, max-age=30, stale-while-revalidate=30');
  expect(r.headers.etag).toBe(etagOf(r.body));
  const list = await s.inject({ method: 'GET', url: '/products?ids=hc-1,hc-2' });
  expect(list.headers['cache-control']).toBe(CACHE_CONTROL.shared);
  expect(list.headers.etag).toMatch(/^W\/"[A-Za-z0-9_-]{27}"$/);
  expect(list.headers.etag).not.toBe(r.headers.etag);
});

test('a conditional GET naming the current ETag is answered 304 without a body, and 200 once the product changed', async () => {
  const first = await s.inject({ method: 'GET', url: '/products/hc-2' });
  const etag = first.headers.etag;
  const again = await s.inject({ method: 'GET', url: '/products/hc-2', headers: { 'if-none-match': etag } });
  expect(again.statusCode).toBe(304);
  expect(again.body).toBe('');
  expect(again.headers.etag).toBe(etag);
  expect(again.headers['cache-control']).toBe(CACHE_CONTROL.shared);
  // A list of tags, or the tag without its weak marker, matches too.
  expect((await s.inject({ method: 'GET', url: '/products/hc-2', headers: { 'if-none-match': `"other", ${etag.slice(2)}` } })).statusCode).toBe(304);
  expect((await s.inject({ method: 'GET', url: '/products/hc-2', headers: { 'if-none-match': 'W/"other"' } })).statusCode).toBe(200);

  await s.inject({ method: 'PUT', url: '/products/hc-2', payload: { name: 'Renamed', priceCents: 2100 } });
  const changed = await s.inject({ method: 'GET', url: '/products/hc-2', headers: { 'if-none-match': etag } });
  expect(changed.statusCode).toBe(200);
  expect(changed.json()).toMatchObject({ name: 'Renamed', priceCents: 2100 });
  expect(changed.headers.etag).not.toBe(etag);
});

test('stock levels are revalidated on every use: no-cache with an ETag, 304 while unchanged', async () => {
  const r = await s.inject({ method: 'GET', url: '/stock?ids=hc-1' });
  expect(r.headers['cache-control']).toBe('no-cache');
  const again = await s.inject({ method: 'GET', url: '/stock?ids=hc-1', headers: { 'if-none-match': r.headers.etag } });
  expect(again.statusCode).toBe(304);
});

test('checkout, orders and everything about one customer are never stored and carry no ETag', async () => {
  const placed = await post(s, checkout('hc-cust', [{ productId: 'hc-1', quantity: 1 }]), 'hc-key-0000001');
  expect(placed.status).toBe(201);
  expect(placed.headers['cache-control']).toBe('private, no-store');
  const user = await s.inject({ method: 'POST', url: '/users', payload: { id: 'hc-user', email: 'hc@example.com', name: 'H C' } });
  expect(user.headers['cache-control']).toBe('private, no-store');
  for (const url of [`/orders/${placed.body.id}`, '/customers/hc-cust/orders', '/users/hc-user', `/payments/${placed.body.id}`, '/healthz', '/metrics']) {
    const r = await s.inject({ method: 'GET', url, headers: { 'x-customer-id': 'hc-cust' } });
    expect([url, r.headers['cache-control'], r.headers.etag]).toEqual([url, 'private, no-store', undefined]);
  }
});

test('an error from a cacheable route is never stored', async () => {
  const r = await s.inject({ method: 'GET', url: '/products/hc-none' });
  expect(r.statusCode).toBe(404);
  expect(r.headers['cache-control']).toBe('private, no-store');
  expect(r.headers.etag).toBeUndefined();
});
