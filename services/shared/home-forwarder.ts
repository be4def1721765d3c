/**
 * Forwards a secondary region's writes to the primary region's internal API (HOME_API_URL) and
 * relays the answer as it is: status, body and the headers a client reads.
 *
 * One cross-region round trip per request: connections are kept alive in a pool (TLS sessions
 * are reused), the body is sent as received, and nothing else is called remotely. Per attempt a
 * timeout (HTTP_CLIENT_TIMEOUT_MS); a request whose transport failed is retried with backoff
 * (HTTP_CLIENT_RETRIES, HTTP_CLIENT_BACKOFF_MS) only when repeating it is safe: GET, HEAD, PUT,
 * or a write carrying an Idempotency-Key. An answer from home, whatever its status, is never
 * retried: the client decides. A breaker (BREAKER_*) fails fast while home is unreachable.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { FastifyReply, FastifyRequest } from 'fastify';
import CircuitBreaker from 'opossum';
import { AppError } from './errors';
import { rawBodyOf } from './http';
import { Resilience, backoff } from './service-client';
import { FORWARDED_FROM_HEADER, SERVED_BY_HEADER } from './region';
import { INTERNAL_CALL_HEADER } from './visitors';

export interface HomeForwarderOptions extends Resilience {
  /** HOME_API_URL: scheme, host and an optional path prefix. */
  baseUrl: string;
  /** This (secondary) region's name, sent in {@link FORWARDED_FROM_HEADER}. */
  fromRegion: string;
  /** Connections kept per process (requests beyond this wait for a free one). */
  maxSockets?: number;
}

/** Request headers that carry meaning to the services; others (cookies, auth of the public edge) stay here. */
const REQUEST_HEADERS = ['content-type', 'accept', 'idempotency-key', 'x-customer-id', 'x-visitor-id', 'x-request-id', INTERNAL_CALL_HEADER] as const;
/** Answer headers a client reads. */
const RESPONSE_HEADERS = ['content-type', 'location', 'idempotent-replayed', 'retry-after'] as const;

interface Outgoing {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class HomeForwarder {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly breaker: CircuitBreaker<[Outgoing], Answer>;

  constructor(private readonly o: HomeForwarderOptions) {
    this.base = new URL(o.baseUrl);
    const agentOptions = { keepAlive: true, maxSockets: o.maxSockets ?? 64, maxFreeSockets: o.maxSockets ?? 64, scheduling: 'lifo' as const, timeout: 30_000 };
    // LIFO reuses the warmest connections; idle ones close after 30 s (under a load balancer's 60 s idle timeout).
    this.agent = this.base.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.breaker = new CircuitBreaker((out: Outgoing) => this.attempt(out), {
      timeout: false, // each attempt has its own timeout
      errorThresholdPercentage: o.errorThresholdPercent,
      resetTimeout: o.resetTimeoutMs,
      volumeThreshold: o.volumeThreshold,
      rollingCountTimeout: 10000,
      rollingCountBuckets: 10,
    });
    this.breaker.on('open', () => o.metrics?.breaker.inc({ target: 'home', event: 'open' }));
    this.breaker.on('halfOpen', () => o.metrics?.breaker.inc({ target: 'home', event: 'halfOpen' }));
    this.breaker.on('close', () => o.metrics?.breaker.inc({ target: 'home', event: 'close' }));
    this.breaker.on('reject', () => o.metrics?.breaker.inc({ target: 'home', event: 'reject' }));
  }

  /** Sends `req` home and `reply` with home's answer (or 503 HOME_REGION_UNAVAILABLE); resolves with the status sent. */
  async forward(req: FastifyRequest, reply: FastifyReply): Promise<number> {
    const out = this.outgoing(req);
    const route = req.routeOptions.url ?? 'unmatched';
    const retriable = out.method === 'GET' || out.method === 'HEAD' || out.method === 'PUT' || out.headers['idempotency-key'] !== undefined;
    const tries = retriable ? this.o.retries + 1 : 1;
    let last: unknown;
    for (let i = 0; i < tries; i++) {
      if (i > 0) await backoff(this.o.backoffMs, i);
      try {
        const a = await this.breaker.fire(out);
        this.o.metrics?.homeForwards.inc({ method: out.method, route, outcome: String(a.status) });
        for (const h of RESPONSE_HEADERS) {
          const v = a.headers[h];
          if (v !== undefined) void reply.header(h, v);
        }
        void reply.header(SERVED_BY_HEADER, 'home');
        await reply.status(a.status).send(a.body);
        return a.status;
      } catch (e) {
        last = e;
        if (this.breaker.opened) break;
      }
    }
    this.o.metrics?.homeForwards.inc({ method: out.method, route, outcome: 'unavailable' });
    req.log.warn({ err: last, route }, 'could not forward to the primary region');
    const e = new AppError('HOME_REGION_UNAVAILABLE', `The primary region cannot be reached: ${(last as Error)?.message ?? 'unknown error'}.`);
    await reply.status(e.status).header('retry-after', '1').send(e.toBody());
    return e.status;
  }

  private outgoing(req: FastifyRequest): Outgoing {
    const headers: Record<string, string> = {};
    for (const h of REQUEST_HEADERS) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    // As a proxy does: the client's address stays first, so home counts the same visitor.
    const peer = req.socket.remoteAddress ?? 'unknown';
    const xff = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = typeof xff === 'string' && xff.trim() ? `${xff}, ${peer}` : peer;
    headers[FORWARDED_FROM_HEADER] = this.o.fromRegion;
    const body = rawBodyOf(req);
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const prefix = this.base.pathname === '/' ? '' : this.base.pathname.replace(/\/$/, '');
    return { method: req.method, path: prefix + req.url, headers, body };
  }

  private attempt(out: Outgoing): Promise<Answer> {
    const lib = this.base.protocol === 'https:' ? https : http;
    return new Promise<Answer>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const fail = (e: Error) => {
        clearTimeout(timer);
        reject(e);
      };
      const r = lib.request({ protocol: this.base.protocol, hostname: this.base.hostname, port: this.base.port, method: out.method, path: out.path, headers: out.headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', fail);
      });
      // The socket of a timed-out request is destroyed, never returned to the pool.
      timer = setTimeout(() => r.destroy(new Error(`no answer within ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
      r.on('error', fail);
      r.end(out.body);
    });
  }

  close(): void {
    this.breaker.shutdown();
    this.agent.destroy();
  }
}
