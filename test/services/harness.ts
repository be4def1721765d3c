/**
 * Test harness for the services: real PostgreSQL, Kafka, Redis and FerretDB (started by
 * scripts/servers/up.sh). Each call gets its own databases and topic prefix, so test files can
 * run in parallel.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import type { FastifyInstance } from 'fastify';
import { holdShared } from './server-lock';
import { loadConfig, DOMAINS, type Config, type Domain } from '../../services/shared/config';
import { bucketsOf, migrate } from '../../services/tools/migrate-lib';
import { provisionTopics } from '../../services/tools/topics';
import { createRuntime } from '../../services/main';
import { MODULES } from '../../services/modules';
import type { Runtime } from '../../services/shared/runtime';
import { TOPICS } from '../../services/shared/events';
import { KAFKA_BROKERS, createTestDatabase, uniqueTopic, waitForServers, type ServerName, type TestDatabase } from '../support/servers';

export interface TestSystem {
  name: string;
  prefix: string;
  env: Record<string, string>;
  cfg: Config;
  rt: Runtime;
  app: FastifyInstance;
  baseUrl: string;
  inject: Inject;
  orders: Pool;
  inventory: Pool;
  users: Pool;
  dbs: TestDatabase[];
  shards: TestDatabase[];
  /** Unpublished outbox rows across the three databases. */
  outboxPending(): Promise<number>;
  close(): Promise<void>;
}

export interface InjectRequest {
  method: string;
  url: string;
  payload?: unknown;
  headers?: Record<string, string>;
  /** Sent as is (for malformed bodies). */
  rawBody?: string;
}
export interface InjectResponse {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
  json(): any;
}
export type Inject = (r: InjectRequest) => Promise<InjectResponse>;

