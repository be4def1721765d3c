/**
 * A secondary region against real servers: its PostgreSQL is the streaming standby (read-only,
 * like an RDS cross-region replica), its cache a Redis replica of the home Redis (read-only, like
 * a Global Datastore secondary), and its writes go to a home instance over HTTP.
 */
jest.setTimeout(180000);
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { createRuntime } from '../../services/main';
import { MODULES } from '../../services/modules';
import { ConfigError, DOMAINS, loadConfig } from '../../services/shared/config';
import { ROUTE_PLACES, SERVED_BY_HEADER } from '../../services/shared/region';
import { Runtime } from '../../services/shared/runtime';
import { KAFKA_BROKERS, PG_REPLICA, REDIS_STANDALONE, REDIS_URL, pgUrl, uniqueName, waitForReplicaCatchUp } from '../support/servers';
import { checkout, eventually, httpInject, seed, startSystem, waitForConsumersIdle, waitForStatus, type Inject, type TestSystem } from './harness';
import { startRedisReplica, type RedisReplica } from './support/redis-replica';
import { allRoutes } from './support/routes';

const MASTER = `${REDIS_STANDALONE.host}:${REDIS_STANDALONE.port}`;

let home: TestSystem;
let replicaRedis: RedisReplica;
let homeRedis: Redis;
let standby: Client;
let sec: Runtime;
let secInject: Inject;
let secUrl: string;
let secEnv: Record<string, string>;
const others: Runtime[] = [];
const prefix = `${uniqueName('sec')}:`;
/** Commands the Redis replica executed for clients other than its master: must hold no write. */
const monitored: string[][] = [];
let monitor: Redis | undefined;
let dbNames: string[] = [];
let before: Map<string, { commit: number; rollback: number }>;

async function standbyStats(): Promise<Map<string, { commit: number; rollback: number }>> {
  const r = await standby.query<{ datname: string; commit: number; rollback: number }>(
    'SELECT datname, xact_commit::int AS commit, xact_rollback::int AS rollback FROM pg_stat_database WHERE datname = ANY($1)',
    [dbNames],
  );
  return new Map(r.rows.map((x) => [x.datname, { commit: x.commit, rollback: x.rollback }]));
}

function parseInfo(text: string, section: string): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const line of text.split(/\r?\n/)) {
    const m = new RegExp(`^${section}_([^:]+):(.*)$`).exec(line);
    if (!m) continue;
    out.set(m[1], Object.fromEntries(m[2].split(',').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)])));
  }
  return out;
}

/** Whether the visitor is in this hour's HyperLogLog at home (PFADD to a copy changes nothing when it is). */
async function countedAtHome(visitor: string): Promise<boolean> {
  const key = `${prefix}{visitors}:${new Date().toISOString().slice(0, 13)}`;
  const probe = `${prefix}{visitors}:probe`;
  await homeRedis.del(probe);
  if ((await homeRedis.copy(key, probe)) === 0) return false;
  const changed = await homeRedis.pfadd(probe, visitor);
  await homeRedis.del(probe);
  return changed === 0;
}

function secondaryRuntime(name: string, env: Record<string, string>, modules = DOMAINS.map((d) => MODULES[d])): Runtime {
  const rt = createRuntime(name, modules, loadConfig(env));
  others.push(rt);
  return rt;
}

