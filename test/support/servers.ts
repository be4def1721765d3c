/**
 * Addresses of the local real servers used by the service tests, and helpers to use them safely
 * from test files that run in parallel.
 *
 * The servers are plain processes started by `bash scripts/servers/up.sh` (see
 * scripts/servers/README.md), on this checkout's own block of ports: computed here exactly as
 * `scripts/servers/env.sh` computes it (keep the two in step; test/services/server-ports.test.ts
 * checks that they agree). The variables env.sh exports override the computed values, unless they
 * were exported for another checkout (SERVERS_REPO names another directory).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client } from 'pg';

export const REPO_ROOT = realPath(path.resolve(__dirname, '..', '..'));
const UP_COMMAND = 'bash scripts/servers/up.sh';

function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** Connection settings from the environment, when env.sh exported them for this checkout (or by hand). */
const ENV_APPLIES = (() => {
  const repo = process.env.SERVERS_REPO;
  return repo === undefined || repo === '' || realPath(repo) === REPO_ROOT;
})();
const env = (name: string): string | undefined => (ENV_APPLIES ? process.env[name] : undefined);

export const SERVERS_DIR = env('SERVERS_DIR') ?? path.join(REPO_ROOT, '.servers');

// ---------------------------------------------------------------- port blocks (as in env.sh)

/** Today's fixed ports: the block of offset 0. Every port of a block is one of these plus its offset. */
export const BASE_PORTS = {
  pgPrimary: 55432,
  pgReplica: 55433,
  redisStandalone: 56379,
  redisClusterMasters: [57001, 57002, 57003],
  redisClusterReplicas: [57004, 57005, 57006],
  /** Each cluster node's bus port is its port minus this (the default +10000 would pass 65535). */
  redisClusterBusDistance: 10000,
  ferretdb: 57017,
  kafka: 59092,
  kafkaController: 59093,
  kafka2: 59192,
  kafka2Controller: 59193,
} as const;

/** Blocks derived from checkout paths: offset FIRST + STRIDE * block, block = md5(path) mod COUNT. */
export const PORT_BLOCKS = { count: 303, first: -37000, stride: 35 } as const;

/** Every port of the block with this offset. */
export interface PortBlock {
  readonly offset: number;
  readonly pgPrimary: number;
  readonly pgReplica: number;
  readonly redisStandalone: number;
  readonly redisClusterMasters: readonly number[];
  readonly redisClusterReplicas: readonly number[];
  readonly redisClusterBus: readonly number[];
  readonly ferretdb: number;
  readonly kafka: number;
  readonly kafkaController: number;
  readonly kafka2: number;
  readonly kafka2Controller: number;
  /** All of the above. */
  readonly all: readonly number[];
}

export function portBlock(offset: number): PortBlock {
  const b = BASE_PORTS;
  const at = (p: number) => p + offset;
  const masters = b.redisClusterMasters.map(at);
  const replicas = b.redisClusterReplicas.map(at);
  const bus = [...masters, ...replicas].map((p) => p - b.redisClusterBusDistance);
  const block = {
    offset,
    pgPrimary: at(b.pgPrimary),
    pgReplica: at(b.pgReplica),
    redisStandalone: at(b.redisStandalone),
    redisClusterMasters: masters,
    redisClusterReplicas: replicas,
    redisClusterBus: bus,
    ferretdb: at(b.ferretdb),
    kafka: at(b.kafka),
    kafkaController: at(b.kafkaController),
    kafka2: at(b.kafka2),
    kafka2Controller: at(b.kafka2Controller),
  };
  return {
    ...block,
    all: [
      block.pgPrimary,
      block.pgReplica,
      block.redisStandalone,
      ...masters,
      ...replicas,
      ...bus,
      block.ferretdb,
      block.kafka,
      block.kafkaController,
      block.kafka2,
      block.kafka2Controller,
    ],
  };
}

/** The offset of block number n (0 <= n < PORT_BLOCKS.count). */
export function blockOffset(n: number): number {
  return PORT_BLOCKS.first + PORT_BLOCKS.stride * n;
}

/** Ports that common local services use by default (memcached, RabbitMQ, MongoDB, ...): no derived block has one. */
export const PORT_AVOID: readonly number[] = [11211, 11434, 15672, 16686, 19999, 24224, 25672, 26379, 27017, 27018, 27019, 29092, 32400];

export function blockUsable(offset: number): boolean {
  return !portBlock(offset).all.some((p) => PORT_AVOID.includes(p));
}

/**
 * The block number of a checkout path: md5 of the path, first 32 bits, modulo the block count;
 * a block with a port to avoid is passed over for the next one.
 */
export function pathBlock(checkout: string): number {
  const hex = createHash('md5').update(checkout).digest('hex').slice(0, 8);
  let n = parseInt(hex, 16) % PORT_BLOCKS.count;
  while (!blockUsable(blockOffset(n))) n = (n + 1) % PORT_BLOCKS.count;
  return n;
}

