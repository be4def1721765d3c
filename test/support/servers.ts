/**
 * Addresses of the local real servers used by the service tests, and helpers to use them safely
 * from test files that run in parallel.
 *
 * The servers are plain processes started by `bash scripts/servers/up.sh` (see
 * scripts/servers/README.md). Values come from the environment variables that
 * `scripts/servers/env.sh` exports, or else from the same fixed defaults.
 */
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client } from 'pg';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SERVERS_DIR = process.env.SERVERS_DIR ?? path.join(REPO_ROOT, '.servers');
export const UP_COMMAND = 'bash scripts/servers/up.sh';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface PgServer extends HostPort {
  readonly user: string;
  readonly password: string;
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${name}=${raw} is not a port number`);
  return n;
}

function parseHostPort(s: string): HostPort {
  const i = s.lastIndexOf(':');
  if (i <= 0) throw new Error(`'${s}' is not host:port`);
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

function parseList(value: string | undefined, fallback: string): HostPort[] {
  return (value && value.trim() !== '' ? value : fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(parseHostPort);
}

const PG_HOST = process.env.PG_HOST ?? '127.0.0.1';

export const PG_PRIMARY: PgServer = {
  host: PG_HOST,
  port: envInt('PG_PRIMARY_PORT', 55432),
  user: process.env.PG_USER ?? 'postgres',
  password: process.env.PG_PASSWORD ?? 'postgres',
};

/** Hot standby streaming from PG_PRIMARY (read-only). */
export const PG_REPLICA: PgServer = { ...PG_PRIMARY, port: envInt('PG_REPLICA_PORT', 55433) };

/** Kafka bootstrap servers (PLAINTEXT), as `host:port` strings for kafkajs. */
export const KAFKA_BROKERS: readonly string[] = (process.env.KAFKA_BOOTSTRAP ?? '127.0.0.1:59092')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');
export const KAFKA_CONTROLLER: HostPort = parseHostPort(process.env.KAFKA_CONTROLLER ?? '127.0.0.1:59093');

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:56379';
export const REDIS_STANDALONE: HostPort = (() => {
  const u = new URL(REDIS_URL);
  return { host: u.hostname, port: Number(u.port || 6379) };
})();
/** Redis cluster masters (give these to ioredis' `Cluster`). */
export const REDIS_CLUSTER_NODES: readonly HostPort[] = parseList(
  process.env.REDIS_CLUSTER_NODES,
  '127.0.0.1:57001,127.0.0.1:57002,127.0.0.1:57003',
);
/** One replica per master. */
export const REDIS_CLUSTER_REPLICA_NODES: readonly HostPort[] = parseList(
  process.env.REDIS_CLUSTER_REPLICA_NODES,
  '127.0.0.1:57004,127.0.0.1:57005,127.0.0.1:57006',
);

/** MongoDB wire protocol (FerretDB). Add the database name to the path. */
export const MONGODB_URL = process.env.MONGODB_URL ?? 'mongodb://127.0.0.1:57017/';
export const MONGODB: HostPort = (() => {
  const u = new URL(MONGODB_URL);
  return { host: u.hostname, port: Number(u.port || 27017) };
})();

/** Connection URL of a database on a Postgres server. */
export function pgUrl(database = 'postgres', server: PgServer = PG_PRIMARY): string {
  const user = encodeURIComponent(server.user);
  const password = encodeURIComponent(server.password);
  return `postgres://${user}:${password}@${server.host}:${server.port}/${encodeURIComponent(database)}`;
}

/** Names accepted by `scripts/servers/ctl.sh` and by waitForServers. */
export type ServerName = 'postgres' | 'replica' | 'kafka' | 'redis-standalone' | 'redis-cluster' | 'ferretdb';
export const ALL_SERVERS: readonly ServerName[] = [
  'postgres',
  'replica',
  'kafka',
  'redis-standalone',
  'redis-cluster',
  'ferretdb',
];

export const SERVER_ADDRESSES: Readonly<Record<ServerName, readonly HostPort[]>> = {
  postgres: [PG_PRIMARY],
  replica: [PG_REPLICA],
  kafka: KAFKA_BROKERS.map(parseHostPort),
  'redis-standalone': [REDIS_STANDALONE],
  'redis-cluster': [...REDIS_CLUSTER_NODES, ...REDIS_CLUSTER_REPLICA_NODES],
  ferretdb: [MONGODB],
};

