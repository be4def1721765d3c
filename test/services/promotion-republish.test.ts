/**
 * A promoted region publishes again, once, what the lost primary may not have mirrored: a region
 * deployed as secondary whose home file now names it starts as primary, and its relay queues the
 * outbox rows published in OUTBOX_REPUBLISH_WINDOW_MS before the last publish again, before its
 * first round; two instances starting together do it once, and the next start does not repeat it.
 * Real PostgreSQL and Kafka (relay only: the consumers are off, so Kafka holds what was published).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { Pool } from 'pg';
import { DOMAINS } from '../../services/shared/config';
import { resolveRegion } from '../../services/shared/home-region';
import type { Runtime } from '../../services/shared/runtime';
import { createRuntime } from '../../services/main';
import { MODULES } from '../../services/modules';
import { KAFKA_BROKERS } from '../support/servers';
import { eventually, prepare } from './harness';

jest.setTimeout(120000);

let p: Awaited<ReturnType<typeof prepare>>;
let orders: Pool;
let users: Pool;
let dir: string;
let consumer: Consumer;
/** event-id header -> times seen on the orders and users topics. */
const seen = new Map<string, number>();
const runtimes: Runtime[] = [];

/** Outbox rows as the lost primary left them: published (the mark replicated), at these ages before its last publish. */
const recent = [randomUUID(), randomUUID(), randomUUID()];
const old = randomUUID();
const recentUser = randomUUID();

async function insertPublished(pool: Pool, topic: string, id: string, publishedAgo: string): Promise<void> {
  await pool.query(
    `INSERT INTO outbox (event_id, topic, key, type, payload, published_at) VALUES ($1::uuid, $2, $1::uuid::text, 'Test', jsonb_build_object('id', $1::uuid::text, 'type', 'Test'), now() - $3::interval)`,
    [id, topic, publishedAgo],
  );
}

const env = (extra: Record<string, string> = {}) => ({
  ...p.env,
  AWS_REGION: 'region-b',
  REGION_ROLE: 'secondary',
  HOME_API_URL: 'http://127.0.0.1:1',
  HOME_REGION_SOURCE: `file:${path.join(dir, 'home')}`,
  REGION_API_URLS: 'region-a=http://127.0.0.1:1,region-b=http://127.0.0.1:2',
  CONSUMERS: 'false',
  HTTP: 'false',
  DAILY_USERS: 'false',
  OUTBOX_REPUBLISH_WINDOW_MS: String(10 * 60_000),
  ...extra,
});

/** Starts the services as main() does: the role from the home file, then the relay. */
async function startRegion(name: string, extra: Record<string, string> = {}): Promise<Runtime> {
  const region = await resolveRegion(env(extra));
  const rt = createRuntime(name, DOMAINS.map((d) => MODULES[d]), region.cfg, region);
  runtimes.push(rt);
  await rt.startWorkers();
  return rt;
}

async function stop(rt: Runtime): Promise<void> {
  await rt.stop();
  runtimes.splice(runtimes.indexOf(rt), 1);
}

const republished = async (rt: Runtime) => Object.fromEntries((await rt.metrics.registry.getSingleMetric('outbox_republished_total')!.get()).values.map((v) => [v.labels.db, v.value]));
const changes = async (pool: Pool) => (await pool.query<{ region: string; promoted: boolean; republished: number | null }>('SELECT region, promoted, republished FROM home_region_changes ORDER BY id')).rows;
const pending = async () => (await Promise.all([orders, users].map((x) => x.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')))).reduce((n, r) => n + r.rows[0].n, 0);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promotion-'));
  p = await prepare('promotion');
  orders = new Pool({ connectionString: p.orders.url, max: 2 });
  users = new Pool({ connectionString: p.users.url, max: 2 });
  // The lost primary's relay recorded itself as home, and published these before it was lost.
  for (const pool of [orders, users]) await pool.query("INSERT INTO home_region_changes (region, promoted) VALUES ('region-a', false)");
  await insertPublished(orders, 'orders', recent[0], '0 seconds');
  await insertPublished(orders, 'orders', recent[1], '2 minutes');
  await insertPublished(orders, 'payments', recent[2], '9 minutes');
  await insertPublished(orders, 'orders', old, '11 minutes');
  await insertPublished(users, 'users', recentUser, '1 second');
  consumer = new Kafka({ clientId: 'promotion-test', brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING }).consumer({ groupId: `${p.prefix}promotion-test` });
  await consumer.connect();
  await consumer.subscribe({ topics: ['orders', 'payments', 'users'].map((t) => p.prefix + t), fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const id = message.headers?.['event-id']?.toString() ?? '';
      seen.set(id, (seen.get(id) ?? 0) + 1);
      return Promise.resolve();
    },
  });
});

