/** PostgreSQL access: a primary pool, optional replica pools, and transactions. */
import { Pool, types, type PoolClient, type QueryResultRow } from 'pg';

// int8 values here (ids, counts) stay far below 2^53.
types.setTypeParser(20, (v) => Number(v));

export interface PoolOptions {
  max: number;
  statementTimeoutMs: number;
  applicationName: string;
}

export function createPool(url: string, o: PoolOptions): Pool {
  const pool = new Pool({
    connectionString: url,
    max: o.max,
    idleTimeoutMillis: 30000,
    connectionTimeoutMillis: 5000,
    application_name: o.applicationName,
    options: `-c statement_timeout=${o.statementTimeoutMs}`,
  });
  // A connection lost to a server restart must not crash the process: idle clients report on
  // the pool, checked-out ones on themselves; the query in flight fails and is retried by its caller.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** One logical database: writes and fresh reads on the primary, stale-tolerant reads on replicas. */
export class Db {
  private next = 0;
  constructor(
    readonly name: string,
    readonly primary: Pool,
    readonly replicas: Pool[] = [],
  ) {}

  query<R extends QueryResultRow = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return this.primary.query<R>(sql, params).then((r) => r.rows);
  }

  /** A query that tolerates replication lag: round-robin over replicas, the primary when there are none. */
  queryStale<R extends QueryResultRow = Record<string, unknown>>(sql: string, params: unknown[] = [], name?: string): Promise<R[]> {
    const pool = this.readPool();
    return pool.query<R>(name ? { name, text: sql, values: params } : { text: sql, values: params }).then((r) => r.rows);
  }

  readPool(): Pool {
    if (this.replicas.length === 0) return this.primary;
    this.next = (this.next + 1) % this.replicas.length;
    return this.replicas[this.next];
  }

  tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return transaction(this.primary, fn);
  }

  async ping(): Promise<void> {
    await this.primary.query('SELECT 1');
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.end(), ...this.replicas.map((r) => r.end())]);
  }
}

/** Runs `fn` in a transaction on a pooled client; rolls back on error. */
export async function transaction<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  let broken = false;
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (e) {
    try {
      await c.query('ROLLBACK');
    } catch {
      broken = true;
    }
    throw e;
  } finally {
    c.release(broken);
  }
}

/** PostgreSQL error codes the services react to. */
export const PG = {
  uniqueViolation: '23505',
  serializationFailure: '40001',
  deadlock: '40P01',
} as const;

export const pgCode = (e: unknown): string | undefined => (e as { code?: string })?.code;
