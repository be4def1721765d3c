/** Applies the migrations of a database role, once each, under an advisory lock. */
import { Client } from 'pg';
import { MIGRATIONS, type DbRole } from '../migrations';
import { APP_PRIVILEGES_SQL, ensureAppUser } from '../migrations/app-users';
import { setUpActivityCollection } from '../migrations/order-activity';
import { splitCredentials, type DbCredentials } from '../shared/credentials';
import { MongoConnection, splitMongoUrl } from '../shared/mongo';

/** Initial bucket placement: the directory's map, or which buckets a shard owns. */
export type BucketSeed = { kind: 'directory'; buckets: number; shards: number } | { kind: 'shard'; buckets: number; owned: number[] };

export interface MigrateOptions {
  seed?: BucketSeed;
  /**
   * The services' login (the current value of the URL's credential source): created when missing,
   * with this password, as a member of the services' role; an existing user's password is left to
   * the rotation.
   */
  appUser?: DbCredentials;
}

/**
 * Applies the schema as the URL's user (the admin: DDL), then gives the services' role DML on
 * every table and, when `appUser` is given, makes sure that login exists. `url` may carry a
 * `credentials` parameter: the schema tool ignores it and connects as the URL's own user.
 */
export async function migrate(url: string, role: DbRole, opts: MigrateOptions = {}): Promise<string[]> {
  const c = new Client({ connectionString: splitCredentials(url).connectionString });
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
    // Seeds only what does not exist yet: moving buckets later is the re-shard tool's job.
    const seed = opts.seed;
    if (seed?.kind === 'directory') {
      await c.query('INSERT INTO shard_map (bucket, shard) SELECT b, b % $2 FROM generate_series(0, $1 - 1) b ON CONFLICT DO NOTHING', [seed.buckets, seed.shards]);
    } else if (seed?.kind === 'shard') {
      await c.query('INSERT INTO bucket_ownership (bucket, owned) SELECT b, b = ANY($2::int[]) FROM generate_series(0, $1 - 1) b ON CONFLICT DO NOTHING', [seed.buckets, seed.owned]);
    }
    // Every run, after the migrations: tables added since the last run get their grants too.
    await c.query(APP_PRIVILEGES_SQL);
    if (opts.appUser) await ensureAppUser(c, opts.appUser);
  } finally {
    await c.query('SELECT pg_advisory_unlock(7406001)').catch(() => undefined);
    await c.end();
  }
  return applied;
}

/** The buckets the directory assigns to `shard`. */
export async function bucketsOf(directoryUrl: string, shard: number): Promise<number[]> {
  const c = new Client({ connectionString: splitCredentials(directoryUrl).connectionString });
  await c.connect();
  try {
    return (await c.query<{ bucket: number }>('SELECT bucket FROM shard_map WHERE shard = $1 ORDER BY bucket', [shard])).rows.map((r) => r.bucket);
  } finally {
    await c.end();
  }
}

/**
 * Sets up the order-activity collection in the MongoDB / DocumentDB database at `url` (its
 * `credentials` source read as the services read it); `sharded` shards it by hashed customer id.
 */
export async function migrateActivity(url: string, dbName: string, sharded: boolean, connection?: MongoConnection): Promise<string[]> {
  const mongo = connection ?? new MongoConnection(url, dbName, { maxPoolSize: 2, serverSelectionTimeoutMS: 30000 });
  const where = splitMongoUrl(url).url.replace(/^mongodb(\+srv)?:\/\//, '').replace(/[/?].*$/, '');
  try {
    return await mongo.run((db, client) => setUpActivityCollection(db, client.db('admin'), { sharded, where }));
  } finally {
    if (!connection) await mongo.close();
  }
}
