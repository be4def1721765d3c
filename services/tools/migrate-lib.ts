/** Applies the migrations of a database role, once each, under an advisory lock. */
import { Client } from 'pg';
import { MIGRATIONS, type DbRole } from '../migrations';

export async function migrate(url: string, role: DbRole, opts: { shardBuckets?: { buckets: number; shards: number; shard?: number } } = {}): Promise<string[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  const applied: string[] = [];
  try {
    await c.query('SELECT pg_advisory_lock(7406001)');
    await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (role text NOT NULL, id text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (role, id))');
    for (const m of MIGRATIONS[role]) {
      const done = await c.query('SELECT 1 FROM schema_migrations WHERE role = $1 AND id = $2', [role, m.id]);
      if (done.rowCount) continue;
      await c.query('BEGIN');
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations (role, id) VALUES ($1, $2)', [role, m.id]);
      await c.query('COMMIT');
      applied.push(m.id);
    }
    const sb = opts.shardBuckets;
    if (sb) await initBuckets(c, role, sb.buckets, sb.shards, sb.shard);
  } finally {
    await c.query('SELECT pg_advisory_unlock(7406001)').catch(() => undefined);
    await c.end();
  }
  return applied;
}

/**
 * Seeds bucket ownership (bucket b on shard b mod shards) where none exists yet: on the
 * directory (`orders` role) the shard map, on a shard its ownership rows. Never changes an
 * existing assignment: moving buckets is the re-shard tool's job.
 */
async function initBuckets(c: Client, role: DbRole, buckets: number, shards: number, shard?: number): Promise<void> {
  if (role === 'orders') {
    await c.query('INSERT INTO shard_map (bucket, shard) SELECT b, b % $2 FROM generate_series(0, $1 - 1) b ON CONFLICT DO NOTHING', [buckets, shards]);
  }
  if (role === 'order-shard' || (role === 'orders' && shard !== undefined)) {
    await c.query('INSERT INTO bucket_ownership (bucket, owned) SELECT b, b % $2 = $3 FROM generate_series(0, $1 - 1) b ON CONFLICT DO NOTHING', [buckets, shards, shard ?? 0]);
  }
}
