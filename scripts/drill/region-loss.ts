/**
 * The region-loss drill, on real local servers: two "regions" of processes started here for the
 * drill only (never the shared test servers, since region A is killed):
 *
 *   region A (home):  PostgreSQL primary, Kafka (KRaft), Redis, the services (monolith) as primary
 *   region B:         PostgreSQL streaming replica of A, Kafka with MirrorMaker 2 from A, a Redis
 *                     replica of A, the services as secondary (HOME_REGION_SOURCE=file:..., writes
 *                     forwarded to A through REGION_API_URLS)
 *
 * Checkout load enters both regions. Then every process of region A gets SIGKILL at once, and the
 * promotion runs as it would on AWS, locally: pg_promote() on B's replica, REPLICAOF NO ONE on B's
 * Redis, MirrorMaker stopped, and B's home file set to B, upon which B's services drain, exit 0
 * and are started again (as their supervisor would) in the primary role. Nothing else: B's relay,
 * started in a region deployed as secondary, publishes again by itself the outbox rows published
 * in OUTBOX_REPUBLISH_WINDOW_MS before A's last publish (events A published that MirrorMaker may
 * not have copied; the consumers are idempotent), once (services/shared/outbox-relay.ts).
 *
 * Measured: seconds from the kill to the first checkout accepted in B; orders acknowledged before
 * the kill that B does not have (the RPO of asynchronous replication, as measured); orders held
 * twice for one request (must be 0); and whether every order B holds reaches a final status.
 *
 *   npm run drill:region-loss                         # 20 s of load before the loss, 20 s after
 *   npm run drill:region-loss -- --before 5 --after 5 --clients 2
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client, Pool } from 'pg';
import { renderMirrorMakerProperties } from '../../lib/replication/mirror-maker';
import { TOPICS } from '../../services/shared/events';
import { STATUS, type OrderStatus } from '../../services/order/model';
import { migrate } from '../../services/tools/migrate-lib';
import { provisionTopics } from '../../services/tools/topics';

const ROOT = path.resolve(__dirname, '..', '..');
const SERVERS_DIR = process.env.SERVERS_DIR ?? path.join(ROOT, '.servers');
const PG_BIN = '/usr/lib/postgresql/15/bin';
const DATABASES = ['orders', 'inventory', 'users'] as const;

export interface DrillOptions {
  /** Seconds of load before region A is killed. */
  beforeSeconds: number;
  /** Seconds of load after the first checkout accepted in B. */
  afterSeconds: number;
  /** Concurrent checkout clients per region. */
  clientsPerRegion: number;
  /** How long to wait for every saga to end, seconds. */
  sagaTimeoutSeconds: number;
  log?: (line: string) => void;
}

export interface DrillFigures {
  /** Seconds from the SIGKILL of region A to the first checkout accepted by region B. */
  recoverySeconds: number;
  /** Promotion steps, seconds after the kill when each finished. */
  steps: Record<string, number>;
  acknowledgedBeforeKill: number;
  /** Acknowledged before the kill, not in B's database afterwards. */
  missingAfterFailover: number;
  acknowledgedAfterKill: number;
  /** Orders B holds more than once for one (customer, Idempotency-Key). */
  duplicates: number;
  ordersInB: number;
  /** Orders in B that reached a final status. */
  sagasComplete: number;
  finalStatuses: Record<string, number>;
  /** Outbox rows B's relay published again after the promotion, over the three databases. */
  republished: number;
  /** Promotions of B recorded in its databases (one per database: the restarts did not repeat it). */
  promotionRecords: number;
}

// ------------------------------------------------------------------ processes

interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

const procs: Proc[] = [];

function start(name: string, cmd: string, args: string[], logFile: string, env: Record<string, string> = {}): Proc {
  const out = fs.openSync(logFile, 'a');
  // Own process group: SIGKILL to the group takes every process of it (postmaster and backends, a JVM).
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...env } });
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const p = { name, child, exited };
  procs.push(p);
  return p;
}

function killGroup(p: Proc, signal: NodeJS.Signals): void {
  try {
    process.kill(-p.child.pid!, signal);
  } catch {
    // already gone
  }
}

async function stopAll(): Promise<void> {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) killGroup(p, 'SIGKILL');
  await Promise.all(procs.map((p) => Promise.race([p.exited, sleep(5000)])));
  procs.length = 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(100);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}

