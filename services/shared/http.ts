/**
 * The HTTP server factory: fastify with the error catalogue, JSON-only bodies, request
 * metrics, and the /healthz, /readyz and /metrics endpoints every service has, and a shutdown
 * that finishes the requests in flight (see {@link closeGracefully}).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyInstance, type FastifyError, type FastifyRequest } from 'fastify';
import { AppError, isAppError } from './errors';
import { registerHttpCaching } from './http-caching';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { Readiness, type ReadinessCheck } from './readiness';
import { AnswerAtHome, FORWARDED_FROM_HEADER } from './region';
import { INTERNAL_CALL_HEADER, visitorOf } from './visitors';

/** Request bodies as received, for forwarding them unchanged to the primary region. */
const rawBodies = new WeakMap<FastifyRequest, string>();

/** The body of `req` exactly as the client sent it (undefined without a body). */
export function rawBodyOf(req: FastifyRequest): string | undefined {
  return rawBodies.get(req);
}

export type { ReadinessCheck } from './readiness';

export interface ServerOptions {
  log: Logger;
  metrics: Metrics;
  /** The process's readiness, or bare checks (then any failure makes it unready at once). */
  readiness: Readiness | ReadinessCheck[];
  bodyLimitBytes?: number;
  /** Called with the visitor of every request but the probes, calls between services and requests another region forwarded (see visitors.ts). */
  onVisitor?: (visitor: string) => void;
  /** In a secondary region: forwards a read that only the primary can answer (data access threw {@link AnswerAtHome}). */
  answerAtHome?: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

export function createServer(o: ServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: o.log as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.bodyLimitBytes ?? 64 * 1024,
    // A request that arrives on a kept-alive connection while the server closes is served
    // (with Connection: close) rather than refused: the client cannot know it raced the close.
    return503OnClosing: false,
    requestIdHeader: 'x-request-id',
    routerOptions: { maxParamLength: 200 },
    // Errors raised by the router before a handler runs still answer from the catalogue.
    frameworkErrors: (err, req, reply) => {
      const e = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? new AppError('URI_TOO_LONG') : new AppError('VALIDATION_FAILED', `The URL is invalid: ${err.message}`);
      o.metrics.httpErrors.inc({ method: req.method, route: 'unmatched', code: e.code });
      void (reply as unknown as FastifyReply).status(e.status).send(e.toBody());
    },
  });

  // One JSON parser: fastify's own also accepts `application/json; charset=...`.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json'], { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    rawBodies.set(req, text);
    if (text.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new AppError('MALFORMED_JSON'), undefined);
    }
  });
  app.addContentTypeParser('*', (_req, _payload, done) => done(new AppError('UNSUPPORTED_MEDIA_TYPE'), undefined));

  const onVisitor = o.onVisitor;
  if (onVisitor) {
    const probes = new Set(['/healthz', '/readyz', '/health/checkout', '/metrics']);
    app.addHook('onRequest', (req, _reply, done) => {
      // A forwarded request was counted (or not) by the region it entered.
      if (!probes.has(req.url) && req.headers[INTERNAL_CALL_HEADER] === undefined && req.headers[FORWARDED_FROM_HEADER] === undefined) onVisitor(visitorOf(req.headers, req.socket.remoteAddress ?? 'unknown'));
      done();
    });
  }

  const readiness = Array.isArray(o.readiness) ? new Readiness(o.readiness, 0) : o.readiness;
  // While draining, every answer closes its connection, so that keep-alive clients (the load
  // balancer, other services) open their next connection to another instance.
  app.addHook('onRequest', (_req, reply, done) => {
    if (readiness.isDraining) void reply.header('connection', 'close');
    done();
  });

  registerHttpCaching(app);

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    o.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    o.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  const answerAtHome = o.answerAtHome;
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    if (err instanceof AnswerAtHome && answerAtHome) return answerAtHome(req, reply).then(() => undefined);
    let e: AppError;
    if (isAppError(err)) e = err;
    else if ((err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new AppError('BODY_TOO_LARGE');
    else if ((err as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = new AppError('UNSUPPORTED_MEDIA_TYPE');
    else if ((err as FastifyError).code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (err as FastifyError).code === 'FST_ERR_CTP_INVALID_JSON_BODY') e = new AppError('MALFORMED_JSON');
    else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! < 500) e = new AppError('VALIDATION_FAILED', err.message);
    else {
      req.log.error({ err }, 'request failed');
      e = new AppError('INTERNAL');
    }
    o.metrics.httpErrors.inc({ method: req.method, route: req.routeOptions.url ?? 'unmatched', code: e.code });
    void reply.status(e.status).send(e.toBody());
    return undefined;
  });

  app.setNotFoundHandler((req, reply) => {
    o.metrics.httpErrors.inc({ method: req.method, route: 'unmatched', code: 'ROUTE_NOT_FOUND' });
    void reply.status(404).send(new AppError('ROUTE_NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}`).toBody());
  });

  app.get('/healthz', (_req, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = await readiness.evaluate();
    return reply.status(r.ready ? 200 : 503).send({ status: r.status, checks: r.checks });
  });
  app.get('/metrics', async (_req, reply) => {
    const body = await o.metrics.registry.metrics();
    return reply.type(o.metrics.registry.contentType).send(body);
  });
  return app;
}

/**
 * Closes `app` within `graceMs`: no new connections, requests in flight finish (each answer
 * closing its connection), idle keep-alive connections are closed; whatever is still open when
 * the grace ends is cut. Resolves with the number of connections cut.
 */
export async function closeGracefully(app: FastifyInstance, graceMs: number): Promise<number> {
  const server = app.server;
  const closed = app.close();
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'grace over'>((resolve) => {
    timer = setTimeout(() => resolve('grace over'), graceMs);
  });
  try {
    if ((await Promise.race([closed.then(() => 'closed' as const), graceOver])) === 'closed') return 0;
    const open = await new Promise<number>((resolve) => server.getConnections((err, n) => resolve(err ? 0 : n)));
    server.closeAllConnections();
    await closed;
    return open;
  } finally {
    clearTimeout(timer);
  }
}
