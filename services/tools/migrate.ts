/**
 * CLI: applies the schema to every database this configuration names (the Kubernetes schema
 * Job runs it): ORDERS_DB_URL, INVENTORY_DB_URL, USERS_DB_URL, and with SHARDING each of
 * ORDER_SHARD_URLS (seeding the bucket map on first run only).
 *
 *   tsx services/tools/migrate.ts            # all databases from the environment
 *   tsx services/tools/migrate.ts orders     # one role
 *   tsx services/tools/migrate.ts order-activity
 *
 * INITIAL_SHARDS (default: the number of ORDER_SHARD_URLS) sets how many shards the bucket map
 * spreads over when it is first created.
 *
 * It connects as each URL's own user (the admin). A URL whose `credentials` parameter names the
 * services' login (services/shared/credentials.ts) also gets that user, with DML only.
 *
 * With ORDER_ACTIVITY it also sets up the order-activity collection in ANALYTICS_MONGO_URL
 * (target `order-activity`): created, indexed and, with ANALYTICS_MONGO_SHARDED, sharded.
 */
import { loadConfig } from '../shared/config';
import { credentialSource, splitCredentials, type DbCredentials } from '../shared/credentials';
import { refuseInSecondary } from '../shared/region';
import type { DbRole } from '../migrations';
import { bucketsOf, migrate, migrateActivity, type BucketSeed } from './migrate-lib';

/** The schema tool's targets: the PostgreSQL roles and the order-activity collection. */
type MigrateTarget = DbRole | 'order-activity';

async function run(): Promise<void> {
  const cfg = loadConfig();
  refuseInSecondary(cfg, 'the schema is migrated in the primary region and reaches this one by replication (its databases are read-only replicas)');
  const only = process.argv[2] as MigrateTarget | undefined;
  const jobs: { role: DbRole; url: string; label: string; shard?: number }[] = [
    { role: 'orders', url: cfg.ORDERS_DB_URL, label: 'orders' },
    { role: 'inventory', url: cfg.INVENTORY_DB_URL, label: 'inventory' },
    { role: 'users', url: cfg.USERS_DB_URL, label: 'users' },
  ];
  if (cfg.SHARDING) cfg.ORDER_SHARD_URLS.forEach((url, i) => jobs.push({ role: 'order-shard', url, label: `order-shard-${i}`, shard: i }));
  for (const j of jobs) {
    if (only && j.role !== only) continue;
    // The directory is migrated first; a shard then owns what the directory assigns it (a shard
    // added for re-sharding owns nothing until buckets are moved to it).
    let seed: BucketSeed | undefined;
    if (cfg.SHARDING && j.role === 'orders') seed = { kind: 'directory', buckets: cfg.ORDER_BUCKETS, shards: Number(process.env.INITIAL_SHARDS ?? cfg.ORDER_SHARD_URLS.length) };
    if (cfg.SHARDING && j.role === 'order-shard') seed = { kind: 'shard', buckets: cfg.ORDER_BUCKETS, owned: await bucketsOf(cfg.ORDERS_DB_URL, j.shard!) };
    const source = splitCredentials(j.url).source;
    const appUser: DbCredentials | undefined = source !== undefined ? await credentialSource(source).get() : undefined;
    const applied = await migrate(j.url, j.role, { ...(seed ? { seed } : {}), ...(appUser ? { appUser } : {}) });
    process.stdout.write(`${j.label}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}${appUser ? `; services log in as ${appUser.user}` : ''}\n`);
  }
  if (cfg.ORDER_ACTIVITY && (!only || only === 'order-activity')) {
    const done = await migrateActivity(cfg.ANALYTICS_MONGO_URL!, cfg.ANALYTICS_MONGO_DB, cfg.ANALYTICS_MONGO_SHARDED);
    process.stdout.write(`order-activity: ${done.length ? done.join('; ') : 'up to date'}\n`);
  }
}

run().catch((e) => {
  process.stderr.write(`migrate: ${(e as Error).message}\n`);
  process.exit(1);
});
