/** Read/write splitting: stale-tolerant reads from the streaming replica, read-your-writes from the primary. */
jest.setTimeout(120000);
import { Client } from 'pg';
import { loadConfig } from '../../services/shared/config';
import { createRuntime } from '../../services/main';
import { MODULES } from '../../services/modules';
import { PG_REPLICA, REDIS_CLUSTER_NODES, pgUrl, uniqueName, waitForReplicaCatchUp } from '../support/servers';
import { checkout, httpInject, post, seed, startSystem, type TestSystem } from './harness';

let s: TestSystem;
let replica: Client;

beforeAll(async () => {
  s = await startSystem('rw', { workers: false, replicas: true, servers: ['postgres', 'replica', 'kafka'], env: { READ_YOUR_WRITES_WINDOW_MS: '1500' } });
  replica = new Client({ connectionString: pgUrl('postgres', PG_REPLICA) });
  await replica.connect();
  await seed(s, [{ id: 'rw-1', priceCents: 300, stock: 100 }]);
  await waitForReplicaCatchUp();
}, 120000);

afterAll(async () => {
  await replica?.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
  await replica?.end();
  await s?.close();
});

test('while the replica lags, others read the replica\'s stale copy and the customer reads its own fresh writes from the primary', async () => {
  const a = await post(s, checkout('rw-cust', [{ productId: 'rw-1', quantity: 1 }]), 'rw-key-00001');
  expect(a.status).toBe(201);
  await waitForReplicaCatchUp();
  await new Promise((r) => setTimeout(r, 1600)); // order A is no longer fresh
  await replica.query('SELECT pg_wal_replay_pause()');
  try {
    // A change the replica has not replayed yet.
    await s.orders.query("UPDATE orders SET status = 'PAID', status_rank = 2 WHERE id = $1", [a.body.id]);
    const b = await post(s, checkout('rw-cust', [{ productId: 'rw-1', quantity: 2 }]), 'rw-key-00002');
    expect(b.status).toBe(201);

    // Stale-tolerant: anyone but the customer reading an older order gets the replica's copy.
    const stale = (await s.inject({ method: 'GET', url: `/orders/${a.body.id}` })).json();
    expect(stale.status).toBe('PENDING');
    // Not yet on the replica: found on the primary, never a 404.
    const fresh = await s.inject({ method: 'GET', url: `/orders/${b.body.id}` });
    expect(fresh.statusCode).toBe(200);
    // The customer who just wrote reads the primary: their list has the new order and A's new status.
    const own = (await s.inject({ method: 'GET', url: '/customers/rw-cust/orders', headers: { 'x-customer-id': 'rw-cust' } })).json();
    expect(own.orders.map((o: { id: string }) => o.id)).toEqual([b.body.id, a.body.id]);
    expect(own.orders[1].status).toBe('PAID');
    // Someone else listing the same customer's orders is served by the lagging replica.
    const other = (await s.inject({ method: 'GET', url: '/customers/rw-cust/orders', headers: { 'x-customer-id': 'support-agent' } })).json();
    expect(other.orders.map((o: { id: string }) => o.id)).toEqual([a.body.id]);
  } finally {
    await replica.query('SELECT pg_wal_replay_resume()');
  }
  await waitForReplicaCatchUp();
  const caughtUp = (await s.inject({ method: 'GET', url: '/customers/rw-cust/orders' })).json();
  expect(caughtUp.orders).toHaveLength(2);
});

describe('read-your-writes across instances', () => {
  let t: TestSystem;
  let other: import('../../services/shared/runtime').Runtime;
  let otherInject: import('./harness').Inject;
  const prefix = `${uniqueName('ryw')}:`;

  beforeAll(async () => {
    const cacheEnv = { CACHE: 'true', REDIS_CLUSTER_NODES: REDIS_CLUSTER_NODES.map((n) => `${n.host}:${n.port}`).join(','), CACHE_KEY_PREFIX: prefix, READ_YOUR_WRITES_WINDOW_MS: '20000' };
    t = await startSystem('ryw', { workers: false, replicas: true, servers: ['postgres', 'replica', 'kafka', 'redis-cluster'], env: cacheEnv });
    // A second instance of the same services on the same databases.
    other = createRuntime('ryw-b', [MODULES.order, MODULES.product, MODULES.inventory, MODULES.payment], loadConfig(t.env));
    otherInject = httpInject(await other.buildApp().listen({ port: 0, host: '127.0.0.1' }));
    await seed(t, [{ id: 'ryw-1', priceCents: 100, stock: 10 }]);
    await waitForReplicaCatchUp();
  }, 120000);

  afterAll(async () => {
    await replica.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
    await other?.stop();
    await t?.close();
  });

  test('a customer who ordered through one instance sees the order in their list through another while the replica lags', async () => {
    await replica.query('SELECT pg_wal_replay_pause()');
    try {
      const r = await post(t, checkout('ryw-cust', [{ productId: 'ryw-1', quantity: 1 }]), 'ryw-key-00001');
      expect(r.status).toBe(201);
      const own = (await otherInject({ method: 'GET', url: '/customers/ryw-cust/orders', headers: { 'x-customer-id': 'ryw-cust' } })).json();
      expect(own.orders.map((o: { id: string }) => o.id)).toEqual([r.body.id]);
      const others = (await otherInject({ method: 'GET', url: '/customers/ryw-cust/orders' })).json();
      expect(others.orders).toEqual([]);
    } finally {
      await replica.query('SELECT pg_wal_replay_resume()');
    }
  });
});
