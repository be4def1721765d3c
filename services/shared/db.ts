/** PostgreSQL access: a primary pool, optional replica pools, and transactions. */
import { Client, Pool, types, type ClientConfig, type PoolClient, type PoolConfig, type QueryResultRow } from 'pg';
import { credentialSource, splitCredentials, type CredentialSource } from './credentials';

// int8 values here (ids, counts) stay far below 2^53.
types.setTypeParser(20, (v) => Number(v));

export interface PoolOptions {
  max: number;
  statementTimeoutMs: number;
  applicationName: string;
  /** Where each new connection reads its login; default: the URL's `credentials` parameter, else the URL's user and password. */
  credentials?: CredentialSource;
}

/**
 * A pool of connections to `url`. When the URL names a credential source (`credentials=`), every
 * new connection reads its login from it, and a connection refused for its password (28P01) reads
 * the source again at once and retries: a rotated password reaches new connections without a restart.
 */
export function createPool(url: string, o: PoolOptions): Pool {
  const { connectionString, source } = splitCredentials(url);
  const credentials = o.credentials ?? (source !== undefined ? credentialSource(source) : undefined);
  const config: PoolConfig = {
    connectionString,
    max: o.max,
    idleTimeoutMillis: 30000,
    connectionTimeoutMillis: 5000,
    application_name: o.applicationName,
    options: `-c statement_timeout=${o.statementTimeoutMs}`,
  };
  const pool = credentials ? new CredentialedPool({ ...config, Client: credentialedClient(credentials) }, credentials) : new Pool(config);
  // A connection lost to a server restart must not crash the process: idle clients report on
  // the pool, checked-out ones on themselves; the query in flight fails and is retried by its caller.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  retryTerminatedConnections(pool);
  return pool;
}

/**
 * SQLSTATEs of a connection the server ended (admin_shutdown, crash_shutdown): sent when a backend
 * is terminated, idle or not. The statement it answers did not commit: the backend ends the
 * session and rolls back what was in progress.
 */
const TERMINATED = new Set(['57P01', '57P02']);

const isTerminated = (e: unknown): boolean => TERMINATED.has(pgCode(e) ?? '');

/**
 * Makes `pool.query` run a statement again, on another connection, when the connection it was
 * given had been ended by the server while idle in the pool (a terminated backend, a restarted
 * server, a proxy recycling connections): the pool learns of it only when it next uses that
 * connection. The statement did not commit, so running it again is safe for writes too. Each attempt
 * drops one ended connection, so the bound is the pool's size: every idle connection may have been
 * ended at once.
 */
function retryTerminatedConnections(pool: Pool): void {
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  const attempts = (pool.options.max ?? 10) + 1;
  pool.query = ((...args: unknown[]) => {
    // Callback-style calls (none in the services) keep pg's own behaviour.
    if (typeof args[args.length - 1] === 'function') return query(...args);
    return retryWhileTerminated(() => query(...args) as Promise<unknown>, attempts);
  }) as Pool['query'];
}

async function retryWhileTerminated<T>(run: () => Promise<T>, attempts: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      if (!isTerminated(e) || attempt >= attempts) throw e;
    }
  }
}

/** SQLSTATE of a login refused for its password (invalid_password). */
const INVALID_PASSWORD = '28P01';

/** Retries of a connection refused for its password, each after reading the credential source again. */
const LOGIN_RETRIES = 2;

/** A pg client class whose connections log in with the source's current credentials. */
function credentialedClient(source: CredentialSource): typeof Client {
  return class CredentialedClient extends Client {
    constructor(config?: string | ClientConfig) {
      super(config);
    }

    override connect(): Promise<Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, c: Client) => void)): void;
    override connect(callback?: ((err: Error) => void) | ((err: null, c: Client) => void)): Promise<Client> | void {
      const connected = source.get().then((login) => {
        // The user is sent in the startup message, the password when the server asks for it.
        const self = this as unknown as { user: string; password: string; connectionParameters: { user: string; password: string } };
        self.user = self.connectionParameters.user = login.user;
        self.password = self.connectionParameters.password = login.password;
        return super.connect();
      });
      if (!callback) return connected;
      const done = callback as (err: Error | null, c?: Client) => void;
      connected.then(
        (c) => done(null, c),
        (error: Error) => done(error),
      );
    }
  };
}

type ConnectCallback = (err: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void;

/** A pool that reads the credential source again, and retries, when a new connection's password is refused. */
class CredentialedPool extends Pool {
  constructor(
    config: PoolConfig,
    private readonly source: CredentialSource,
  ) {
    super(config);
  }

  override connect(): Promise<PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    const connected = this.connectWithLogin();
    if (!callback) return connected;
    connected.then(
      (client) => callback(undefined, client, (release) => client.release(release as boolean | Error | undefined)),
      (error: Error) => callback(error, undefined, () => undefined),
    );
  }

  private async connectWithLogin(): Promise<PoolClient> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await super.connect();
      } catch (error) {
        if (pgCode(error) !== INVALID_PASSWORD || attempt >= LOGIN_RETRIES) throw error;
        // The password changed since it was read: read it again now, not when the cache expires.
        this.source.invalidate();
        if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }
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

/**
 * A pooled client on which BEGIN succeeded. A connection the server ended while it sat idle in the
 * pool fails its first statement: it is dropped and another one taken, as `pool.query` does.
 */
async function begin(pool: Pool): Promise<PoolClient> {
  const attempts = (pool.options.max ?? 10) + 1;
  for (let attempt = 1; ; attempt++) {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      return c;
    } catch (e) {
      c.release(true);
      if (!isTerminated(e) || attempt >= attempts) throw e;
    }
  }
}

/**
 * Runs `fn` in a transaction on a pooled client; rolls back on error. Only BEGIN is tried again on
 * an ended connection: `fn` runs once.
 */
export async function transaction<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await begin(pool);
  let broken = false;
  try {
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