/** Requests over real HTTP (fastify's inject needs an ESM-only dependency jest cannot load). */
export function httpInject(baseUrl: string): Inject {
  return async (r) => {
    const headers: Record<string, string> = { ...(r.headers ?? {}) };
    let body: string | undefined = r.rawBody;
    if (r.payload !== undefined) {
      body = JSON.stringify(r.payload);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(baseUrl + r.url, { method: r.method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    const h: Record<string, string> = {};
    res.headers.forEach((v, k) => (h[k] = v));
    return { statusCode: res.status, body: text, headers: h, json: () => JSON.parse(text) };
  };
}

export interface SystemOptions {
  domains?: readonly Domain[];
  env?: Record<string, string>;
  /** Start the relay and consumers (default true). */
  workers?: boolean;
  /** Order shards to create (SHARDING on when > 0). */
  shards?: number;
  /** Shards the bucket map spreads over at first (default all); the rest start empty. */
  initialShards?: number;
  partitions?: number;
  servers?: ServerName[];
  /** The caller holds the exclusive server lock (fault tests). */
  exclusive?: boolean;
  /** Read replicas on, pointing at the streaming replica's copy of each database. */
  replicas?: boolean;
}

export async function kafkaAdmin() {
  const admin = new Kafka({ clientId: 'test-admin', brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  return admin;
}

/** Databases, migrations and topics for one test system, without starting services. */
export async function prepare(name: string, o: SystemOptions = {}) {
  const lock = o.exclusive ? undefined : await holdShared();
  await waitForServers({ names: o.servers ?? ['postgres', 'kafka'], timeoutMs: 30000 });
  const [orders, inventory, users] = await Promise.all([createTestDatabase(`${name}_orders`), createTestDatabase(`${name}_inv`), createTestDatabase(`${name}_users`)]);
  const shards: TestDatabase[] = [];
  for (let i = 0; i < (o.shards ?? 0); i++) shards.push(await createTestDatabase(`${name}_shard${i}`));
  const buckets = Number(o.env?.ORDER_BUCKETS ?? 64);
  const initial = o.initialShards ?? shards.length;
  await migrate(orders.url, 'orders', shards.length > 0 ? { seed: { kind: 'directory', buckets, shards: initial } } : {});
  await migrate(inventory.url, 'inventory');
  await migrate(users.url, 'users');
  for (const [i, s] of shards.entries()) await migrate(s.url, 'order-shard', { seed: { kind: 'shard', buckets, owned: await bucketsOf(orders.url, i) } });
  const prefix = `${uniqueTopic(name)}.`;
  const admin = await kafkaAdmin();
  try {
    await provisionTopics(admin, { prefix, partitions: o.partitions ?? 3, replicationFactor: 1 });
  } finally {
    await admin.disconnect();
  }
  const env: Record<string, string> = {
    ORDERS_DB_URL: orders.url,
    INVENTORY_DB_URL: inventory.url,
    USERS_DB_URL: users.url,
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'fatal',
    RELAY_POLL_MS: '20',
    ...(o.replicas ? { READ_REPLICAS: 'true', ORDERS_DB_REPLICA_URLS: orders.replicaUrl, INVENTORY_DB_REPLICA_URLS: inventory.replicaUrl, USERS_DB_REPLICA_URLS: users.replicaUrl } : {}),
    ...(shards.length > 0 ? { SHARDING: 'true', ORDER_SHARD_URLS: shards.map((s) => s.url).join(','), ORDER_BUCKETS: String(buckets) } : {}),
    ...o.env,
  };
  const drop = async () => {
    const a = await kafkaAdmin();
    await a.deleteTopics({ topics: TOPICS.map((t) => prefix + t) }).catch(() => undefined);
    await a.disconnect();
    for (const d of [orders, inventory, users, ...shards]) await d.drop().catch(() => undefined);
    lock?.release();
  };
  return { orders, inventory, users, shards, prefix, env, drop };
}

export async function startSystem(name: string, o: SystemOptions = {}): Promise<TestSystem> {
  const p = await prepare(name, o);
  const cfg = loadConfig(p.env);
  const rt = createRuntime(name, (o.domains ?? DOMAINS).map((d) => MODULES[d]), cfg);
  const app = rt.buildApp();
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  if (o.workers ?? true) await rt.startWorkers();
  const pools = [p.orders, p.inventory, p.users].map((d) => new Pool({ connectionString: d.url, max: 3 }));
  const sys: TestSystem = {
    name,
    prefix: p.prefix,
    env: p.env,
    cfg,
    rt,
    app,
    baseUrl,
    inject: httpInject(baseUrl),
    orders: pools[0],
    inventory: pools[1],
    users: pools[2],
    dbs: [p.orders, p.inventory, p.users],
    shards: p.shards,
    async outboxPending() {
      const r = await Promise.all(pools.map((x) => x.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')));
      return r.reduce((n, x) => n + x.rows[0].n, 0);
    },
    async close() {
      await sys.rt.stop();
      await Promise.all(pools.map((x) => x.end()));
      await p.drop();
    },
  };
  return sys;
}

/** Polls `fn` until it returns a value that is not undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 30000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const ADDRESS = { name: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postalCode: 'N1 9GU', country: 'GB' };

export function checkout(customerId: string, items: { productId: string; quantity: number }[], token = 'tok_visa', shipping: Record<string, string> = ADDRESS) {
  return { customerId, items, payment: { token }, shipping };
}

export async function seed(s: { inject: Inject }, products: { id: string; priceCents: number; stock: number }[]): Promise<void> {
  for (const p of products) {
    const a = await s.inject({ method: 'PUT', url: `/products/${p.id}`, payload: { name: `Product ${p.id}`, priceCents: p.priceCents } });
    if (a.statusCode !== 200) throw new Error(`seeding product ${p.id}: ${a.statusCode} ${a.body}`);
    const b = await s.inject({ method: 'PUT', url: `/stock/${p.id}`, payload: { available: p.stock } });
    if (b.statusCode !== 200) throw new Error(`seeding stock ${p.id}: ${b.statusCode} ${b.body}`);
  }
}

export async function post(s: { inject: Inject }, body: unknown, key?: string) {
  const r = await s.inject({ method: 'POST', url: '/orders', payload: body, headers: key ? { 'idempotency-key': key } : {} });
  return { status: r.statusCode, body: r.json() as Record<string, any>, headers: r.headers };
}

export async function waitForStatus(s: { inject: Inject }, id: string, statuses: string[], timeoutMs = 45000): Promise<Record<string, any>> {
  return eventually(
    async () => {
      const r = await s.inject({ method: 'GET', url: `/orders/${id}` });
      const b = r.json();
      return statuses.includes(b.status) ? b : undefined;
    },
    timeoutMs,
    `order ${id} to reach ${statuses.join('/')}`,
  );
}

/** Waits until every consumer group of the system has committed up to the end of its topics. */
export async function waitForConsumersIdle(prefix: string, groups: { group: string; topics: string[] }[], timeoutMs = 45000): Promise<void> {
  const admin = await kafkaAdmin();
  try {
    await eventually(
      async () => {
        for (const g of groups) {
          for (const t of g.topics) {
            const topic = prefix + t;
            const ends = await admin.fetchTopicOffsets(topic);
            const committed = await admin.fetchOffsets({ groupId: prefix + g.group, topics: [topic] });
            const parts = committed[0]?.partitions ?? [];
            for (const e of ends) {
              const c = parts.find((p) => p.partition === e.partition);
              const at = c && c.offset !== '-1' ? Number(c.offset) : 0;
              if (at < Number(e.high)) return false;
            }
          }
        }
        return true;
      },
      timeoutMs,
      'consumers to catch up',
    );
  } finally {
    await admin.disconnect();
  }
}

/** The consumer groups of the full system and their topics. */
export const ALL_GROUPS = [
  { group: 'inventory-reserve', topics: ['orders'] },
  { group: 'inventory-release', topics: ['payments', 'shipping'] },
  { group: 'payment-charge', topics: ['inventory'] },
  { group: 'payment-refund', topics: ['shipping'] },
  { group: 'shipping', topics: ['payments'] },
  { group: 'order-status', topics: ['inventory', 'payments', 'shipping'] },
  { group: 'notification', topics: ['orders'] },
  { group: 'analytics', topics: ['orders'] },
];
