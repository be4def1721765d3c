/**
 * Calls between services: HTTP with a timeout per attempt, retries with exponential backoff
 * and jitter (only for idempotent calls: GETs, or POSTs carrying an Idempotency-Key), and a
 * circuit breaker (opossum) per target service.
 */
import CircuitBreaker from 'opossum';
import { AppError } from './errors';
import type { Metrics } from './metrics';
import { INTERNAL_CALL_HEADER } from './visitors';

/** How a call to another service (or to the primary region) times out, retries and breaks. */
export interface Resilience {
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  errorThresholdPercent: number;
  resetTimeoutMs: number;
  volumeThreshold: number;
  metrics?: Metrics;
}

/** The {@link Resilience} settings of a process, from its configuration. */
export function resilienceOf(c: {
  HTTP_CLIENT_TIMEOUT_MS: number;
  HTTP_CLIENT_RETRIES: number;
  HTTP_CLIENT_BACKOFF_MS: number;
  BREAKER_ERROR_PERCENT: number;
  BREAKER_RESET_MS: number;
  BREAKER_VOLUME_THRESHOLD: number;
}, metrics?: Metrics): Resilience {
  return {
    timeoutMs: c.HTTP_CLIENT_TIMEOUT_MS,
    retries: c.HTTP_CLIENT_RETRIES,
    backoffMs: c.HTTP_CLIENT_BACKOFF_MS,
    errorThresholdPercent: c.BREAKER_ERROR_PERCENT,
    resetTimeoutMs: c.BREAKER_RESET_MS,
    volumeThreshold: c.BREAKER_VOLUME_THRESHOLD,
    metrics,
  };
}

/** Waits before retry `attempt` (1, 2, ...): exponential backoff from `backoffMs`, with jitter. */
export function backoff(backoffMs: number, attempt: number): Promise<void> {
  const base = backoffMs * 2 ** (attempt - 1);
  return new Promise((r) => setTimeout(r, base / 2 + Math.random() * base));
}

export interface ClientOptions extends Resilience {
  baseUrl: string;
  target: string;
}

interface Call {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body?: unknown;
  idempotencyKey?: string;
}

/** A response the caller should see as a domain answer (4xx), not a failure of the dependency. */
class ClientAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

export class ServiceClient {
  private readonly breaker: CircuitBreaker<[Call], ClientAnswer>;

  constructor(private readonly o: ClientOptions) {
    this.breaker = new CircuitBreaker((call: Call) => this.attempt(call), {
      timeout: false, // each attempt has its own AbortSignal timeout
      errorThresholdPercentage: o.errorThresholdPercent,
      resetTimeout: o.resetTimeoutMs,
      volumeThreshold: o.volumeThreshold,
      rollingCountTimeout: 10000,
      rollingCountBuckets: 10,
    });
    this.breaker.on('open', () => o.metrics?.breaker.inc({ target: o.target, event: 'open' }));
    this.breaker.on('halfOpen', () => o.metrics?.breaker.inc({ target: o.target, event: 'halfOpen' }));
    this.breaker.on('close', () => o.metrics?.breaker.inc({ target: o.target, event: 'close' }));
    this.breaker.on('reject', () => o.metrics?.breaker.inc({ target: o.target, event: 'reject' }));
  }

  get state(): 'open' | 'halfOpen' | 'closed' {
    return this.breaker.opened ? 'open' : this.breaker.halfOpen ? 'halfOpen' : 'closed';
  }

  async get<T>(path: string): Promise<T> {
    return this.call<T>({ method: 'GET', path });
  }

  async post<T>(path: string, body: unknown, idempotencyKey?: string): Promise<T> {
    return this.call<T>({ method: 'POST', path, body, ...(idempotencyKey ? { idempotencyKey } : {}) });
  }

  private async call<T>(c: Call): Promise<T> {
    const retriable = c.method === 'GET' || c.method === 'PUT' || !!c.idempotencyKey;
    const tries = retriable ? this.o.retries + 1 : 1;
    let last: unknown;
    for (let i = 0; i < tries; i++) {
      if (i > 0) await backoff(this.o.backoffMs, i);
      try {
        const answer = await this.breaker.fire(c);
        if (answer.status >= 400) throw toAppError(answer);
        return answer.body as T;
      } catch (e) {
        if (e instanceof AppError && e.status < 500) throw e;
        last = e;
        if (this.breaker.opened) break;
      }
    }
    throw new AppError('DEPENDENCY_UNAVAILABLE', `${this.o.target} is unavailable: ${(last as Error)?.message ?? 'unknown error'}`);
  }

  private async attempt(c: Call): Promise<ClientAnswer> {
    // The callee does not count this request as a visitor's (services/shared/visitors.ts).
    const headers: Record<string, string> = { accept: 'application/json', [INTERNAL_CALL_HEADER]: '1' };
    if (c.body !== undefined) headers['content-type'] = 'application/json';
    if (c.idempotencyKey) headers['idempotency-key'] = c.idempotencyKey;
    const res = await fetch(this.o.baseUrl + c.path, {
      method: c.method,
      headers,
      ...(c.body !== undefined ? { body: JSON.stringify(c.body) } : {}),
      signal: AbortSignal.timeout(this.o.timeoutMs),
    });
    const text = await res.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    // 5xx count against the breaker; 4xx are answers.
    if (res.status >= 500) throw new Error(`${this.o.target} answered ${res.status}`);
    return new ClientAnswer(res.status, body);
  }
}

function toAppError(a: ClientAnswer): AppError {
  const err = (a.body as { error?: { code?: string; message?: string; field?: string } })?.error;
  const code = err?.code;
  const known = ['VALIDATION_FAILED', 'NOT_FOUND', 'UNKNOWN_PRODUCT', 'OUT_OF_STOCK', 'PAYMENT_DECLINED', 'CONFLICT', 'IDEMPOTENCY_KEY_REUSED'] as const;
  const k = known.find((x) => x === code);
  return new AppError(k ?? 'VALIDATION_FAILED', err?.message, err?.field);
}