const OFFSET_PATTERN = /^(0|-?[1-9][0-9]*)$/;
const MIN_OFFSET = 1024 - 47001; // the lowest base port (a Redis bus port) stays >= 1024
const MAX_OFFSET = 65535 - 59193; // the highest (kafka2's controller) stays <= 65535

/**
 * The port offset of a checkout, first that applies: SERVERS_PORT_OFFSET; the offset its servers
 * were made with (.servers/port-offset); 0 for servers made before port blocks; the path's block.
 */
export function checkoutPortOffset(checkout: string, serversDir: string, override: string | undefined): number {
  let raw: string;
  let source: string;
  const recordFile = path.join(serversDir, 'port-offset');
  const recorded = fs.existsSync(recordFile) ? fs.readFileSync(recordFile, 'utf8').replace(/\s/g, '') : '';
  const legacy = ['redis', 'kafka/data.version', 'pg/primary'].some((f) => fs.existsSync(path.join(serversDir, f)));
  if (override !== undefined && override !== '') {
    [raw, source] = [override, 'SERVERS_PORT_OFFSET'];
  } else if (recorded !== '') {
    [raw, source] = [recorded, recordFile];
  } else if (legacy) {
    [raw, source] = ['0', 'servers made before port blocks'];
  } else {
    return blockOffset(pathBlock(checkout));
  }
  const n = Number(raw);
  if (!OFFSET_PATTERN.test(raw) || n < MIN_OFFSET || n > MAX_OFFSET) {
    throw new Error(`port offset ${raw} (from ${source}) is not an integer from ${MIN_OFFSET} to ${MAX_OFFSET}`);
  }
  return n;
}

/** This checkout's ports. */
export const PORTS: PortBlock = portBlock(
  checkoutPortOffset(REPO_ROOT, SERVERS_DIR, process.env.SERVERS_PORT_OFFSET),
);

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface PgServer extends HostPort {
  readonly user: string;
  readonly password: string;
}

function envInt(name: string, fallback: number): number {
  const raw = env(name);
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

const PG_HOST = env('PG_HOST') ?? '127.0.0.1';
const local = (ports: readonly number[]): string => ports.map((p) => `127.0.0.1:${p}`).join(',');
const brokers = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export const PG_PRIMARY: PgServer = {
  host: PG_HOST,
  port: envInt('PG_PRIMARY_PORT', PORTS.pgPrimary),
  user: env('PG_USER') ?? 'postgres',
  password: env('PG_PASSWORD') ?? 'postgres',
};

/** Hot standby streaming from PG_PRIMARY (read-only). */
export const PG_REPLICA: PgServer = { ...PG_PRIMARY, port: envInt('PG_REPLICA_PORT', PORTS.pgReplica) };

/** Kafka bootstrap servers (PLAINTEXT), as `host:port` strings for kafkajs. */
export const KAFKA_BROKERS: readonly string[] = brokers(env('KAFKA_BOOTSTRAP') ?? local([PORTS.kafka]));

/** The second Kafka cluster (`kafka2`, started by the tests that need it, not by the global setup). */
export const KAFKA2_BROKERS: readonly string[] = brokers(env('KAFKA2_BOOTSTRAP') ?? local([PORTS.kafka2]));

export const REDIS_URL = env('REDIS_URL') ?? `redis://127.0.0.1:${PORTS.redisStandalone}`;
export const REDIS_STANDALONE: HostPort = (() => {
  const u = new URL(REDIS_URL);
  return { host: u.hostname, port: Number(u.port || 6379) };
})();
/** Redis cluster masters (give these to ioredis' `Cluster`). */
export const REDIS_CLUSTER_NODES: readonly HostPort[] = parseList(
  env('REDIS_CLUSTER_NODES'),
  local(PORTS.redisClusterMasters),
);
/** One replica per master. */
const REDIS_CLUSTER_REPLICA_NODES: readonly HostPort[] = parseList(
  env('REDIS_CLUSTER_REPLICA_NODES'),
  local(PORTS.redisClusterReplicas),
);

/** MongoDB wire protocol (FerretDB). Add the database name to the path. */
export const MONGODB_URL = env('MONGODB_URL') ?? `mongodb://127.0.0.1:${PORTS.ferretdb}/`;
const MONGODB: HostPort = (() => {
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
const ALL_SERVERS: readonly ServerName[] = [
  'postgres',
  'replica',
  'kafka',
  'redis-standalone',
  'redis-cluster',
  'ferretdb',
];

const SERVER_ADDRESSES: Readonly<Record<ServerName, readonly HostPort[]>> = {
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

async function dropTestDatabase(name: string): Promise<void> {
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
