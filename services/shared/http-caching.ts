/**
 * What a browser or a CDN may keep of each answer, decided per route in one table
 * ({@link ROUTE_CACHING}), beside the routes' places in a region (region.ts). The edge in front
 * of the public API caches only what `Cache-Control` allows here, so this table is the whole
 * caching contract: catalogue reads are shared for a short time, everything about a customer,
 * a checkout or an order is never stored.
 *
 * Successful answers of the cacheable routes carry an `ETag` (a hash of the body), and a GET
 * whose `If-None-Match` names it is answered `304 Not Modified` without the body.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * How an answer may be cached:
 * - `shared`: by anyone (browser, CDN) for {@link SHARED_MAX_AGE_SECONDS}, then served stale
 *   for up to {@link STALE_WHILE_REVALIDATE_SECONDS} while it is fetched again;
 * - `revalidate`: stored, but checked with the origin before each use (ETag, 304);
 * - `private`: never stored anywhere (about one customer, a checkout, an order, or operations).
 */
export type Caching = 'shared' | 'revalidate' | 'private';

/** How long a catalogue answer is fresh: a price change reaches every client within this plus the stale window. */
export const SHARED_MAX_AGE_SECONDS = 30;
/** How long a stale catalogue answer may still be served while a fresh one is fetched. */
const STALE_WHILE_REVALIDATE_SECONDS = 30;

/** The `Cache-Control` of each kind of answer. */
export const CACHE_CONTROL: Readonly<Record<Caching, string>> = {
  shared: `public, max-age=${SHARED_MAX_AGE_SECONDS}, stale-while-revalidate=${STALE_WHILE_REVALIDATE_SECONDS}`,
  revalidate: 'no-cache',
  private: 'private, no-store',
};

/**
 * Every route of the services and how its answers may be cached; a test checks that every
 * route is listed. A route not listed is `private`.
 */
export const ROUTE_CACHING: Readonly<Record<string, Caching>> = {
  'GET /healthz': 'private',
  'GET /readyz': 'private',
  'GET /health/checkout': 'private',
  'GET /metrics': 'private',
  'POST /users': 'private',
  'GET /users/:id': 'private',
  'PUT /products/:id': 'private',
  // The catalogue: the same for everyone, changed rarely.
  'GET /products/:id': 'shared',
  'GET /products': 'shared',
  // The same for everyone but changed by every checkout: kept only with a check each time.
  'GET /stock': 'revalidate',
  'PUT /stock/:productId': 'private',
  'POST /orders': 'private',
  'GET /orders/:id': 'private',
  'GET /customers/:customerId/orders': 'private',
  'POST /payments/verify': 'private',
  'GET /payments/:orderId': 'private',
  'GET /shipments/:orderId': 'private',
  'GET /notifications': 'private',
  'GET /analytics/daily': 'private',
  'GET /analytics/customers/:customerId/activity': 'private',
};

export function cachingOf(method: string, route: string): Caching {
  const m = method === 'HEAD' ? 'GET' : method;
  return ROUTE_CACHING[`${m} ${route}`] ?? 'private';
}

/** A weak validator of a body: equal bodies, equal tags, in every instance and region. */
export function etagOf(body: string | Buffer): string {
  return `W/"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  // Weak comparison (RFC 9110 13.1.2): W/ is ignored on both sides.
  const opaque = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === opaque);
}

/**
 * Sets `Cache-Control` on every answer from {@link ROUTE_CACHING} (errors are never stored),
 * and `ETag` with conditional GETs on the routes that may be stored.
 */
export function registerHttpCaching(app: FastifyInstance): void {
  app.addHook('onSend', (req: FastifyRequest, reply: FastifyReply, payload: unknown, done) => {
    const caching = cachingOf(req.method, req.routeOptions.url ?? '');
    const ok = reply.statusCode === 200;
    void reply.header('cache-control', ok ? CACHE_CONTROL[caching] : CACHE_CONTROL.private);
    if (!ok || caching === 'private' || (req.method !== 'GET' && req.method !== 'HEAD')) return done(null, payload);
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return done(null, payload);
    const etag = etagOf(payload);
    void reply.header('etag', etag);
    if (!matches(req.headers['if-none-match'], etag)) return done(null, payload);
    void reply.code(304);
    void reply.removeHeader('content-length');
    done(null, '');
  });
}
