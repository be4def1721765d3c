/**
 * Regions working together: the primary region takes every write; a secondary region serves
 * reads from its own read-only replicas (PostgreSQL, DocumentDB, the Global Datastore cache)
 * and forwards every write, unchanged, to the primary's internal API (HOME_API_URL).
 *
 * What runs where is decided here: {@link ROUTE_PLACES} for requests, {@link Region.writable}
 * for everything a process does on its own (relay, consumers, background jobs, cache fills,
 * read-your-writes markers), and {@link refuseInSecondary} for the tools.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConfigError, type Config } from './config';
import { AppError } from './errors';

export type RegionRole = Config['REGION_ROLE'];

/** Set on a request a secondary forwards home, with the secondary's region: it is never forwarded again. */
export const FORWARDED_FROM_HEADER = 'x-orders-forwarded-from';
/** Set on a secondary's answer that the primary region made. */
export const SERVED_BY_HEADER = 'x-orders-served-by';

/** Where a route is served in a secondary region. */
export type Place = 'local' | 'home';

/**
 * Every route of the services and where a secondary region serves it: reads from its own
 * replicas, writes at home. A route not listed follows its method (GET and HEAD local, anything
 * else home); a test checks that every route is listed.
 */
export const ROUTE_PLACES: Readonly<Record<string, Place>> = {
  'GET /healthz': 'local',
  'GET /readyz': 'local',
  // Whether this region can take a checkout: a secondary asks home itself (order/checkout-health.ts).
  'GET /health/checkout': 'local',
  'GET /metrics': 'local',
  'POST /users': 'home',
  'GET /users/:id': 'local',
  'PUT /products/:id': 'home',
  'GET /products/:id': 'local',
  'GET /products': 'local',
  'GET /stock': 'local',
  'PUT /stock/:productId': 'home',
  'POST /orders': 'home',
  // A customer's own order right after they wrote is read at home (see AnswerAtHome).
  'GET /orders/:id': 'local',
  'GET /customers/:customerId/orders': 'local',
  // Side-effect free, but nothing in a secondary needs it: one rule for every non-GET.
  'POST /payments/verify': 'home',
  'GET /payments/:orderId': 'local',
  'GET /shipments/:orderId': 'local',
  'GET /notifications': 'local',
  'GET /analytics/daily': 'local',
  // The order activity lives in the primary's DocumentDB elastic cluster, which has no global
  // clusters and so no copy here: one cross-region round trip per read.
  'GET /analytics/customers/:customerId/activity': 'home',
};

export function placeOf(method: string, route: string): Place {
  const m = method === 'HEAD' ? 'GET' : method;
  return ROUTE_PLACES[`${m} ${route}`] ?? (m === 'GET' ? 'local' : 'home');
}

/** This process's region: its role and name. */
export class Region {
  readonly role: RegionRole;
  /** The AWS region (AWS_REGION), named in forwarded requests. */
  readonly name: string;

  constructor(cfg: Pick<Config, 'REGION_ROLE' | 'AWS_REGION'>) {
    this.role = cfg.REGION_ROLE;
    this.name = cfg.AWS_REGION || this.role;
  }

  get secondary(): boolean {
    return this.role === 'secondary';
  }

  /** Whether this region's stores take writes: false in a secondary, whose stores are read-only replicas. */
  get writable(): boolean {
    return this.role === 'primary';
  }
}

/**
 * Thrown by data access in a secondary where only the primary has the answer: an order not yet
 * replicated here, or a customer's own order read right after they wrote. The HTTP layer
 * forwards the request home (reads only: a secondary never writes, so nothing is half done).
 */
export class AnswerAtHome extends Error {
  constructor(what: string) {
    super(`${what}: the primary region has the answer`);
    this.name = 'AnswerAtHome';
  }
}

/** Stops a process that writes (the relay, migrations, topic provisioning, re-sharding) in a secondary region. */
export function refuseInSecondary(cfg: Pick<Config, 'REGION_ROLE'>, what: string): void {
  if (cfg.REGION_ROLE === 'secondary') throw new ConfigError([`REGION_ROLE="secondary": ${what}`]);
}

export interface SecondaryRoutingOptions {
  /** Forwards the request home and sends the home's answer; resolves with its status. */
  forward(req: FastifyRequest, reply: FastifyReply): Promise<number>;
  /** Called after a write was accepted at home (2xx). */
  onWriteAccepted?(req: FastifyRequest): void;
  /** Whether this region takes writes now (the `region-writes` flag); absent: always. */
  writesTaken?(): Promise<boolean>;
}

/** Seconds a client refused {@link ERRORS.WRITES_AT_HOME_ONLY} waits: Route 53's detection (3 × 10 s) and the TTL. */
const WRITES_REFUSED_RETRY_AFTER_S = 40;

/**
 * Routing of a secondary region's HTTP server: a request forwarded by another region is refused
 * (a loop: the sender took us for the primary), and each route whose place is home is forwarded
 * before its handler runs. Bodies are parsed first, so malformed requests are answered here,
 * as home would answer them, without a cross-region round trip.
 */
export function routeSecondary(app: FastifyInstance, o: SecondaryRoutingOptions): void {
  app.addHook('onRequest', (req, _reply, done) => {
    const from = req.headers[FORWARDED_FROM_HEADER];
    if (from === undefined) return done();
    done(new AppError('FORWARDING_LOOP', `This region is secondary and does not take requests forwarded from ${String(from)}: HOME_API_URL there must name the primary region.`));
  });
  app.addHook('preHandler', async (req, reply) => {
    if (placeOf(req.method, req.routeOptions.url ?? '') !== 'home') return;
    if (o.writesTaken && !(await o.writesTaken())) {
      reply.header('retry-after', String(WRITES_REFUSED_RETRY_AFTER_S));
      throw new AppError('WRITES_AT_HOME_ONLY');
    }
    const status = await o.forward(req, reply);
    if (status >= 200 && status < 300) o.onWriteAccepted?.(req);
    return reply;
  });
}