function tcpProbe({ host, port }: HostPort, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no answer within ${timeoutMs} ms`)));
    socket.once('connect', () => done());
    socket.once('error', (e) => done(e));
  });
}

/** Sends one inline Redis command and returns the raw reply text. */
function redisCommand({ host, port }: HostPort, command: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let reply = '';
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`no reply to ${command} within ${timeoutMs} ms`));
    });
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      // A bulk string reply: $<len>\r\n<data>\r\n ; a simple reply: +OK\r\n / -ERR ...\r\n
      const m = /^\$(\d+)\r\n/.exec(reply);
      const complete = m ? Buffer.byteLength(reply) >= m[0].length + Number(m[1]) + 2 : reply.endsWith('\r\n');
      if (complete) {
        socket.destroy();
        resolve(reply);
      }
    });
    socket.once('error', (e) => reject(e));
  });
}

async function probeServer(name: ServerName, timeoutMs: number): Promise<void> {
  for (const addr of SERVER_ADDRESSES[name]) {
    try {
      await tcpProbe(addr, timeoutMs);
    } catch (e) {
      throw new Error(`${addr.host}:${addr.port} unreachable (${(e as Error).message})`);
    }
  }
  if (name === 'redis-cluster') {
    const info = await redisCommand(REDIS_CLUSTER_NODES[0], 'CLUSTER INFO', timeoutMs);
    if (!/cluster_state:ok/.test(info)) throw new Error('cluster_state is not ok');
  }
}

export interface WaitOptions {
  /** Servers to check; all by default. */
  names?: readonly ServerName[];
  /** Keep retrying this long before failing (default 0: check once). */
  timeoutMs?: number;
}

/**
 * Checks that each server is reachable. Throws an error that names every server that is down and
 * the command that starts them.
 */
export async function waitForServers(options: WaitOptions = {}): Promise<void> {
  const names = options.names ?? ALL_SERVERS;
  const deadline = Date.now() + (options.timeoutMs ?? 0);
  for (;;) {
    const down = await downServers(names);
    if (down.length === 0) return;
    if (Date.now() >= deadline) {
      const lines = down.map((d) => `  - ${d.name}: ${d.reason}`).join('\n');
      throw new Error(
        `Local test servers are not running:\n${lines}\n` +
          `Start them with: ${UP_COMMAND}   (one server: bash scripts/servers/ctl.sh start <name>)`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The servers among `names` that do not answer, with the reason. */
export async function downServers(
  names: readonly ServerName[] = ALL_SERVERS,
): Promise<{ name: ServerName; reason: string }[]> {
  const results = await Promise.all(
    names.map(async (name) => {
      try {
        await probeServer(name, 2000);
        return null;
      } catch (e) {
        return { name, reason: (e as Error).message };
      }
    }),
  );
  return results.filter((r): r is { name: ServerName; reason: string } => r !== null);
}

/**
 * A name unique to this test run, worker and call: lower case [a-z0-9_], at most 63 characters
 * (valid as a Postgres identifier and as a Kafka topic, group or Mongo database name).
 */
export function uniqueName(prefix = 't'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 't';
  const worker = process.env.JEST_WORKER_ID ?? '0';
  const suffix = `${Date.now().toString(36)}_${process.pid.toString(36)}w${worker}_${randomBytes(3).toString('hex')}`;
  return `${clean.slice(0, 62 - suffix.length)}_${suffix}`;
}

/** A unique Kafka topic name; tests must never share topics. */
export function uniqueTopic(prefix = 'topic'): string {
  return uniqueName(prefix).replace(/_/g, '-');
}

/** A unique Kafka consumer group id. */
export function uniqueGroupId(prefix = 'group'): string {
  return uniqueTopic(prefix);
}

export interface TestDatabase {
  readonly name: string;
  /** URL on the primary. */
  readonly url: string;
  /** URL of the same database on the streaming replica (read-only; may lag). */
  readonly replicaUrl: string;
  /** Drops the database (disconnecting any remaining sessions). */
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: pgUrl('postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/**
 * Creates a fresh, uniquely named database on the primary for one test file.
 * Typical use: `beforeAll(async () => { db = await createTestDatabase('orders'); })`,
 * `afterAll(() => db.drop())`.
 */
export async function createTestDatabase(prefix = 'db'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  await withAdmin((c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
  return {
    name,
    url: pgUrl(name, PG_PRIMARY),
    replicaUrl: pgUrl(name, PG_REPLICA),
    drop: () => dropTestDatabase(name),
  };
}

export async function dropTestDatabase(name: string): Promise<void> {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
}

/** Waits until the replica has replayed everything the primary had written when called. */
export async function waitForReplicaCatchUp(timeoutMs = 30000): Promise<void> {
  const target = await withAdmin(async (c) => (await c.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn);
  const replica = new Client({ connectionString: pgUrl('postgres', PG_REPLICA) });
  await replica.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await replica.query(
        'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught_up',
        [target],
      );
      if (rows[0].caught_up === true) return;
      if (Date.now() > deadline) throw new Error(`replica did not replay up to ${target} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await replica.end();
  }
}
