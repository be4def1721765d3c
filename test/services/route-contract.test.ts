/**
 * The routing contract between the infrastructure and the services: lib/compute/routes.ts says
 * which paths each service owns on the load balancer (path patterns) and on API Gateway (routes);
 * the services register their routes with Fastify. A route nobody forwards is unreachable, a
 * pattern no route serves is dead, and a path another service's pattern also takes is misrouted.
 */
import { SERVICE_NAMES } from '../../phases';
import { HEALTH_PATH, METRICS_PATH, READY_PATH, SERVICE_ROUTES } from '../../lib/compute/routes';
import { routesOf } from './support/routes';

/** Whether an ALB path pattern matches a path (`*` any characters, `?` one; case-sensitive). */
const albMatches = (pattern: string, p: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(p);

/** Whether an API Gateway route path matches a path (`{name}` one segment, `{name+}` one or more). */
const apiMatches = (route: string, p: string) =>
  new RegExp(`^${route.replace(/\{[^}]+\+\}/g, '\u0001').replace(/\{[^}]+\}/g, '\u0002').replace(/\u0001/g, '.+').replace(/\u0002/g, '[^/]+')}$`).test(p);

/** Whether a Fastify route URL matches a path (`:name` one segment). */
const fastifyMatches = (url: string, p: string) => new RegExp(`^${url.replace(/:[A-Za-z]+/g, '[^/]+').replace(/\*/g, '.*')}$`).test(p);

/** A concrete path a Fastify URL serves. */
const sample = (url: string) => url.replace(/:[A-Za-z]+/g, 'x1');
/** A concrete path an ALB pattern or API route takes. */
const samplePattern = (pattern: string) => pattern.replace(/\{[^}]+\}/g, 'x1').replace(/\*/g, 'x1');

/** Paths every service serves for its own probes, never routed publicly. */
const PROBES = new Set([HEALTH_PATH, READY_PATH, METRICS_PATH]);

const registered = new Map<string, string[]>();
beforeAll(async () => {
  for (const s of SERVICE_NAMES) registered.set(s, (await routesOf(s)).filter((r) => !PROBES.has(r.split(' ')[1])));
});

describe.each(SERVICE_NAMES)('the %s service', (service) => {
  test('every route it registers is forwarded to it by the load balancer and API Gateway, and by no other service\'s pattern', () => {
    const routes = registered.get(service)!;
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) {
      const p = sample(route.split(' ')[1]);
      expect([route, SERVICE_ROUTES[service].pathPatterns.some((x) => albMatches(x, p))]).toEqual([route, true]);
      expect([route, SERVICE_ROUTES[service].apiRoutes.some((x) => apiMatches(x, p))]).toEqual([route, true]);
      const others = SERVICE_NAMES.filter((o) => o !== service && SERVICE_ROUTES[o].pathPatterns.some((x) => albMatches(x, p)));
      expect([route, others]).toEqual([route, []]);
    }
  });

  test('every path it owns (a collection and what lies under it count as one) serves at least one of its routes', () => {
    const urls = registered.get(service)!.map((r) => r.split(' ')[1]);
    // `/payments` and `/payments/*` (or `/payments/{proxy+}`) are one owned prefix: a service may
    // answer only under it, or only at it.
    const owned = new Map<string, string[]>();
    for (const pattern of [...SERVICE_ROUTES[service].pathPatterns, ...SERVICE_ROUTES[service].apiRoutes]) {
      const root = pattern.replace(/\/(\*|\{proxy\+\})$/, '');
      owned.set(root, [...(owned.get(root) ?? []), pattern]);
    }
    for (const [root, patterns] of owned) {
      // A trailing wildcard serves whatever the service answers under the prefix.
      const serves = (pattern: string, url: string) => (pattern === root ? fastifyMatches(url, samplePattern(pattern)) : url.startsWith(`${root}/`));
      const served = patterns.some((pattern) => urls.some((u) => serves(pattern, u)));
      expect([root, served]).toEqual([root, true]);
    }
  });
});

test('the matchers used here disagree when they should', () => {
  expect(albMatches('/orders/*', '/orders/x1')).toBe(true);
  expect(albMatches('/orders/*', '/orders')).toBe(false);
  expect(apiMatches('/orders/{proxy+}', '/orders/a/b')).toBe(true);
  expect(apiMatches('/customers/{customerId}/orders', '/customers/a/b/orders')).toBe(false);
  expect(fastifyMatches('/orders/:id', '/orders/x1')).toBe(true);
  expect(fastifyMatches('/orders/:id', '/orders/x1/y')).toBe(false);
});
