/** Sharding by customer, and online re-sharding from 3 to 6 shards while orders are written and the saga runs. */
jest.setTimeout(300000);
import { Pool } from 'pg';
import { bucketOf } from '../../services/shared/ids';
import { migrate } from '../../services/tools/migrate-lib';
import { moveBucket, reshard, waitForShardSchema, withReshardLock } from '../../services/tools/reshard-lib';
import { createTestDatabase } from '../support/servers';
import { checkout, eventually, seed, startSystem, type TestSystem } from './harness';

const BUCKETS = 12;
let s: TestSystem;
let shards: Pool[];

beforeAll(async () => {
  s = await startSystem('reshard', { shards: 6, initialShards: 3, env: { ORDER_BUCKETS: String(BUCKETS) } });
  shards = s.shards.map((d) => new Pool({ connectionString: d.url, max: 3 }));
  await seed(s, [{ id: 'r-1', priceCents: 700, stock: 1_000_000 }]);
}, 120000);

afterAll(async () => {
  await Promise.all((shards ?? []).map((p) => p.end()));
  await s?.close();
});

async function where(id: string): Promise<number[]> {
  const found: number[] = [];
  for (const [i, p] of shards.entries()) if ((await p.query('SELECT 1 FROM orders WHERE id = $1', [id])).rowCount) found.push(i);
  return found;
}

test('an order is stored on the shard its customer\'s bucket maps to', async () => {
  const r = await s.inject({ method: 'POST', url: '/orders', payload: checkout('shard-cust-1', [{ productId: 'r-1', quantity: 1 }]), headers: { 'idempotency-key': 'shard-key-0001' } });
  expect(r.statusCode).toBe(201);
  const bucket = bucketOf('shard-cust-1', BUCKETS);
  expect(parseInt(r.json().id.slice(0, 4), 16)).toBe(bucket);
  expect(await where(r.json().id)).toEqual([bucket % 3]);
  const got = await s.inject({ method: 'GET', url: `/orders/${r.json().id}` });
  expect(got.json().id).toBe(r.json().id);
});

test('re-sharding 3 -> 6 under writes loses and duplicates no order, and the saga completes', async () => {
  const accepted = new Map<string, string>();
  let stop = false;
  let retried = 0;
  const client = async (c: number) => {
    for (let n = 0; !stop; n++) {
      const customer = `rc-${c}-${n % 40}`;
      const key = `reshard-key-${c}-${n}`;
      for (;;) {
        const r = await s.inject({ method: 'POST', url: '/orders', payload: checkout(customer, [{ productId: 'r-1', quantity: 1 }]), headers: { 'idempotency-key': key } }).catch(() => undefined);
        if (r?.statusCode === 201) {
          accepted.set(`${customer}/${key}`, r.json().id);
          break;
        }
        if (r && r.statusCode < 500) throw new Error(`unexpected ${r.statusCode} ${r.body}`);
        retried++;
        await new Promise((x) => setTimeout(x, 50));
      }
    }
  };
  const load = Promise.all([0, 1, 2, 3].map(client));
  await eventually(() => Promise.resolve(accepted.size > 100), 60000, 'orders before re-sharding');
  const log: string[] = [];
  const moved = await reshard({ directory: s.orders, shards, to: 6, log: (m) => log.push(m) });
  const during = accepted.size;
  await eventually(() => Promise.resolve(accepted.size > during + 50), 60000, 'orders after re-sharding');
  stop = true;
  await load;

  expect(moved.map((m) => m.bucket).sort((a, b) => a - b)).toEqual([3, 4, 5, 9, 10, 11]);
  expect(moved.every((m) => m.to === m.bucket % 6 && m.from === m.bucket % 3)).toBe(true);

  // The directory and the shards agree: each bucket owned by exactly the shard the map names.
  const map = (await s.orders.query<{ bucket: number; shard: number }>('SELECT bucket, shard FROM shard_map ORDER BY bucket')).rows;
  expect(map.map((m) => m.shard)).toEqual(Array.from({ length: BUCKETS }, (_, b) => b % 6));
  for (const [i, p] of shards.entries()) {
    const owned = (await p.query<{ bucket: number }>('SELECT bucket FROM bucket_ownership WHERE owned ORDER BY bucket')).rows.map((r) => r.bucket);
    expect(owned).toEqual(map.filter((m) => m.shard === i).map((m) => m.bucket));
  }

  // Every accepted order exists exactly once, on the shard its bucket maps to; nothing else exists.
  const all = (await Promise.all(shards.map(async (p, i) => (await p.query<{ id: string; customer_id: string; idempotency_key: string; bucket: number }>('SELECT id, customer_id, idempotency_key, bucket FROM orders')).rows.map((r) => ({ ...r, shard: i }))))).flat();
  const ids = new Set(all.map((r) => r.id));
  expect(ids.size).toBe(all.length);
  expect(all.filter((r) => !r.customer_id.startsWith('shard-cust')).length).toBe(accepted.size);
  for (const r of all) expect(r.shard).toBe(r.bucket % 6);
  for (const [k, id] of accepted) {
    const row = all.find((r) => r.id === id);
    expect(row && `${row.customer_id}/${row.idempotency_key}`).toBe(k);
  }

  // The saga finished for every order, wherever it moved.
  await eventually(
    async () => {
      const open = await Promise.all(shards.map((p) => p.query("SELECT count(*)::int AS n FROM orders WHERE status <> 'CONFIRMED'")));
      return open.every((r) => r.rows[0].n === 0);
    },
    120000,
    'every order CONFIRMED',
  );
  const charges = await s.orders.query("SELECT count(*)::int AS n FROM sandbox_ledger WHERE kind = 'charge'");
  expect(charges.rows[0].n).toBe(all.length);
  process.stdout.write(`re-sharding: ${accepted.size} orders during the run, ${retried} retried requests; ${log.filter((l) => l.includes('->')).join('; ')}\n`);
});

