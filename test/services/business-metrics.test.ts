/**
 * Daily users and the business metrics in CloudWatch: visitors counted across instances in the
 * real Redis cluster, the `daily_active_users` gauge, and PutMetricData as the AWS SDK sends
 * it, received by a local endpoint that answers as CloudWatch does (AWS JSON 1.0).
 */
jest.setTimeout(120000);
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Cluster, Redis } from 'ioredis';
import { BusinessMetricsPublisher } from '../../services/shared/business-metrics';
import { Cache } from '../../services/shared/cache';
import { loadConfig } from '../../services/shared/config';
import { createLogger } from '../../services/shared/logger';
import { Metrics } from '../../services/shared/metrics';
import { DailyVisitors, visitorOf } from '../../services/shared/visitors';
import { REDIS_CLUSTER_NODES, uniqueName, waitForServers } from '../support/servers';
import { checkout, post, seed, startSystem, type TestSystem } from './harness';

const CLUSTER = REDIS_CLUSTER_NODES.map((n) => `${n.host}:${n.port}`).join(',');
const silent = createLogger('test', 'silent');

/** A stand-in for the CloudWatch endpoint: records each call and answers 200 `{}` (or `failWith`). */
class FakeCloudWatch {
  readonly calls: { target: string; authorization: string; body: { Namespace: string; MetricData: { MetricName: string; Value: number; Unit: string }[] } }[] = [];
  failWith: number | undefined;
  private server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += String(d)));
    req.on('end', () => {
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      if (this.failWith) {
        res.statusCode = this.failWith;
        res.end(JSON.stringify({ __type: 'InternalServiceFault', message: 'try again' }));
        return;
      }
      this.calls.push({ target: String(req.headers['x-amz-target']), authorization: String(req.headers.authorization), body: JSON.parse(text) });
      res.end('{}');
    });
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
  value(call: number, name: string): number | undefined {
    return this.calls[call]?.body.MetricData.find((d) => d.MetricName === name)?.Value;
  }
}

