/**
 * The in-process catalogue cache of each instance, in front of Redis: every instance drops its
 * entry when ProductChanged is published, and keeps nothing longer than LOCAL_CACHE_TTL_MS.
 */
jest.setTimeout(180000);
import { Redis } from 'ioredis';
import { createRuntime } from '../../services/main';
import { MODULES } from '../../services/modules';
import { DOMAINS, loadConfig } from '../../services/shared/config';
import { LocalCache } from '../../services/shared/local-cache';
import type { Runtime } from '../../services/shared/runtime';
import { REDIS_URL, uniqueName } from '../support/servers';
import { eventually, httpInject, kafkaAdmin, seed, startSystem, waitForConsumersIdle, type Inject, type TestSystem } from './harness';

/** What the in-process layer promises when events flow: well inside the TTL (60 s here). */
const EVENT_BOUND_MS = 5000;
/** The TTL of instance C, which hears no events: its stated bound. */
const TTL_BOUND_MS = 1000;

let a: TestSystem;
const others: { rt: Runtime; inject: Inject }[] = [];
let redis: Redis;
const prefix = `${uniqueName('local')}:`;

async function instance(name: string, env: Record<string, string>): Promise<{ rt: Runtime; inject: Inject }> {
  const rt = createRuntime(name, DOMAINS.map((d) => MODULES[d]), loadConfig({ ...a.env, RELAY: 'false', CONSUMERS: 'false', ...env }));
  const url = await rt.buildApp().listen({ port: 0, host: '127.0.0.1' });
  await rt.startWorkers();
  const i = { rt, inject: httpInject(url) };
  others.push(i);
  return i;
}

async function price(inject: Inject, id: string): Promise<number> {
  return (await inject({ method: 'GET', url: `/products/${id}` })).json().priceCents;
}

async function localHits(inject: Inject): Promise<number> {
  const m = /cache_operations_total\{kind="local:product",result="hit"[^}]*\} (\d+)/.exec((await inject({ method: 'GET', url: '/metrics' })).body);
  return m ? Number(m[1]) : 0;
}

/** Waits until each instance's own listener group has joined and holds the topic's partitions. */
async function listenersJoined(rts: Runtime[]): Promise<void> {
  const admin = await kafkaAdmin();
  try {
    const ids = rts.map((rt) => `${a.prefix}product-local-cache.${rt.instanceId}`);
    await eventually(async () => (await admin.describeGroups(ids)).groups.every((g) => g.state === 'Stable' && g.members.length === 1), 30000, 'listeners joined');
  } finally {
    await admin.disconnect();
  }
}

let b: { rt: Runtime; inject: Inject };
let c: { rt: Runtime; inject: Inject };

beforeAll(async () => {
  const env = { CACHE: 'true', REDIS_URL, CACHE_KEY_PREFIX: prefix, LOCAL_CACHE_ENTRIES: '1000', LOCAL_CACHE_TTL_MS: '60000' };
  a = await startSystem('localcache', { servers: ['postgres', 'kafka', 'redis-standalone'], env });
  redis = new Redis(REDIS_URL);
  await seed(a, [
    { id: 'lc-1', priceCents: 1000, stock: 10 },
    { id: 'lc-2', priceCents: 2000, stock: 10 },
  ]);
  await eventually(async () => (await a.outboxPending()) === 0, 30000, 'seed events published');
  await waitForConsumersIdle(a.prefix, [{ group: 'product-cache', topics: ['products'] }]);
  b = await instance('localcache-b', {});
  // C hears no events (no Kafka): only its TTL bounds what it serves.
  c = await instance('localcache-c', { KAFKA_BROKERS: '', LOCAL_CACHE_TTL_MS: String(TTL_BOUND_MS) });
  await listenersJoined([a.rt, b.rt]);
}, 180000);

afterAll(async () => {
  for (const o of others) await o.rt.stop();
  await redis?.quit();
  await a?.close();
});

test('catalogue reads are served from each instance\'s memory, even past Redis', async () => {
  for (const i of [a, b]) expect(await price(i.inject, 'lc-1')).toBe(1000);
  const before = await Promise.all([a, b].map((i) => localHits(i.inject)));
  // Behind the services' back, in the database and in Redis: memory still answers.
  await a.inventory.query("UPDATE products SET price_cents = 1 WHERE id = 'lc-1'");
  await redis.del(`${prefix}product:{lc-1}`);
  for (const i of [a, b]) expect(await price(i.inject, 'lc-1')).toBe(1000);
  const after = await Promise.all([a, b].map((i) => localHits(i.inject)));
  expect(after.map((n, k) => n - before[k])).toEqual([1, 1]);
});

test(`a change made through one instance is visible in every instance within ${EVENT_BOUND_MS} ms`, async () => {
  for (const i of [a, b]) expect(await price(i.inject, 'lc-2')).toBe(2000);
  const t0 = Date.now();
  const put = await a.inject({ method: 'PUT', url: '/products/lc-2', payload: { name: 'Product lc-2', priceCents: 2500 } });
  expect(put.statusCode).toBe(200);
  const seenAt = await Promise.all(
    [a, b].map(async (i) => {
      await eventually(async () => (await price(i.inject, 'lc-2')) === 2500, 30000, 'new price');
      return Date.now() - t0;
    }),
  );
  expect(Math.max(...seenAt)).toBeLessThan(EVENT_BOUND_MS);
});

test(`an instance that hears no events serves a change within its LOCAL_CACHE_TTL_MS (${TTL_BOUND_MS} ms)`, async () => {
  expect(await price(c.inject, 'lc-2')).toBe(2500);
  await a.inventory.query("UPDATE products SET price_cents = 2600 WHERE id = 'lc-2'");
  await redis.del(`${prefix}product:{lc-2}`);
  const t0 = Date.now();
  expect(await price(c.inject, 'lc-2')).toBe(2500);
  await eventually(async () => (await price(c.inject, 'lc-2')) === 2600, 10000, 'TTL expiry');
  expect(Date.now() - t0).toBeLessThan(TTL_BOUND_MS + 500);
});

describe('the in-process cache', () => {
  const load = (v: number) => () => Promise.resolve(new Map([['x', { id: 'x', version: v }]]));

  test('keeps at most its bound of entries, dropping the least recently used', async () => {
    const cache = new LocalCache<{ id: string; version: number }>('t', 2, 60000);
    await cache.getMany(['p', 'q', 'r'], (ids) => Promise.resolve(new Map(ids.map((id) => [id, { id, version: 1 }]))));
    expect(cache.size).toBe(2);
  });

  test('does not keep a value older than the version a change event announced', async () => {
    const cache = new LocalCache<{ id: string; version: number }>('t', 10, 60000);
    const loads = jest.fn(load(2));
    cache.invalidate('x', 3);
    expect((await cache.getMany(['x'], loads)).get('x')?.version).toBe(2);
    await cache.getMany(['x'], loads);
    expect(loads).toHaveBeenCalledTimes(2);
    await cache.getMany(['x'], load(3));
    await cache.getMany(['x'], loads);
    expect(loads).toHaveBeenCalledTimes(2);
  });
});
