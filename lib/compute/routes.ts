import { ServiceName } from '../../phases';

/** How requests reach one service: path patterns on the load balancer and routes on API Gateway. */
export interface ServiceRoutes {
  /** Load balancer path patterns (at most 5: the per-rule limit of an ALB path condition). */
  readonly pathPatterns: readonly string[];
  /** API Gateway HTTP API route paths, each served for every method. */
  readonly apiRoutes: readonly string[];
  /** Services whose calls this service receives (who calls it over HTTP). */
  readonly callers: readonly ServiceName[];
}

/** The port every service listens on (`PORT` in services/shared/config.ts, default 3000). */
export const SERVICE_PORT = 3000;

/** Liveness, readiness and metrics paths every service serves (services/shared/http.ts). */
export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
export const METRICS_PATH = '/metrics';
/**
 * Whether this region can take a checkout now (its write path answers, or in a secondary region
 * the primary's does): what Route 53 checks through the public API to take a region out of DNS.
 */
export const CHECKOUT_HEALTH_PATH = '/health/checkout';

/**
 * Each service's public paths, as the services register them (services/<domain>/module.ts), and
 * its HTTP callers (services/<domain>/client.ts). The monolith serves all of them.
 */
export const SERVICE_ROUTES: Readonly<Record<ServiceName, ServiceRoutes>> = {
  user: { pathPatterns: ['/users', '/users/*'], apiRoutes: ['/users', '/users/{proxy+}'], callers: [] },
  product: { pathPatterns: ['/products', '/products/*'], apiRoutes: ['/products', '/products/{proxy+}'], callers: ['order'] },
  order: {
    pathPatterns: ['/orders', '/orders/*', '/customers/*/orders', CHECKOUT_HEALTH_PATH],
    apiRoutes: ['/orders', '/orders/{proxy+}', '/customers/{customerId}/orders', CHECKOUT_HEALTH_PATH],
    callers: [],
  },
  inventory: { pathPatterns: ['/stock', '/stock/*'], apiRoutes: ['/stock', '/stock/{proxy+}'], callers: ['order'] },
  payment: { pathPatterns: ['/payments', '/payments/*'], apiRoutes: ['/payments', '/payments/{proxy+}'], callers: ['order'] },
  shipping: { pathPatterns: ['/shipments', '/shipments/*'], apiRoutes: ['/shipments', '/shipments/{proxy+}'], callers: [] },
  notification: { pathPatterns: ['/notifications', '/notifications/*'], apiRoutes: ['/notifications', '/notifications/{proxy+}'], callers: [] },
  analytics: { pathPatterns: ['/analytics', '/analytics/*'], apiRoutes: ['/analytics', '/analytics/{proxy+}'], callers: [] },
};

/** Services another service calls over HTTP (the inverse of `callers`). */
export function calledBy(service: ServiceName): ServiceName[] {
  return (Object.keys(SERVICE_ROUTES) as ServiceName[]).filter((target) => SERVICE_ROUTES[target].callers.includes(service));
}
