/** Read/write splitting: stale-tolerant reads from the streaming replica, read-your-writes from the primary. */
jest.setTimeout(120000);
import { Client } from 'pg';
import { PG_REPLICA, pgUrl, waitForReplicaCatchUp } from '../support/servers';
import { checkout, post, seed, startSystem, type TestSystem } from './harness';

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