beforeAll(async () => {
  home = await startSystem('sec_home', {
    servers: ['postgres', 'replica', 'kafka', 'redis-standalone'],
    env: { CACHE: 'true', REDIS_URL, CACHE_KEY_PREFIX: prefix, READ_YOUR_WRITES_WINDOW_MS: '20000', AWS_REGION: 'us-east-1' },
  });
  replicaRedis = await startRedisReplica(REDIS_STANDALONE);
  homeRedis = new Redis(REDIS_URL);
  standby = new Client({ connectionString: pgUrl('postgres', PG_REPLICA) });
  await standby.connect();
  dbNames = home.dbs.map((d) => d.name);

  await seed(home, [
    { id: 'sec-1', priceCents: 1200, stock: 50 },
    { id: 'sec-2', priceCents: 800, stock: 50 },
  ]);
  // Home reads sec-1 once, after the seeding's invalidations: its cache entry replicates to the secondary's cache.
  await waitForConsumersIdle(home.prefix, [
    { group: 'product-cache', topics: ['products'] },
    { group: 'stock-cache', topics: ['inventory'] },
  ]);
  expect((await home.inject({ method: 'GET', url: '/products/sec-1' })).statusCode).toBe(200);
  await eventually(async () => (await replicaRedis.admin.exists(`${prefix}product:{sec-1}`)) === 1, 10000, 'the cache entry to replicate');
  await waitForReplicaCatchUp();

  secEnv = {
    REGION_ROLE: 'secondary',
    HOME_API_URL: home.baseUrl,
    AWS_REGION: 'us-west-2',
    ORDERS_DB_URL: home.dbs[0].replicaUrl,
    INVENTORY_DB_URL: home.dbs[1].replicaUrl,
    USERS_DB_URL: home.dbs[2].replicaUrl,
    CACHE: 'true',
    REDIS_URL: replicaRedis.url,
    HOME_REDIS_URL: REDIS_URL,
    CACHE_KEY_PREFIX: prefix,
    READ_YOUR_WRITES_WINDOW_MS: '20000',
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: home.prefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'fatal',
  };
  monitor = await replicaRedis.admin.monitor();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== MASTER) monitored.push(args);
  });
  before = await standbyStats();
  sec = secondaryRuntime('sec-west', secEnv);
  secUrl = await sec.buildApp().listen({ port: 0, host: '127.0.0.1' });
  secInject = httpInject(secUrl);
  // Nothing starts in a secondary: no relay, no consumers (and the config turned them off).
  await sec.startWorkers();
}, 180000);

afterAll(async () => {
  await standby?.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
  for (const rt of others) await rt.stop().catch(() => undefined);
  monitor?.disconnect();
  homeRedis?.disconnect();
  await standby?.end().catch(() => undefined);
  await replicaRedis?.stop();
  await home?.close();
});

describe('configuration', () => {
  const base = { ORDERS_DB_URL: 'postgres://u:p@db/o', INVENTORY_DB_URL: 'postgres://u:p@db/i', USERS_DB_URL: 'postgres://u:p@db/u' };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env });
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  test('a secondary without HOME_API_URL is refused', () => {
    expect(problems({ REGION_ROLE: 'secondary' })).toEqual(['HOME_API_URL=(unset): must be set when REGION_ROLE=secondary: writes are forwarded to the primary region']);
  });

  test('a secondary with RELAY=true or CONSUMERS=true is refused, naming both variables', () => {
    const home = { REGION_ROLE: 'secondary', HOME_API_URL: 'https://api.internal.us-east-1.example' };
    expect(problems({ ...home, RELAY: 'true' })).toEqual(['RELAY="true": must be off when REGION_ROLE=secondary: the outbox relay runs only in the primary region']);
    expect(problems({ ...home, CONSUMERS: 'true' })).toEqual(['CONSUMERS="true": must be off when REGION_ROLE=secondary: the saga\'s consumers run only in the primary region']);
    expect(loadConfig({ ...base, ...home })).toMatchObject({ RELAY: false, CONSUMERS: false });
  });
});

test('every route of the services has its place in a secondary region in one table', async () => {
  const routes = await allRoutes();
  expect(routes.filter((r) => !(r in ROUTE_PLACES))).toEqual([]);
  // Reads are local except the order activity, which only the primary region holds (the elastic cluster has no global clusters).
  const readsAtHome = ['GET /analytics/customers/:customerId/activity'];
  for (const r of routes) expect([r, ROUTE_PLACES[r]]).toEqual([r, r.startsWith('GET ') && !readsAtHome.includes(r) ? 'local' : 'home']);
});

