/** Prometheus metrics: HTTP RED metrics plus the business counters of checkout and the saga. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpErrors: Counter<'method' | 'route' | 'code'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly checkoutAttempts: Counter<'outcome'>;
  readonly ordersPlaced: Counter;
  readonly revenueCents: Counter<'currency'>;
  readonly conversion: Gauge;
  readonly ordersFinal: Counter<'status'>;
  readonly eventsPublished: Counter<'topic'>;
  readonly outboxRepublished: Counter<'db'>;
  readonly eventsConsumed: Counter<'consumer' | 'outcome'>;
  readonly cache: Counter<'kind' | 'result'>;
  readonly breaker: Counter<'target' | 'event'>;
  readonly homeForwards: Counter<'method' | 'route' | 'outcome'>;
  readonly readModelLag: Gauge<'database'>;
  readonly ordersImported: Counter<'database'>;
  private dailyUsers: Gauge | undefined;

  constructor(service: string, withDefaults = true) {
    this.registry.setDefaultLabels({ service });
    if (withDefaults) collectDefaultMetrics({ register: this.registry });
    const r = [this.registry];
    this.httpRequests = new Counter({ name: 'http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: r });
    this.httpErrors = new Counter({ name: 'http_errors_total', help: 'HTTP error responses by catalogue code', labelNames: ['method', 'route', 'code'], registers: r });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: r,
    });
    this.checkoutAttempts = new Counter({ name: 'checkout_attempts_total', help: 'Checkout attempts by outcome', labelNames: ['outcome'], registers: r });
    this.ordersPlaced = new Counter({ name: 'orders_placed_total', help: 'Orders accepted', registers: r });
    this.revenueCents = new Counter({ name: 'order_revenue_cents_total', help: 'Value of accepted orders, in cents', labelNames: ['currency'], registers: r });
    const attempts = this.checkoutAttempts;
    const placed = this.ordersPlaced;
    this.conversion = new Gauge({
      name: 'checkout_conversion_ratio',
      help: 'Accepted orders / checkout attempts since start',
      registers: r,
      aggregator: 'average',
      async collect() {
        const a = (await attempts.get()).values.reduce((s, v) => s + v.value, 0);
        const p = (await placed.get()).values.reduce((s, v) => s + v.value, 0);
        this.set(a === 0 ? 0 : p / a);
      },
    });
    this.ordersFinal = new Counter({ name: 'orders_final_total', help: 'Orders reaching a final status', labelNames: ['status'], registers: r });
    this.eventsPublished = new Counter({ name: 'outbox_events_published_total', help: 'Outbox events published to Kafka', labelNames: ['topic'], registers: r });
    this.outboxRepublished = new Counter({
      name: 'outbox_republished_total',
      help: 'Outbox rows published again when the home region moved here (events the lost primary published that MirrorMaker may not have copied), by database',
      labelNames: ['db'],
      registers: r,
    });
    this.eventsConsumed = new Counter({ name: 'events_consumed_total', help: 'Events consumed', labelNames: ['consumer', 'outcome'], registers: r });
    this.cache = new Counter({ name: 'cache_operations_total', help: 'Cache hits, misses and invalidations', labelNames: ['kind', 'result'], registers: r });
    this.breaker = new Counter({ name: 'circuit_breaker_events_total', help: 'Circuit breaker state changes and rejections', labelNames: ['target', 'event'], registers: r });
    this.homeForwards = new Counter({
      name: 'home_forwards_total',
      help: 'Requests a secondary region forwarded to the primary, by home\'s status (or unavailable)',
      labelNames: ['method', 'route', 'outcome'],
      registers: r,
    });
    this.readModelLag = new Gauge({
      name: 'order_read_model_lag_seconds',
      help: 'Age of the oldest order event the read model (order_view) has not applied yet, per orders database; 0 when it is up to date',
      labelNames: ['database'],
      registers: r,
      // Every instance measures the same database: a multi-process supervisor keeps one, not the sum.
      aggregator: 'max',
    });
    this.ordersImported = new Counter({
      name: 'order_read_model_imported_total',
      help: 'Orders written without an event log whose log was started from the write model (OrderImported)',
      labelNames: ['database'],
      registers: r,
    });
  }

  /**
   * Registers `daily_active_users` (distinct visitors over 24 hours), read from `count` at each
   * scrape. A failed count keeps the last value rather than reporting 0.
   */
  watchDailyUsers(count: () => Promise<number>): void {
    if (this.dailyUsers) return;
    this.dailyUsers = new Gauge({
      name: 'daily_active_users',
      help: 'Distinct visitors over the last 24 hours, across every instance',
      registers: [this.registry],
      // Every worker reads the same shared count: a multi-process supervisor keeps one, not the sum.
      aggregator: 'max',
      async collect() {
        try {
          this.set(await count());
        } catch {
          // the last value stands
        }
      },
    });
  }
}