describe('daily visitors in the Redis cluster', () => {
  let redis: Cluster;
  beforeAll(async () => {
    await waitForServers({ names: ['redis-cluster'], timeoutMs: 30000 });
    redis = Cache.connect(loadConfig({ ORDERS_DB_URL: 'postgres://x@h/d', INVENTORY_DB_URL: 'postgres://x@h/d', USERS_DB_URL: 'postgres://x@h/d', REDIS_CLUSTER_NODES: CLUSTER })) as Cluster;
  });
  afterAll(() => redis?.disconnect());

  test('two instances count the visitors they share once', async () => {
    const prefix = `${uniqueName('dau')}:`;
    const a = new DailyVisitors(redis, prefix, silent);
    const b = new DailyVisitors(redis, prefix, silent);
    // 1,000 distinct visitors: a sees 0-599, b sees 400-999, each of them twice.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 600; i++) a.seen(`v:${i}`);
      for (let i = 400; i < 1000; i++) b.seen(`v:${i}`);
    }
    await Promise.all([a.flush(), b.flush()]);
    const counted = await a.count();
    // HyperLogLog's standard error in Redis is 0.81%.
    expect(Math.abs(counted - 1000)).toBeLessThanOrEqual(30);
    expect(await b.count()).toBe(counted);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('the count covers the last 24 hours: a visitor drops out 24 hours after the hour of the visit', async () => {
    const prefix = `${uniqueName('dau-window')}:`;
    let now = Date.parse('2026-11-25T00:10:00Z');
    const visitors = new DailyVisitors(redis, prefix, silent, () => now);
    visitors.seen('v:early');
    await visitors.flush();
    now = Date.parse('2026-11-25T10:30:00Z');
    visitors.seen('v:late');
    await visitors.flush();
    now = Date.parse('2026-11-25T23:59:00Z');
    expect(await visitors.count()).toBe(2);
    // The window is this hour and the 23 before it: 01:00 on the 25th onwards.
    now = Date.parse('2026-11-26T00:00:00Z');
    expect(await visitors.count()).toBe(1);
    now = Date.parse('2026-11-26T09:59:00Z');
    expect(await visitors.count()).toBe(1);
    now = Date.parse('2026-11-26T10:00:00Z');
    expect(await visitors.count()).toBe(0);
    expect(await redis.ttl(visitors.key(Date.parse('2026-11-25T10:00:00Z')))).toBeGreaterThan(24 * 3600);
    await visitors.stop();
  });

  test('a visitor is the X-Visitor-Id header, else the first forwarded address, else the peer', () => {
    expect(visitorOf({ 'x-visitor-id': 'cookie-123', 'x-forwarded-for': '203.0.113.7' }, '10.0.0.1')).toBe('v:cookie-123');
    expect(visitorOf({ 'x-forwarded-for': '203.0.113.7, 10.0.0.9' }, '10.0.0.1')).toBe('a:203.0.113.7');
    expect(visitorOf({}, '10.0.0.1')).toBe('a:10.0.0.1');
  });
});

describe('the services count their visitors and publish the business metrics', () => {
  let s: TestSystem;
  const cloudwatch = new FakeCloudWatch();
  const prefix = `${uniqueName('bm')}:`;
  const saved = { ...process.env };

  beforeAll(async () => {
    await cloudwatch.start();
    // The SDK's own endpoint and credential variables, as on a host without AWS access.
    Object.assign(process.env, { AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.url, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_EC2_METADATA_DISABLED: 'true' });
    s = await startSystem('bm', {
      servers: ['postgres', 'kafka', 'redis-cluster'],
      // A long interval: the test publishes by stopping the runtime.
      env: { REDIS_CLUSTER_NODES: CLUSTER, CACHE_KEY_PREFIX: prefix, CLOUDWATCH_NAMESPACE: 'OrderPlatform/Business', AWS_REGION: 'eu-west-1', BUSINESS_METRICS_INTERVAL_MS: '3600000' },
    });
    await seed(s, [{ id: 'bm-1', priceCents: 1500, stock: 50 }]);
  });

  afterAll(async () => {
    await s?.close().catch(() => undefined);
    await cloudwatch.stop();
    process.env = saved;
  });

  test('requests record their visitors (not the probes, not calls between services); orders and daily users reach CloudWatch when the process stops', async () => {
    for (const visitor of ['alice', 'bob', 'carol']) {
      for (let i = 0; i < 3; i++) expect((await s.inject({ method: 'GET', url: '/products/bm-1', headers: { 'x-visitor-id': visitor } })).statusCode).toBe(200);
    }
    for (let i = 0; i < 20; i++) await s.inject({ method: 'GET', url: '/healthz', headers: { 'x-visitor-id': `probe-${i}` } });
    // Calls from other services (ServiceClient marks them) are not visitors either.
    for (let i = 0; i < 5; i++) await s.inject({ method: 'GET', url: '/products/bm-1', headers: { 'x-visitor-id': `service-${i}`, 'x-orders-internal-call': '1' } });
    const first = await post(s, checkout('bm-customer', [{ productId: 'bm-1', quantity: 2 }]), 'bm-key-00001');
    const second = await post(s, checkout('bm-customer', [{ productId: 'bm-1', quantity: 1 }]), 'bm-key-00002');
    expect([first.status, second.status]).toEqual([201, 201]);

    await s.rt.visitors()!.flush();
    // The checkouts came from the test's own address: one more visitor.
    const metrics = (await s.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^daily_active_users\{service="bm"\} 4$/m);

    await s.rt.stop();
    expect(cloudwatch.calls).toHaveLength(1);
    const call = cloudwatch.calls[0];
    expect(call.target).toBe('GraniteServiceVersion20100801.PutMetricData');
    expect(call.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/monitoring\/aws4_request/);
    expect(call.body.Namespace).toBe('OrderPlatform/Business');
    expect(cloudwatch.value(0, 'OrdersPlaced')).toBe(2);
    expect(cloudwatch.value(0, 'CheckoutAttempts')).toBe(2);
    expect(cloudwatch.value(0, 'RevenueCents')).toBe(4500);
    expect(cloudwatch.value(0, 'DailyActiveUsers')).toBe(4);
  });
});

describe('the publisher', () => {
  test('sends only what grew since the last publish, and carries counts over a failed publish', async () => {
    const cloudwatch = new FakeCloudWatch();
    await cloudwatch.start();
    const metrics = new Metrics('pub', false);
    const client = new CloudWatchClient({ region: 'us-east-1', endpoint: cloudwatch.url, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
    const publisher = new BusinessMetricsPublisher({ namespace: 'OrderPlatform/Business', region: 'us-east-1', intervalMs: 3600000, metrics, log: silent, client });
    try {
      metrics.ordersPlaced.inc(3);
      metrics.checkoutAttempts.inc({ outcome: 'accepted' }, 3);
      metrics.checkoutAttempts.inc({ outcome: 'OUT_OF_STOCK' }, 1);
      await publisher.publish();
      expect(cloudwatch.value(0, 'OrdersPlaced')).toBe(3);
      expect(cloudwatch.value(0, 'CheckoutAttempts')).toBe(4);
      expect(cloudwatch.value(0, 'RevenueCents')).toBeUndefined();

      // Nothing new, no daily users here: no call at all.
      await publisher.publish();
      expect(cloudwatch.calls).toHaveLength(1);

      cloudwatch.failWith = 500;
      metrics.ordersPlaced.inc(2);
      await publisher.publish();
      cloudwatch.failWith = undefined;
      metrics.ordersPlaced.inc(1);
      await publisher.stop();
      expect(cloudwatch.calls).toHaveLength(2);
      expect(cloudwatch.value(1, 'OrdersPlaced')).toBe(3);
      expect(cloudwatch.value(1, 'CheckoutAttempts')).toBeUndefined();
    } finally {
      await cloudwatch.stop();
    }
  });
});

describe('REDIS_PASSWORD', () => {
  let server: ChildProcess | undefined;
  afterAll(() => server?.kill('SIGKILL'));

  test('a Redis that requires AUTH answers with the password and refuses without it', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', 'S3cretToken0123'], { stdio: 'ignore' });
    const base = { ORDERS_DB_URL: 'postgres://x@h/d', INVENTORY_DB_URL: 'postgres://x@h/d', USERS_DB_URL: 'postgres://x@h/d', REDIS_URL: `redis://127.0.0.1:${port}` };
    const probe = async (env: Record<string, string>) => {
      const redis = Cache.connect(loadConfig({ ...base, ...env })) as Redis;
      try {
        for (let i = 0; ; i++) {
          try {
            return await redis.ping();
          } catch (e) {
            if (!/ECONNREFUSED|Connection is closed/.test(String(e)) || i > 50) throw e;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      } finally {
        redis.disconnect();
      }
    };
    expect(await probe({ REDIS_PASSWORD: 'S3cretToken0123' })).toBe('PONG');
    await expect(probe({})).rejects.toThrow(/NOAUTH/);
  });
});