describe('repeating and recovering', () => {
  const ownedBy = async (bucket: number) => {
    const owners: number[] = [];
    for (const [i, p] of shards.entries()) if ((await p.query('SELECT 1 FROM bucket_ownership WHERE bucket = $1 AND owned', [bucket])).rowCount) owners.push(i);
    return owners;
  };
  const rowsOf = async (bucket: number) => Promise.all(shards.map(async (p) => (await p.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE bucket = $1', [bucket])).rows[0].n));
  const directoryOf = async (bucket: number) => (await s.orders.query<{ shard: number }>('SELECT shard FROM shard_map WHERE bucket = $1', [bucket])).rows[0].shard;

  test('a second run to the same shard count moves nothing', async () => {
    expect(await reshard({ directory: s.orders, shards, to: 6 })).toEqual([]);
  });

  test('a move that stopped after the target took the bucket and before the directory changed is finished by a rerun', async () => {
    const bucket = 0;
    const before = await rowsOf(bucket);
    expect(before[0]).toBeGreaterThan(0);
    // The process "dies" at the directory update: that statement never returns.
    const dying = new Proxy(s.orders, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
        return (text: string, values?: unknown[]) => (/^UPDATE shard_map/.test(text) ? new Promise(() => undefined) : target.query(text, values));
      },
    });
    void moveBucket({ directory: dying, shards, bucket, to: 5 });
    await eventually(async () => (await ownedBy(bucket)).join() === '5', 30000, 'the target to own the bucket');
    expect(await directoryOf(bucket)).toBe(0);

    // Refused while the source still owns it too: not a state a move leaves.
    await shards[0].query('UPDATE bucket_ownership SET owned = true WHERE bucket = $1', [bucket]);
    await expect(moveBucket({ directory: s.orders, shards, bucket, to: 5 })).rejects.toThrow(
      'shard 5 already owns bucket 0 but the directory says shard 0, and shard 0 owns it too: fix the directory first',
    );
    await shards[0].query('UPDATE bucket_ownership SET owned = false WHERE bucket = $1', [bucket]);

    const log: string[] = [];
    const done = await moveBucket({ directory: s.orders, shards, bucket, to: 5, log: (m) => log.push(m) });
    expect(done).toMatchObject({ bucket, from: 0, to: 5, orders: before[0] });
    expect(log.join('\n')).toContain('finished an interrupted move');
    expect(await directoryOf(bucket)).toBe(5);
    expect(await ownedBy(bucket)).toEqual([5]);
    expect(await rowsOf(bucket)).toEqual([0, 0, 0, 0, 0, before[0]]);

    // Re-sharding to 6 again puts it back, once.
    expect((await reshard({ directory: s.orders, shards, to: 6 })).map((m) => [m.bucket, m.from, m.to])).toEqual([[0, 5, 0]]);
    expect(await reshard({ directory: s.orders, shards, to: 6 })).toEqual([]);
    expect(await rowsOf(bucket)).toEqual([before[0], 0, 0, 0, 0, 0]);
  });

  test('a run started before a new shard is migrated waits for its schema, and says what is missing when it gives up', async () => {
    const fresh = await createTestDatabase('reshard_new');
    const pool = new Pool({ connectionString: fresh.url, max: 2 });
    try {
      await expect(waitForShardSchema({ directory: s.orders, shards: [...shards, pool], timeoutMs: 200, pollMs: 50 })).rejects.toThrow(
        'not re-sharding: shard 6 has no order schema yet: the migrate-order-shard Job makes them (waited 0 s)',
      );
      const log: string[] = [];
      const waiting = waitForShardSchema({ directory: s.orders, shards: [...shards, pool], timeoutMs: 60000, pollMs: 50, log: (m) => log.push(m) });
      await eventually(() => Promise.resolve(log.length > 0), 10000, 'the run to report what it waits for');
      await migrate(fresh.url, 'order-shard', { seed: { kind: 'shard', buckets: BUCKETS, owned: [] } });
      await waiting;
      expect(log).toEqual(['waiting: shard 6 has no order schema yet: the migrate-order-shard Job makes them']);
    } finally {
      await pool.end();
      await fresh.drop();
    }
  });

  test('one run at a time: a second run waits for the first to release the directory', async () => {
    let release: () => void = () => undefined;
    const first = withReshardLock(s.orders, () => new Promise<string>((r) => (release = () => r('first'))));
    const log: string[] = [];
    let secondRan = false;
    const second = withReshardLock(s.orders, () => Promise.resolve((secondRan = true)), (m) => log.push(m));
    await eventually(() => Promise.resolve(log.length > 0), 10000, 'the second run to wait');
    expect(secondRan).toBe(false);
    release();
    expect(await first).toBe('first');
    expect(await second).toBe(true);
    expect(log).toEqual(['another re-shard run holds the directory; waiting for it to end']);
  });
});
