/**
 * Publishes the business metrics to CloudWatch, where the platform's alarms and dashboard read
 * them (namespace CLOUDWATCH_NAMESPACE, no dimensions, one PutMetricData per interval):
 *
 * - `OrdersPlaced`, `CheckoutAttempts`, `RevenueCents`: what this process counted since the last
 *   publish (each process adds its own share; CloudWatch sums them);
 * - `DailyActiveUsers`: distinct visitors over the last 24 hours, from the process that hosts
 *   the analytics module (every instance publishes the same shared count; alarms read Maximum).
 *
 * A failed publish is logged and its counts are carried into the next one, so nothing is lost
 * to a brief CloudWatch or network outage.
 */
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { Counter } from 'prom-client';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

export interface BusinessMetricsOptions {
  namespace: string;
  region: string;
  intervalMs: number;
  metrics: Metrics;
  log: Logger;
  /** Distinct visitors over 24 hours; only the process hosting analytics passes it. */
  dailyUsers?: () => Promise<number>;
  client?: CloudWatchClient;
}

async function total(counter: Counter<string>): Promise<number> {
  return (await counter.get()).values.reduce((s, v) => s + v.value, 0);
}

export class BusinessMetricsPublisher {
  private readonly client: CloudWatchClient;
  private readonly sent = { OrdersPlaced: 0, CheckoutAttempts: 0, RevenueCents: 0 };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly o: BusinessMetricsOptions) {
    this.client = o.client ?? new CloudWatchClient({ region: o.region, maxAttempts: 3 });
  }

  start(): void {
    this.timer = setInterval(() => void this.publish(), this.o.intervalMs);
    this.timer.unref();
  }

  /** One publish: the counters' growth since the last successful one, and the daily users. */
  publish(): Promise<void> {
    this.running = this.running.then(() => this.publishOnce());
    return this.running;
  }

  private async publishOnce(): Promise<void> {
    const m = this.o.metrics;
    const now = { OrdersPlaced: await total(m.ordersPlaced), CheckoutAttempts: await total(m.checkoutAttempts), RevenueCents: await total(m.revenueCents) };
    const timestamp = new Date();
    const data: MetricDatum[] = (Object.keys(now) as (keyof typeof now)[])
      .filter((name) => now[name] > this.sent[name])
      .map((name) => ({ MetricName: name, Value: now[name] - this.sent[name], Unit: 'Count', Timestamp: timestamp }));
    if (this.o.dailyUsers) {
      try {
        data.push({ MetricName: 'DailyActiveUsers', Value: await this.o.dailyUsers(), Unit: 'Count', Timestamp: timestamp });
      } catch (err) {
        this.o.log.warn({ err }, 'could not count daily users');
      }
    }
    if (data.length === 0) return;
    try {
      await this.client.send(new PutMetricDataCommand({ Namespace: this.o.namespace, MetricData: data }));
      Object.assign(this.sent, now);
    } catch (err) {
      this.o.log.warn({ err, metrics: data.map((d) => d.MetricName) }, 'could not publish business metrics; they are carried into the next publish');
    }
  }

  /** Stops the timer after a last publish. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.publish();
    this.client.destroy();
  }
}
