/**
 * CLI: applies the schema to every database this configuration names (the Kubernetes schema
 * Job runs it): ORDERS_DB_URL, INVENTORY_DB_URL, USERS_DB_URL, and with SHARDING each of
 * ORDER_SHARD_URLS (seeding the bucket map on first run only).
 *
 *   tsx services/tools/migrate.ts            # all databases from the environment
 *   tsx services/tools/migrate.ts orders     # one role
 */
import { loadConfig } from '../shared/config';
import type { DbRole } from '../migrations';
import { migrate } from './migrate-lib';

async function run(): Promise<void> {
  const cfg = loadConfig();
  const only = process.argv[2] as DbRole | undefined;
  const jobs: { role: DbRole; url: string; label: string; shard?: number }[] = [
    { role: 'orders', url: cfg.ORDERS_DB_URL, label: 'orders' },
    { role: 'inventory', url: cfg.INVENTORY_DB_URL, label: 'inventory' },
    { role: 'users', url: cfg.USERS_DB_URL, label: 'users' },
  ];
  if (cfg.SHARDING) cfg.ORDER_SHARD_URLS.forEach((url, i) => jobs.push({ role: 'order-shard', url, label: `order-shard-${i}`, shard: i }));
  for (const j of jobs) {
    if (only && j.role !== only) continue;
    const shardBuckets = cfg.SHARDING && (j.role === 'orders' || j.role === 'order-shard') ? { buckets: cfg.ORDER_BUCKETS, shards: cfg.ORDER_SHARD_URLS.length, ...(j.shard !== undefined ? { shard: j.shard } : {}) } : undefined;
    const applied = await migrate(j.url, j.role, shardBuckets ? { shardBuckets } : {});
    process.stdout.write(`${j.label}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}\n`);
  }
}

run().catch((e) => {
  process.stderr.write(`migrate: ${(e as Error).message}\n`);
  process.exit(1);
});