// ------------------------------------------------------------------ PostgreSQL

const asRoot = process.getuid?.() === 0;
/** PostgreSQL refuses to run as root: run it as the postgres OS user then. */
const pgCommand = (bin: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(PG_BIN, bin), ...args]] : [path.join(PG_BIN, bin), args]);

function pgRun(bin: string, args: string[], logFile: string): void {
  const [cmd, a] = pgCommand(bin, args);
  const r = spawnSync(cmd, a, { encoding: 'utf8', cwd: '/' });
  fs.appendFileSync(logFile, `${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (r.status !== 0) throw new Error(`${bin} failed (${r.status}); see ${logFile}`);
}

function pgDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (asRoot) spawnSync('chown', ['postgres:postgres', dir]);
}

function pgSettings(port: number, dir: string): string {
  return [`port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, 'max_connections = 200', 'wal_level = replica', 'max_wal_senders = 5', 'hot_standby = on', 'shared_buffers = 32MB', ''].join('\n');
}

function startPg(name: string, data: string, logFile: string): Proc {
  const [cmd, args] = pgCommand('postgres', ['-D', data]);
  return start(name, cmd, args, logFile);
}

const pgUrl = (port: number, db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;

async function pgReady(port: number): Promise<void> {
  await until(`PostgreSQL on ${port}`, async () => {
    const c = new Client({ connectionString: pgUrl(port, 'postgres') });
    await c.connect();
    await c.end();
    return true;
  }, 60000);
}

// ------------------------------------------------------------------ Kafka, MirrorMaker, Redis

function java(): string {
  const j17 = '/usr/lib/jvm/java-17-openjdk-amd64/bin/java';
  return fs.existsSync(j17) ? j17 : 'java';
}

async function startKafka(name: string, dir: string, logs: string): Promise<{ proc: Proc; brokers: string }> {
  const [port, controller] = [await freePort(), await freePort()];
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  const props = path.join(dir, 'server.properties');
  fs.writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${path.join(dir, 'data')}`,
      'auto.create.topics.enable=false',
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=1',
      'share.coordinator.state.topic.replication.factor=1',
      'group.initial.rebalance.delay.ms=0',
      'num.network.threads=1',
      'num.io.threads=2',
      '',
    ].join('\n'),
  );
  const log4j = path.join(dir, 'log4j2.properties');
  fs.writeFileSync(log4j, `status = warn\nappender.f.type = File\nappender.f.name = F\nappender.f.fileName = ${logs}/${name}.log\nappender.f.layout.type = PatternLayout\nappender.f.layout.pattern = [%d] %p %m (%c)%n\nrootLogger.level = WARN\nrootLogger.appenderRef.f.ref = F\n`);
  const jvm = ['-Xms128m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${log4j}`, '-cp', `${SERVERS_DIR}/kafka/libs/*`];
  // A cluster id is 16 random bytes, base64url: what StorageTool random-uuid prints, without a JVM start.
  const id = randomBytes(16).toString('base64url');
  const f = spawnSync(java(), [...jvm, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', props], { encoding: 'utf8' });
  if (f.status !== 0) throw new Error(`formatting ${name} failed: ${f.stderr}`);
  const proc = start(name, java(), [...jvm, 'kafka.Kafka', props], path.join(logs, `${name}.out`));
  const brokers = `127.0.0.1:${port}`;
  const admin = new Kafka({ clientId: 'drill', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await until(`${name} to answer`, async () => {
    await admin.connect();
    await admin.describeCluster();
    await admin.disconnect();
    return true;
  }, 120000);
  return { proc, brokers };
}

function redisRole(port: number): string {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ROLE'], { encoding: 'utf8' });
  return r.stdout ?? '';
}

// ------------------------------------------------------------------ the drill

interface Ack {
  key: string;
  customer: string;
  id: string;
  at: number;
  via: 'A' | 'B';
}

export async function runDrill(o: DrillOptions): Promise<DrillFigures> {
  const say = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  for (const need of [`${SERVERS_DIR}/kafka/libs/.installed`, `${SERVERS_DIR}/mirror-maker/libs/.installed`]) {
    if (!fs.existsSync(need)) throw new Error(`${need} is missing: run bash scripts/servers/up.sh and bash scripts/servers/ctl.sh install mirror-maker first`);
  }
  const base = fs.mkdtempSync(path.join('/var/tmp', 'region-loss-'));
  fs.chmodSync(base, 0o755);
  const logs = path.join(base, 'logs');
  fs.mkdirSync(logs);
  if (asRoot) spawnSync('chown', ['postgres:postgres', logs]);
  say(`drill: working directory ${base}`);
  const pools: Pool[] = [];
  // Region B's supervisor restarts its services while this holds.
  let supervising = true;
  try {
    // Region A's PostgreSQL and B's streaming replica.
    const [pgA, pgB] = [await freePort(), await freePort()];
    const dataA = path.join(base, 'pg-a');
    const dataB = path.join(base, 'pg-b');
    pgDir(dataA);
    pgRun('initdb', ['-D', dataA, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8'], path.join(logs, 'initdb.log'));
    fs.appendFileSync(path.join(dataA, 'postgresql.auto.conf'), pgSettings(pgA, dataA));
    fs.appendFileSync(path.join(dataA, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n');
    const pgProcA = startPg('postgres-a', dataA, path.join(logs, 'postgres-a.log'));
    await pgReady(pgA);
    const admin = new Client({ connectionString: pgUrl(pgA, 'postgres') });
    await admin.connect();
    for (const db of DATABASES) await admin.query(`CREATE DATABASE ${db}`);
    await admin.end();
    await migrate(pgUrl(pgA, 'orders'), 'orders');
    await migrate(pgUrl(pgA, 'inventory'), 'inventory');
    await migrate(pgUrl(pgA, 'users'), 'users');
    pgDir(dataB);
    pgRun('pg_basebackup', ['-h', '127.0.0.1', '-p', String(pgA), '-U', 'postgres', '-D', dataB, '-X', 'stream', '-R', '--checkpoint=fast', '--no-sync'], path.join(logs, 'basebackup.log'));
    fs.appendFileSync(path.join(dataB, 'postgresql.auto.conf'), pgSettings(pgB, dataB));
    startPg('postgres-b', dataB, path.join(logs, 'postgres-b.log'));
    await pgReady(pgB);
    say(`drill: PostgreSQL A on ${pgA}, its streaming replica B on ${pgB}`);

    // Redis A and its replica B.
    const [redisA, redisB] = [await freePort(), await freePort()];
    const redisProcA = start('redis-a', 'redis-server', ['--port', String(redisA), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', base], path.join(logs, 'redis-a.log'));
    start('redis-b', 'redis-server', ['--port', String(redisB), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', base, '--dbfilename', 'redis-b.rdb', '--replicaof', '127.0.0.1', String(redisA)], path.join(logs, 'redis-b.log'));
    await until('Redis B to replicate A', () => Promise.resolve(/connected/.test(redisRole(redisB))), 30000);

    // Two Kafka clusters, the same topics (one partition), MirrorMaker 2 from A to B.
    const [kafkaA, kafkaB] = await Promise.all([startKafka('kafka-a', path.join(base, 'kafka-a'), logs), startKafka('kafka-b', path.join(base, 'kafka-b'), logs)]);
    for (const brokers of [kafkaA.brokers, kafkaB.brokers]) {
      const a = new Kafka({ clientId: 'drill', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
      await a.connect();
      await provisionTopics(a, { prefix: '', partitions: 1, replicationFactor: 1 });
      await a.disconnect();
    }
    const mm2Props = path.join(base, 'mm2.properties');
    fs.writeFileSync(
      mm2Props,
      renderMirrorMakerProperties({
        source: { alias: 'region-a', bootstrapServers: kafkaA.brokers, security: { kind: 'plaintext' } },
        target: { alias: 'region-b', bootstrapServers: kafkaB.brokers, security: { kind: 'plaintext' } },
        topics: [...TOPICS],
        groups: ['/[a-z].*/'],
        replicationFactor: 1,
        tasksMax: 1,
        syncIntervalSeconds: 2,
        refreshIntervalSeconds: 10,
      }),
    );
    const mm2 = start('mirror-maker', java(), ['-Xms64m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${path.join(ROOT, 'lib/replication/mirror-maker/log4j2.properties')}`, '-cp', `${SERVERS_DIR}/mirror-maker/libs/*`, 'org.apache.kafka.connect.mirror.MirrorMaker', mm2Props], path.join(logs, 'mirror-maker.log'));
    say(`drill: Kafka A ${kafkaA.brokers}, Kafka B ${kafkaB.brokers}, MirrorMaker 2 A -> B`);

    // The services of both regions.
    const [apiA, apiB] = [await freePort(), await freePort()];
    const urlA = `http://127.0.0.1:${apiA}`;
    const urlB = `http://127.0.0.1:${apiB}`;
    const homeA = path.join(base, 'home-region-a');
    const homeB = path.join(base, 'home-region-b');
    fs.writeFileSync(homeA, 'region-a\n');
    fs.writeFileSync(homeB, 'region-a\n');
    const common = {
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      CACHE: 'true',
      RELAY_POLL_MS: '20',
      KAFKA_TOPIC_PARTITIONS: '1',
      REGION_API_URLS: `region-a=${urlA},region-b=${urlB}`,
      HOME_REGION_POLL_MS: '250',
      SHUTDOWN_GRACE_MS: '1000',
      HTTP_CLIENT_TIMEOUT_MS: '1500',
    };
    const envA = { ...common, PORT: String(apiA), AWS_REGION: 'region-a', REGION_ROLE: 'primary', HOME_REGION_SOURCE: `file:${homeA}`, KAFKA_BROKERS: kafkaA.brokers, REDIS_URL: `redis://127.0.0.1:${redisA}`, ...dbUrls(pgA) };
    const envB = {
      ...common,
      PORT: String(apiB),
      AWS_REGION: 'region-b',
      REGION_ROLE: 'secondary',
      HOME_API_URL: urlA,
      HOME_REGION_SOURCE: `file:${homeB}`,
      KAFKA_BROKERS: kafkaB.brokers,
      REDIS_URL: `redis://127.0.0.1:${redisB}`,
      HOME_REDIS_URL: `redis://127.0.0.1:${redisA}`,
      ...dbUrls(pgB),
    };
    const service = (name: string, env: Record<string, string>) => start(name, process.execPath, ['--import', 'tsx', path.join(ROOT, 'services/entry/monolith.ts')], path.join(logs, `${name}.log`), env);
    const svcA = service('services-a', envA);
    let svcB = service('services-b', envB);
    // B's supervisor: a process that exits 0 (its home moved) is started again.
    let restarts = 0;
    const superviseB = (p: Proc): void => {
      void p.exited.then((code) => {
        if (!supervising) return;
        say(`drill: services-b exited with ${code}; starting it again`);
        restarts++;
        svcB = service('services-b', envB);
        superviseB(svcB);
      });
    };
    superviseB(svcB);
    await Promise.all([until('services A to answer', () => health(urlA), 60000), until('services B to answer', () => health(urlB), 60000)]);
    for (const [id, price] of [['drill-1', 1200], ['drill-2', 800]] as const) {
      await put(`${urlA}/products/${id}`, { name: `Drill ${id}`, priceCents: price });
      await put(`${urlA}/stock/${id}`, { available: 1_000_000 });
    }
    await until('region B to take a checkout (forwarded home)', async () => (await checkout(urlB, `warm-${Date.now()}`, 'warm')).status === 201, 60000);
    say(`drill: services A (primary) on ${urlA}, B (secondary) on ${urlB}; load for ${o.beforeSeconds} s`);

    // Load entering both regions. A client whose region fails retries the same request (same
    // Idempotency-Key) after a pause; once A is gone, DNS sends A's clients to B.
    const acks: Ack[] = [];
    let killAt = 0;
    let firstInB = 0;
    let loading = true;
    const client = async (region: 'A' | 'B', n: number) => {
      for (let i = 0; loading; i++) {
        const key = `drill-${region}${n}-${i}-${randomBytes(3).toString('hex')}`;
        const customer = `c-${region}${n}-${i % 7}`;
        while (loading) {
          const via = region === 'A' && killAt === 0 ? 'A' : 'B';
          const r = await checkout(via === 'A' ? urlA : urlB, key, customer);
          if (r.status === 201) {
            const at = Date.now();
            if (via === 'B' && killAt > 0 && firstInB === 0 && r.servedBy !== 'home') firstInB = at;
            acks.push({ key, customer, id: r.id!, at, via });
            break;
          }
          await sleep(100);
        }
      }
    };
    const clients = (['A', 'B'] as const).flatMap((region) => Array.from({ length: o.clientsPerRegion }, (_, n) => client(region, n)));
    await sleep(o.beforeSeconds * 1000);

    // The loss: every process of region A at once.
    killAt = Date.now();
    for (const p of [svcA, pgProcA, kafkaA.proc, redisProcA]) killGroup(p, 'SIGKILL');
    say(`drill: region A killed (SIGKILL: services, PostgreSQL, Kafka, Redis) after ${acks.length} acknowledged checkouts`);
    const steps: Record<string, number> = {};
    const step = (name: string) => {
      steps[name] = (Date.now() - killAt) / 1000;
      say(`drill: +${steps[name].toFixed(1)} s ${name}`);
    };

    // The promotion of region B.
    const b = new Client({ connectionString: pgUrl(pgB, 'postgres') });
    await b.connect();
    await b.query('SELECT pg_promote(true, 60)');
    await b.end();
    step('PostgreSQL B promoted (pg_promote)');
    const nr = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(redisB), 'REPLICAOF', 'NO', 'ONE'], { encoding: 'utf8' });
    if (!/OK/.test(nr.stdout)) throw new Error(`REPLICAOF NO ONE: ${nr.stdout}${nr.stderr}`);
    step('Redis B primary (REPLICAOF NO ONE)');
    killGroup(mm2, 'SIGTERM');
    // Its source is gone: it cannot copy anything more, so it is not waited for long.
    await Promise.race([mm2.exited, sleep(3000)]);
    killGroup(mm2, 'SIGKILL');
    step('MirrorMaker stopped');
    fs.writeFileSync(homeB, 'region-b\n');
    step('home region set to B');
    // B's relay, started as primary, publishes again what MirrorMaker may not have copied: watched, not done here.
    const republishedInB = until(
      "B's relay to publish again the outbox rows of the window",
      async () => {
        const promotions = await promotionsOf(pgB);
        return new Set(promotions.map((r) => r.db)).size === DATABASES.length ? promotions.reduce((n, r) => n + r.republished, 0) : undefined;
      },
      180000,
    ).then((n) => step(`B's relay published ${n} outbox rows again (first start as primary)`));
    // Awaited after the first checkout; a failure before that is not an unhandled rejection.
    republishedInB.catch(() => undefined);
    await until('the first checkout accepted in B', () => Promise.resolve(firstInB > 0), 180000);
    step('first checkout accepted in B');
    await republishedInB;
    await sleep(o.afterSeconds * 1000);
    loading = false;
    await Promise.all(clients);

    // What B holds.
    const ordersB = new Pool({ connectionString: pgUrl(pgB, 'orders'), max: 2 });
    pools.push(ordersB);
    const finalNames = (Object.keys(STATUS) as OrderStatus[]).filter((s) => STATUS[s].final);
    await until('every order in B to reach a final status', async () => {
      const r = await ordersB.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE NOT (status = ANY($1))', [finalNames]);
      return r.rows[0].n === 0;
    }, o.sagaTimeoutSeconds * 1000).catch((e: Error) => say(`drill: ${e.message}`));
    const rows = (await ordersB.query<{ id: string; customer_id: string; idempotency_key: string; status: string }>('SELECT id::text, customer_id, idempotency_key, status FROM orders')).rows;
    const ids = new Set(rows.map((r) => r.id));
    const perRequest = new Map<string, number>();
    for (const r of rows) perRequest.set(`${r.customer_id}\u0000${r.idempotency_key}`, (perRequest.get(`${r.customer_id}\u0000${r.idempotency_key}`) ?? 0) + 1);
    // One request acknowledged with two order ids (lost at A, placed again at B) that B both holds.
    const idsPerKey = new Map<string, Set<string>>();
    for (const a of acks) idsPerKey.set(a.key, (idsPerKey.get(a.key) ?? new Set()).add(a.id));
    const twice = [...idsPerKey.values()].filter((s) => [...s].filter((id) => ids.has(id)).length > 1).length;
    const before = acks.filter((a) => a.at < killAt);
    const promotions = await promotionsOf(pgB);
    const finalStatuses: Record<string, number> = {};
    for (const r of rows) finalStatuses[r.status] = (finalStatuses[r.status] ?? 0) + 1;
    const figures: DrillFigures = {
      recoverySeconds: (firstInB - killAt) / 1000,
      steps,
      acknowledgedBeforeKill: before.length,
      missingAfterFailover: before.filter((a) => !ids.has(a.id)).length,
      acknowledgedAfterKill: acks.length - before.length,
      duplicates: [...perRequest.values()].filter((n) => n > 1).length + twice,
      ordersInB: rows.length,
      sagasComplete: rows.filter((r) => finalNames.includes(r.status as OrderStatus)).length,
      finalStatuses,
      republished: promotions.reduce((n, r) => n + r.republished, 0),
      promotionRecords: promotions.length,
    };
    say(`drill: services-b restarted ${restarts} time(s)`);
    return figures;
  } finally {
    supervising = false;
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
    await stopAll();
    if (!process.env.DRILL_KEEP) fs.rmSync(base, { recursive: true, force: true });
  }
}

/** B's promotions as its databases recorded them (home_region_changes), one row per record. */
async function promotionsOf(port: number): Promise<{ db: string; republished: number }[]> {
  const out: { db: string; republished: number }[] = [];
  for (const db of DATABASES) {
    const c = new Client({ connectionString: pgUrl(port, db) });
    await c.connect();
    try {
      const r = await c.query<{ republished: number }>("SELECT republished FROM home_region_changes WHERE region = 'region-b' AND promoted");
      out.push(...r.rows.map((x) => ({ db, republished: x.republished })));
    } finally {
      await c.end();
    }
  }
  return out;
}

function dbUrls(port: number): Record<string, string> {
  return { ORDERS_DB_URL: pgUrl(port, 'orders'), INVENTORY_DB_URL: pgUrl(port, 'inventory'), USERS_DB_URL: pgUrl(port, 'users') };
}

async function health(url: string): Promise<boolean> {
  const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
  return r.status === 200;
}

async function put(url: string, body: unknown): Promise<void> {
  const r = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  if (r.status !== 200) throw new Error(`PUT ${url}: ${r.status} ${await r.text()}`);
}

async function checkout(url: string, key: string, customer: string): Promise<{ status: number; id?: string; servedBy?: string }> {
  try {
    const r = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, 'x-customer-id': customer },
      body: JSON.stringify({ customerId: customer, items: [{ productId: 'drill-1', quantity: 1 }, { productId: 'drill-2', quantity: 2 }], payment: { token: 'tok_visa' }, shipping: { name: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postalCode: 'N1 9GU', country: 'GB' } }),
      signal: AbortSignal.timeout(3000),
    });
    const body = (await r.json()) as { id?: string };
    return { status: r.status, ...(body.id ? { id: body.id } : {}), servedBy: r.headers.get('x-orders-served-by') ?? undefined };
  } catch {
    return { status: 0 };
  }
}

/** The figures as printed and recorded in the README. */
export function formatFigures(f: DrillFigures): string {
  return [
    `recovery: ${f.recoverySeconds.toFixed(1)} s from the kill of region A to the first checkout accepted in region B`,
    ...Object.entries(f.steps).map(([s, t]) => `  +${t.toFixed(1)} s  ${s}`),
    `acknowledged before the kill: ${f.acknowledgedBeforeKill}; missing afterwards (RPO, as measured): ${f.missingAfterFailover}`,
    `acknowledged after the kill: ${f.acknowledgedAfterKill}`,
    `duplicated orders: ${f.duplicates}`,
    `orders in B: ${f.ordersInB}; sagas complete: ${f.sagasComplete} (${Object.entries(f.finalStatuses).map(([s, n]) => `${s} ${n}`).join(', ')})`,
    `outbox rows B's relay published again after the promotion: ${f.republished} (promotion recorded ${f.promotionRecords} times over ${DATABASES.length} databases)`,
  ].join('\n');
}

if (require.main === module) {
  const arg = (name: string, def: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : def;
  };
  runDrill({ beforeSeconds: arg('before', 20), afterSeconds: arg('after', 20), clientsPerRegion: arg('clients', 4), sagaTimeoutSeconds: arg('saga-timeout', 120) }).then(
    (f) => {
      process.stdout.write(`\n${formatFigures(f)}\n`);
      process.exit(f.duplicates === 0 && f.sagasComplete === f.ordersInB ? 0 : 1);
    },
    (e: Error) => {
      process.stderr.write(`drill failed: ${e.stack ?? e.message}\n`);
      process.exit(1);
    },
  );
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void stopAll().finally(() => process.exit(130)));
}
