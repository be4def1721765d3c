/** Sharding by customer, and online re-sharding from 3 to 6 shards while orders are written and the saga runs. */
jest.setTimeout(300000);
import { Pool } from 'pg';
import { bucketOf } from '../../services/shared/ids';
import { reshard } from '../../services/tools/reshard-lib';
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
