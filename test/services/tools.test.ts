/** The operational tools: topic provisioner (create, grow, never shrink) and the migrate CLI. */
jest.setTimeout(120000);
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { provisionTopics } from '../../services/tools/topics';
import { KAFKA_BROKERS, createTestDatabase, uniqueTopic, waitForServers, type TestDatabase } from '../support/servers';
import { kafkaAdmin } from './harness';
import { holdShared, type Held } from './server-lock';

let lock: Held;
beforeAll(async () => {
  lock = await holdShared();
  await waitForServers({ names: ['postgres', 'kafka'], timeoutMs: 30000 });
});
afterAll(() => lock?.release());

test('the provisioner creates topics, grows them to the partition count, and never shrinks them', async () => {
  const admin = await kafkaAdmin();
  const prefix = `${uniqueTopic('prov')}.`;
  const topics = ['orders', 'payments'];
  const partitions = async () => Object.fromEntries((await admin.fetchTopicMetadata({ topics: topics.map((t) => prefix + t) })).topics.map((t) => [t.name.slice(prefix.length), t.partitions.length]));
  try {
    const created = await provisionTopics(admin, { prefix, partitions: 2, replicationFactor: 1, topics });
    expect(created.map((p) => p.action)).toEqual(['create', 'create']);
    expect(await partitions()).toEqual({ orders: 2, payments: 2 });

    const grown = await provisionTopics(admin, { prefix, partitions: 4, replicationFactor: 1, topics });
    expect(grown).toEqual([
      { topic: `${prefix}orders`, action: 'grow', from: 2, to: 4 },
      { topic: `${prefix}payments`, action: 'grow', from: 2, to: 4 },
    ]);
    expect(await partitions()).toEqual({ orders: 4, payments: 4 });

    const kept = await provisionTopics(admin, { prefix, partitions: 3, replicationFactor: 1, topics });
    expect(kept.map((p) => p.action)).toEqual(['larger-than-requested', 'larger-than-requested']);
    expect(await partitions()).toEqual({ orders: 4, payments: 4 });
    expect((await provisionTopics(admin, { prefix, partitions: 4, replicationFactor: 1, topics })).map((p) => p.action)).toEqual(['keep', 'keep']);
  } finally {
    await admin.deleteTopics({ topics: topics.map((t) => prefix + t) }).catch(() => undefined);
    await admin.disconnect();
  }
});

describe('the migrate CLI', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const d of dbs) await d.drop().catch(() => undefined);
  });

  test('migrates every database and shard once, seeds the bucket map once, and new shards own nothing', async () => {
    for (const n of ['mig_orders', 'mig_inv', 'mig_users', 'mig_s0', 'mig_s1', 'mig_s2']) dbs.push(await createTestDatabase(n));
    const [orders, inv, users, s0, s1, s2] = dbs as [TestDatabase, TestDatabase, TestDatabase, TestDatabase, TestDatabase, TestDatabase];
    const root = path.resolve(__dirname, '..', '..');
    const run = (shards: TestDatabase[], extra: Record<string, string> = {}) =>
      promisify(execFile)(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'services/tools/migrate.ts'], {
        cwd: root,
        env: { ...process.env, ORDERS_DB_URL: orders.url, INVENTORY_DB_URL: inv.url, USERS_DB_URL: users.url, SHARDING: 'true', ORDER_SHARD_URLS: shards.map((s) => s.url).join(','), ORDER_BUCKETS: '8', KAFKA_BROKERS: KAFKA_BROKERS.join(','), ...extra },
      });
    const first = await run([s0, s1]);
    expect(first.stdout).toContain('orders: applied 001_outbox_and_processed_events, 002_order_data, 003_payments_shipments_directory');
    expect(first.stdout).toContain('order-shard-1: applied');
    const again = await run([s0, s1, s2]);
    expect(again.stdout.trim().split('\n').slice(0, 5)).toEqual(['orders: up to date', 'inventory: up to date', 'users: up to date', 'order-shard-0: up to date', 'order-shard-1: up to date']);
    expect(again.stdout).toContain('order-shard-2: applied');
    const owned = async (d: TestDatabase) => {
      const c = new Client({ connectionString: d.url });
      await c.connect();
      const r = (await c.query<{ bucket: number }>('SELECT bucket FROM bucket_ownership WHERE owned ORDER BY bucket')).rows.map((x) => x.bucket);
      await c.end();
      return r;
    };
    expect(await owned(s0)).toEqual([0, 2, 4, 6]);
    expect(await owned(s1)).toEqual([1, 3, 5, 7]);
    expect(await owned(s2)).toEqual([]);
  });
});