test('catalogue, stock and user reads entering the secondary are served by its own replica and cache', async () => {
  const metricsBefore = (await secInject({ method: 'GET', url: '/metrics' })).body;
  expect(metricsBefore).not.toMatch(/cache_operations_total\{kind="product",result="hit"/);
  const cached = await secInject({ method: 'GET', url: '/products/sec-1' });
  expect(cached.statusCode).toBe(200);
  expect(cached.json()).toMatchObject({ id: 'sec-1', priceCents: 1200 });
  expect(cached.headers[SERVED_BY_HEADER]).toBeUndefined();
  const fromReplica = await secInject({ method: 'GET', url: '/products?ids=sec-1,sec-2' });
  expect(fromReplica.json().products.map((p: { id: string }) => p.id)).toEqual(['sec-1', 'sec-2']);
  const stock = await secInject({ method: 'GET', url: '/stock?ids=sec-1,sec-2' });
  expect(stock.json()).toEqual({ stock: [{ productId: 'sec-1', available: 50 }, { productId: 'sec-2', available: 50 }] });
  expect(stock.headers[SERVED_BY_HEADER]).toBeUndefined();

  // sec-1 came from the cache the primary filled, sec-2 from the standby (and was not cached here).
  const metrics = (await secInject({ method: 'GET', url: '/metrics' })).body;
  expect(metrics).toMatch(/cache_operations_total\{kind="product",result="hit",service="sec-west"\} [1-9]/);
  expect(metrics).toMatch(/cache_operations_total\{kind="product",result="miss",service="sec-west"\} [1-9]/);
  const sessions = await standby.query<{ datname: string; application_name: string }>(
    "SELECT DISTINCT datname, application_name FROM pg_stat_activity WHERE datname = ANY($1) AND application_name LIKE 'sec-west:%' ORDER BY 1, 2",
    [dbNames],
  );
  expect(sessions.rows).toContainEqual({ datname: home.dbs[1].name, application_name: 'sec-west:inventory' });
});

describe('a checkout entering the secondary', () => {
  let order: Record<string, any>;
  const body = checkout('sec-cust', [{ productId: 'sec-1', quantity: 2 }]);
  const headers = { 'idempotency-key': 'sec-key-000001', 'x-customer-id': 'sec-cust', 'content-type': 'application/json' };

  test('creates exactly one order at home; a replay returns it, another body with the key is 422', async () => {
    const first = await secInject({ method: 'POST', url: '/orders', payload: body, headers });
    expect(first.statusCode).toBe(201);
    expect(first.headers[SERVED_BY_HEADER]).toBe('home');
    order = first.json();
    expect(first.headers.location).toBe(`/orders/${order.id}`);
    expect(order).toMatchObject({ customerId: 'sec-cust', status: 'PENDING', totalCents: 2400 });

    const replay = await secInject({ method: 'POST', url: '/orders', payload: body, headers });
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().id).toBe(order.id);

    const reused = await secInject({ method: 'POST', url: '/orders', payload: checkout('sec-cust', [{ productId: 'sec-1', quantity: 3 }]), headers });
    expect(reused.statusCode).toBe(422);
    expect(reused.json().error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', orderId: order.id });

    const rows = await home.orders.query('SELECT id FROM orders WHERE customer_id = $1', ['sec-cust']);
    expect(rows.rows).toEqual([{ id: order.id }]);
    const events = await home.orders.query("SELECT count(*)::int AS n FROM outbox WHERE type = 'OrderPlaced' AND key = $1", [order.id]);
    expect(events.rows[0].n).toBe(1);
  });

  test('the saga completes at home and the order reaches the secondary\'s replica', async () => {
    await waitForStatus(home, order.id, ['CONFIRMED']);
    // Read without the customer's identity: served by the standby once replication caught up.
    const replicated = await eventually(async () => {
      const r = await secInject({ method: 'GET', url: '/customers/sec-cust/orders' });
      return r.json().orders[0]?.status === 'CONFIRMED' ? r : undefined;
    });
    expect(replicated.headers[SERVED_BY_HEADER]).toBeUndefined();
  });

  test('a catalogue change entering the secondary is made at home', async () => {
    const r = await secInject({ method: 'PUT', url: '/stock/sec-3', payload: { available: 7 } });
    expect(r.statusCode).toBe(200);
    expect(r.headers[SERVED_BY_HEADER]).toBe('home');
    expect((await home.inventory.query("SELECT available FROM stock WHERE product_id = 'sec-3'")).rows).toEqual([{ available: 7 }]);
  });
});

describe('read-your-writes through the secondary', () => {
  test('while the standby lags, the customer who just checked out sees the order; others see the replica', async () => {
    // A second instance in the secondary region: it knows of the write only from the marker
    // that home wrote and that replicated to the local cache.
    const other = secondaryRuntime('sec-west-b', secEnv, [MODULES.order]);
    const otherInject = httpInject(await other.buildApp().listen({ port: 0, host: '127.0.0.1' }));
    await standby.query('SELECT pg_wal_replay_pause()');
    try {
      const headers = { 'idempotency-key': 'sec-ryw-000001', 'x-customer-id': 'ryw-cust', 'content-type': 'application/json' };
      const placed = await secInject({ method: 'POST', url: '/orders', payload: checkout('ryw-cust', [{ productId: 'sec-2', quantity: 1 }]), headers });
      expect(placed.statusCode).toBe(201);
      const id = placed.json().id as string;

      for (const inject of [secInject, otherInject]) {
        const own = await inject({ method: 'GET', url: '/customers/ryw-cust/orders', headers: { 'x-customer-id': 'ryw-cust' } });
        expect(own.json().orders.map((o: { id: string }) => o.id)).toEqual([id]);
        expect(own.headers[SERVED_BY_HEADER]).toBe('home');
        // Not on the standby yet: the order is read at home, never a 404.
        const byId = await inject({ method: 'GET', url: `/orders/${id}` });
        expect(byId.statusCode).toBe(200);
        expect(byId.headers[SERVED_BY_HEADER]).toBe('home');
        // Anyone else is served by the lagging standby.
        const others = await inject({ method: 'GET', url: '/customers/ryw-cust/orders', headers: { 'x-customer-id': 'support-agent' } });
        expect(others.json().orders).toEqual([]);
        expect(others.headers[SERVED_BY_HEADER]).toBeUndefined();
      }
    } finally {
      await standby.query('SELECT pg_wal_replay_resume()');
    }
  });
});

test('the visitor of a request entering the secondary is counted in the home region\'s Redis', async () => {
  const visitor = `sec-visitor-${Date.now()}`;
  expect(await countedAtHome(`v:${visitor}`)).toBe(false);
  expect((await secInject({ method: 'GET', url: '/products/sec-1', headers: { 'x-visitor-id': visitor } })).statusCode).toBe(200);
  // Batched: one PFADD a second per process.
  await eventually(() => countedAtHome(`v:${visitor}`), 10000, 'the visitor to be counted at home');
});

test('a request forwarded to a region that is not primary is refused, not forwarded again', async () => {
  // A secondary whose HOME_API_URL wrongly names another secondary.
  const misconfigured = secondaryRuntime('sec-loop', { ...secEnv, HOME_API_URL: secUrl }, [MODULES.user]);
  const inject = httpInject(await misconfigured.buildApp().listen({ port: 0, host: '127.0.0.1' }));
  const r = await inject({ method: 'POST', url: '/users', payload: { id: 'loop-user', email: 'loop@example.com', name: 'Loop' } });
  expect(r.statusCode).toBe(508);
  expect(r.json().error.code).toBe('FORWARDING_LOOP');
  expect((await home.users.query("SELECT count(*)::int AS n FROM users WHERE id = 'loop-user'")).rows[0].n).toBe(0);
});

test('with the region-writes flag off, the secondary refuses writes (503, Retry-After) and fails its checkout health; on again, it forwards', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'region-writes-'));
  const file = path.join(dir, 'flags.json');
  const set = (enabled: boolean) => fs.writeFileSync(file, JSON.stringify({ 'region-writes': { enabled } }));
  set(true);
  const flagged = secondaryRuntime('sec-flag', { ...secEnv, FLAGS_SOURCE: `file:${file}`, FLAGS_POLL_MS: '1000' });
  await flagged.startWorkers();
  const inject = httpInject(await flagged.buildApp().listen({ port: 0, host: '127.0.0.1' }));
  const order = (key: string) => inject({ method: 'POST', url: '/orders', payload: checkout('sec-flag-cust', [{ productId: 'sec-2', quantity: 1 }]), headers: { 'idempotency-key': key } });
  const stored = async (key: string) => (await home.orders.query('SELECT count(*)::int AS n FROM orders WHERE idempotency_key = $1', [key])).rows[0].n as number;
  try {
    expect((await order('sec-flag-on-0001')).statusCode).toBe(201);
    expect((await inject({ method: 'GET', url: '/health/checkout' })).statusCode).toBe(200);

    set(false);
    // Each attempt its own key: those made before the flag was read as off are forwarded.
    let attempt = 0;
    const refused = await eventually(async () => {
      const key = `sec-flag-off-${String(++attempt).padStart(4, '0')}`;
      const r = await order(key);
      return r.statusCode === 503 ? { r, key } : undefined;
    }, 10000, 'the flag to be read as off');
    expect(refused.r.json().error.code).toBe('WRITES_AT_HOME_ONLY');
    expect(refused.r.headers['retry-after']).toBe('40');
    expect(await stored(refused.key)).toBe(0);
    // Route 53 takes the region out: its checkout health fails and says why.
    await new Promise((r) => setTimeout(r, 2100)); // one health result is served for 2 s
    const health = await inject({ method: 'GET', url: '/health/checkout' });
    expect(health.statusCode).toBe(503);
    expect(health.json().checks['region-writes']).toMatch(/flag is off/);
    // Reads go on.
    expect((await inject({ method: 'GET', url: '/products/sec-2' })).statusCode).toBe(200);

    // On again: the refused checkout, retried with its key, is made once.
    set(true);
    await eventually(async () => (await order(refused.key)).statusCode === 201, 10000, 'the flag to be read as on');
    expect(await stored(refused.key)).toBe(1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('with home unreachable, reads are still served and a write is a 503 with a machine-readable code', async () => {
  await home.app.close();
  expect((await secInject({ method: 'GET', url: '/products/sec-2' })).statusCode).toBe(200);
  expect((await secInject({ method: 'GET', url: '/stock?ids=sec-1' })).statusCode).toBe(200);
  const history = await secInject({ method: 'GET', url: '/customers/sec-cust/orders' });
  expect(history.json().orders).toHaveLength(1);
  const started = Date.now();
  const write = await secInject({ method: 'POST', url: '/orders', payload: checkout('sec-cust', [{ productId: 'sec-1', quantity: 1 }]), headers: { 'idempotency-key': 'sec-down-00001' } });
  expect(write.statusCode).toBe(503);
  expect(write.json().error.code).toBe('HOME_REGION_UNAVAILABLE');
  expect(Date.now() - started).toBeLessThan(5000);
});

test('the secondary never sent a write to its read-only PostgreSQL or Redis', async () => {
  // Closing the secondary's pools makes each standby session report its statistics.
  for (const rt of others) await rt.stop();
  const redisInfo = await replicaRedis.admin.info('all');
  // (ERR is ioredis' CLIENT SETINFO, a subcommand this Redis predates.)
  expect(parseInfo(redisInfo, 'errorstat').get('READONLY')).toBeUndefined();
  const writeCommands = new Set(((await replicaRedis.admin.call('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'write')) as string[]).map((c) => c.toLowerCase()));
  const refused = [...parseInfo(redisInfo, 'cmdstat')].filter(([cmd, s]) => writeCommands.has(cmd.split('|')[0]) && (s.rejected_calls > 0 || s.failed_calls > 0));
  expect(refused).toEqual([]);
  const clientWrites = monitored.filter((args) => writeCommands.has(String(args[0]).toLowerCase()));
  expect(clientWrites).toEqual([]);
  // The secondary did read its cache: GETs of the product entries, from clients, not the master.
  expect(monitored.some((args) => String(args[0]).toLowerCase() === 'get' && String(args[1]).startsWith(`${prefix}product:`))).toBe(true);

  const after = await eventually(
    async () => {
      const s = await standbyStats();
      return s.get(home.dbs[1].name)!.commit > before.get(home.dbs[1].name)!.commit ? s : undefined;
    },
    20000,
    'the standby to report the secondary\'s transactions',
  );
  for (const name of dbNames) expect([name, after.get(name)!.rollback - before.get(name)!.rollback]).toEqual([name, 0]);
});