afterAll(async () => {
  for (const rt of [...runtimes]) await rt.stop().catch(() => undefined);
  await consumer?.disconnect().catch(() => undefined);
  await orders?.end();
  await users?.end();
  await p?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('while the home is elsewhere the region is secondary and runs no relay: nothing is published again', async () => {
  fs.writeFileSync(path.join(dir, 'home'), 'region-a\n');
  const region = await resolveRegion(env());
  expect(region).toMatchObject({ home: 'region-a', promoted: false, cfg: { REGION_ROLE: 'secondary', RELAY: false } });
  expect(await pending()).toBe(0);
});

test('promoted, two instances starting together publish the rows of the window again, once', async () => {
  fs.writeFileSync(path.join(dir, 'home'), 'region-b\n');
  const [one, two] = await Promise.all([startRegion('promoted-1'), startRegion('promoted-2')]);
  expect(one.cfg).toMatchObject({ REGION_ROLE: 'primary', RELAY: true });
  // Every row of the window, on both databases; the row 11 minutes before the last publish is not.
  await eventually(async () => [...recent, recentUser].every((id) => seen.get(id) === 1) && (await pending()) === 0, 30000, 'the window published again');
  expect(await changes(orders)).toEqual([
    { region: 'region-a', promoted: false, republished: null },
    { region: 'region-b', promoted: true, republished: 3 },
  ]);
  expect(await changes(users)).toEqual([
    { region: 'region-a', promoted: false, republished: null },
    { region: 'region-b', promoted: true, republished: 1 },
  ]);
  const counted = [await republished(one), await republished(two)];
  expect(counted.reduce((s, c) => ({ orders: s.orders + (c.orders ?? 0), users: s.users + (c.users ?? 0) }), { orders: 0, users: 0 })).toEqual({ orders: 3, users: 1 });
  await Promise.all([stop(one), stop(two)]);
  expect(seen.get(old)).toBeUndefined();
  expect([...recent, recentUser].map((id) => seen.get(id))).toEqual([1, 1, 1, 1]);
});

test('the next start of the promoted region publishes nothing again', async () => {
  const again = await startRegion('promoted-3');
  // A new event goes through the relay's first round: the start is past the point where it would have.
  const fresh = randomUUID();
  await orders.query("INSERT INTO outbox (event_id, topic, key, type, payload) VALUES ($1::uuid, 'orders', $1::uuid::text, 'Test', jsonb_build_object('id', $1::uuid::text, 'type', 'Test'))", [fresh]);
  await eventually(() => Promise.resolve(seen.get(fresh) === 1), 30000, 'the new event published');
  await new Promise((r) => setTimeout(r, 500));
  expect([...recent, recentUser].map((id) => seen.get(id))).toEqual([1, 1, 1, 1]);
  expect(seen.get(old)).toBeUndefined();
  expect(await republished(again)).toEqual({});
  expect((await changes(orders)).map((c) => c.region)).toEqual(['region-a', 'region-b']);
  expect((await changes(users)).map((c) => c.region)).toEqual(['region-a', 'region-b']);
  await stop(again);
});

test('a region deployed as primary records itself as home and publishes nothing again', async () => {
  fs.writeFileSync(path.join(dir, 'home'), 'region-a\n');
  const rt = await startRegion('home-a', { AWS_REGION: 'region-a', REGION_ROLE: 'primary', HOME_API_URL: '' });
  await eventually(async () => (await changes(users)).length === 3, 30000, 'the home recorded');
  expect((await changes(users)).at(-1)).toEqual({ region: 'region-a', promoted: false, republished: null });
  expect(await republished(rt)).toEqual({});
  await stop(rt);
  expect([...recent, recentUser].map((id) => seen.get(id))).toEqual([1, 1, 1, 1]);
});
