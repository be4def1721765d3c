/**
 * Rotating the services' database password under checkout load, on the local PostgreSQL.
 *
 * The monolith runs as in production, except that its database URLs name a secret file instead
 * of a Secrets Manager ARN (`credentials=<file>`): the same code reads the login of each new
 * connection. A rotation here takes Secrets Manager's four steps on that file: createSecret (a
 * pending version), setSecret (the database user's password, as the admin), testSecret (log in
 * with the pending version), finishSecret (the pending version becomes current, written
 * atomically). Between steps the load pauses, every idle connection of the service is
 * terminated, and the load resumes, so that the next checkouts need new connections.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client, type Pool } from 'pg';
import { createRuntime } from '../../services/main';
import { MODULES } from '../../services/modules';
import { DOMAINS, loadConfig } from '../../services/shared/config';
import { alternateUser, CachedCredentials, parseCredentials, type DbCredentials } from '../../services/shared/credentials';
import { createPool, transaction } from '../../services/shared/db';
import type { Runtime } from '../../services/shared/runtime';
import { SERVICES_ROLE } from '../../services/migrations/app-users';
import { migrate } from '../../services/tools/migrate-lib';
import { checkout, httpInject, seed, type Inject } from './harness';
import { holdShared, type Held } from './server-lock';
import { PG_PRIMARY, REPO_ROOT, createTestDatabase, pgUrl, uniqueName, waitForServers, type TestDatabase } from '../support/servers';

const LOAD_CLIENTS = 6;
/** Bounds of every load run: whichever comes first. */
const MAX_CHECKOUTS = 6000;
const MAX_LOAD_MS = 90000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A secret as Secrets Manager keeps it for the rotation: AWSCURRENT in `file`, AWSPENDING beside it. */
class LocalSecret {
  constructor(readonly file: string) {}

  static create(file: string, login: DbCredentials): LocalSecret {
    const s = new LocalSecret(file);
    s.write(file, login);
    return s;
  }

  current(): DbCredentials {
    return parseCredentials(fs.readFileSync(this.file, 'utf8'), this.file);
  }

  pending(): DbCredentials {
    return parseCredentials(fs.readFileSync(`${this.file}.pending`, 'utf8'), `${this.file}.pending`);
  }

  /** createSecret: a new password, for the other user (alternating) or the same one (single user). */
  createSecret(mode: 'alternating' | 'single'): DbCredentials {
    const current = this.current();
    const pending = { user: mode === 'alternating' ? alternateUser(current.user) : current.user, password: randomBytes(18).toString('base64url') };
    this.write(`${this.file}.pending`, pending);
    return pending;
  }

  /** setSecret, as Secrets Manager's PostgreSQL rotation functions do it, logged in as the admin. */
  async setSecret(admin: Client): Promise<void> {
    const current = this.current();
    const pending = this.pending();
    const exists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [pending.user])).rowCount;
    const sql = exists
      ? await admin.query<{ sql: string }>('SELECT format($3, $1::text, $2::text) AS sql', [pending.user, pending.password, 'ALTER ROLE %I WITH PASSWORD %L'])
      : await admin.query<{ sql: string }>('SELECT format($3, $1::text, $2::text) AS sql', [pending.user, pending.password, 'CREATE ROLE %I WITH LOGIN PASSWORD %L']);
    await admin.query(sql.rows[0].sql);
    if (!exists) await admin.query((await admin.query<{ sql: string }>('SELECT format($3, $1::text, $2::text) AS sql', [current.user, pending.user, 'GRANT %I TO %I'])).rows[0].sql);
  }

  /** testSecret: the pending login works on every database. */
  async testSecret(dbs: TestDatabase[]): Promise<void> {
    const p = this.pending();
    for (const db of dbs) {
      const c = new Client({ host: PG_PRIMARY.host, port: PG_PRIMARY.port, database: db.name, user: p.user, password: p.password });
      await c.connect();
      await c.query('SELECT now()');
      await c.end();
    }
  }

  /** finishSecret: the pending version becomes current (a rename: readers never see half a file). */
  finishSecret(): void {
    fs.renameSync(`${this.file}.pending`, this.file);
  }

  private write(file: string, login: DbCredentials): void {
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ engine: 'postgres', username: login.user, password: login.password }), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }
}

/** Closed-loop checkout clients that can be paused (every request answered, none in flight). */
class CheckoutLoad {
  readonly statuses = new Map<number, number>();
  readonly failures: string[] = [];
  sent = 0;
  private stopped = false;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private readonly done: Promise<void>;
  private readonly started = Date.now();

  constructor(
    private readonly inject: Inject,
    private readonly name: string,
  ) {
    this.done = Promise.all(Array.from({ length: LOAD_CLIENTS }, (_, i) => this.client(i))).then(() => undefined);
  }

  get ok(): number {
    return this.statuses.get(201) ?? 0;
  }

  private async client(i: number): Promise<void> {
    for (let n = 0; ; n++) {
      if (this.gate) await this.gate;
      if (this.stopped || this.sent >= MAX_CHECKOUTS || Date.now() - this.started > MAX_LOAD_MS) return;
      this.sent++;
      this.inFlight++;
      try {
        const r = await this.inject({
          method: 'POST',
          url: '/orders',
          payload: checkout(`${this.name}-c${i}`, [{ productId: 'p1', quantity: 1 }]),
          headers: { 'idempotency-key': `${this.name}-${i}-${n}` },
        });
        this.statuses.set(r.statusCode, (this.statuses.get(r.statusCode) ?? 0) + 1);
        if (r.statusCode !== 201) this.failures.push(`${r.statusCode} ${r.body}`);
      } catch (e) {
        this.failures.push(`request failed: ${(e as Error).message}`);
      } finally {
        if (--this.inFlight === 0) this.idle?.();
      }
    }
  }

  /** Stops sending and waits until every request in flight is answered. */
  async pause(): Promise<void> {
    this.gate ??= new Promise((r) => (this.open = r));
    if (this.inFlight > 0) await new Promise<void>((r) => (this.idle = r));
    this.idle = undefined;
  }

  resume(): void {
    this.open?.();
    this.gate = undefined;
  }

  /** Runs until `count` more checkouts were answered. */
  async more(count: number): Promise<void> {
    const target = this.sent + count;
    while (this.sent < target && !this.stopped && this.sent < MAX_CHECKOUTS && Date.now() - this.started < MAX_LOAD_MS) await sleep(5);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.resume();
    await this.done;
  }
}

interface Rig {
  name: string;
  dbs: TestDatabase[];
  secret: LocalSecret;
  admin: Client;
  rt: Runtime;
  inject: Inject;
  close(): Promise<void>;
}

let lock: Held;
let dir: string;

beforeAll(async () => {
  lock = await holdShared();
  await waitForServers({ names: ['postgres'], timeoutMs: 30000 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rotation-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  lock.release();
});

/**
 * Three databases migrated by the schema tool as the admin, the services' user created by it from
 * the secret, and the monolith (no relay, no consumers: only checkout's path) logging in as that
 * user: at run time from the secret file (`credentials=`), or with the password fixed in the URL
 * as before this change (`fixed`).
 */
async function rig(label: string, mode: 'run-time' | 'fixed'): Promise<Rig> {
  const name = uniqueName(label);
  const dbs = await Promise.all(['orders', 'inv', 'users'].map((d) => createTestDatabase(`${label}_${d}`)));
  // Roles belong to the server, not a database: one user per test keeps parallel files apart.
  const user = uniqueName(`${label}_app`).slice(0, 50);
  const secret = LocalSecret.create(path.join(dir, `${name}.json`), { user, password: randomBytes(18).toString('base64url') });
  const login = secret.current();
  const roles = ['orders', 'inventory', 'users'] as const;
  for (const [i, db] of dbs.entries()) await migrate(`${db.url}?credentials=${encodeURIComponent(secret.file)}`, roles[i], { appUser: login });

  const url = (db: TestDatabase) =>
    mode === 'run-time'
      ? `${db.url}?credentials=${encodeURIComponent(secret.file)}`
      : `postgres://${encodeURIComponent(login.user)}:${encodeURIComponent(login.password)}@${PG_PRIMARY.host}:${PG_PRIMARY.port}/${db.name}`;
  const cfg = loadConfig({
    ORDERS_DB_URL: url(dbs[0]),
    INVENTORY_DB_URL: url(dbs[1]),
    USERS_DB_URL: url(dbs[2]),
    RELAY: 'false',
    CONSUMERS: 'false',
    DAILY_USERS: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'fatal',
  });
  const rt = createRuntime(name, DOMAINS.map((d) => MODULES[d]), cfg);
  const app = rt.buildApp();
  const inject = httpInject(await app.listen({ port: 0, host: '127.0.0.1' }));
  await seed({ inject }, [{ id: 'p1', priceCents: 500, stock: 1_000_000 }]);
  const admin = new Client({ connectionString: pgUrl('postgres') });
  await admin.connect();
  return {
    name,
    dbs,
    secret,
    admin,
    rt,
    inject,
    async close() {
      await rt.stop();
      for (const db of dbs) await db.drop().catch(() => undefined);
      for (const u of [user, alternateUser(user)]) await admin.query(`DROP ROLE IF EXISTS "${u}"`).catch(() => undefined);
      await admin.end();
    },
  };
}

/** Terminates the service's idle connections (the load is paused, so all of them are idle). */
async function dropConnections(r: Rig): Promise<number> {
  const { rows } = await r.admin.query<{ n: number }>(
    "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = ANY($1) AND application_name LIKE $2 AND state = 'idle'",
    [r.dbs.map((d) => d.name), `${r.name}%`],
  );
  // The load resumes at once: a pool may hand out a connection before it has seen that the server
  // ended it, and the statement must then run on another one (services/shared/db.ts).
  return rows[0].n;
}

/** Pause, drop every connection, resume, and let `count` checkouts open new ones. */
async function churn(r: Rig, load: CheckoutLoad, count = 100): Promise<number> {
  await load.pause();
  const dropped = await dropConnections(r);
  load.resume();
  await load.more(count);
  return dropped;
}

/** Users of the service's connections to its databases right now. */
async function connectedUsers(r: Rig): Promise<Map<string, number>> {
  const { rows } = await r.admin.query<{ usename: string; n: number }>(
    'SELECT usename, count(*)::int AS n FROM pg_stat_activity WHERE datname = ANY($1) AND application_name LIKE $2 GROUP BY usename',
    [r.dbs.map((d) => d.name), `${r.name}%`],
  );
  return new Map(rows.map((x) => [x.usename, x.n]));
}

describe('database credentials rotated under checkout load', () => {
  test('with alternating users and credentials read at run time, two rotations lose no checkout and new connections use the new user', async () => {
    const r = await rig('rot_alt', 'run-time');
    const load = new CheckoutLoad(r.inject, r.name);
    const started = Date.now();
    try {
      const first = r.secret.current();
      await load.more(200);
      expect([...(await connectedUsers(r)).keys()]).toEqual([first.user]);

      const users: string[] = [];
      for (let rotation = 1; rotation <= 2; rotation++) {
        const before = r.secret.current();
        const pending = r.secret.createSecret('alternating');
        await churn(r, load);
        await r.secret.setSecret(r.admin);
        // The new password is set; the secret still names the previous user, which still logs in.
        await churn(r, load);
        await r.secret.testSecret(r.dbs);
        await churn(r, load);
        r.secret.finishSecret();
        const dropped = await churn(r, load, 200);
        expect(dropped).toBeGreaterThan(0);
        // Every connection opened since finishSecret logged in as the new current user.
        const now = await connectedUsers(r);
        expect([...now.keys()]).toEqual([pending.user]);
        expect(pending.user).not.toBe(before.user);
        users.push(pending.user);
      }
      // Alternating: the second rotation went back to the first user, with a new password.
      expect(users).toEqual([alternateUser(first.user), first.user]);
      expect(r.secret.current().password).not.toBe(first.password);

      await load.stop();
      expect(load.failures).toEqual([]);
      expect(load.ok).toBe(load.sent);
      expect(load.ok).toBeGreaterThan(1000);
      const stored = new Client({ connectionString: r.dbs[0].url });
      await stored.connect();
      expect((await stored.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(load.ok);
      await stored.end();
      process.stdout.write(`alternating users: ${load.ok} checkouts, 0 failed, two rotations in ${Date.now() - started} ms\n`);
    } finally {
      await load.stop();
      await r.close();
    }
  });

  test('with the password fixed at start (before this change), a rotation makes new connections fail', async () => {
    const r = await rig('rot_fixed', 'fixed');
    const load = new CheckoutLoad(r.inject, r.name);
    try {
      await load.more(200);
      r.secret.createSecret('single');
      await r.secret.setSecret(r.admin);
      await r.secret.testSecret(r.dbs);
      r.secret.finishSecret();
      await churn(r, load, 60);
      await load.stop();
      expect(load.ok).toBeGreaterThan(0);
      expect(load.failures.length).toBeGreaterThan(0);
      expect(load.failures.every((f) => /^5\d\d /.test(f))).toBe(true);
    } finally {
      await load.stop();
      await r.close();
    }
  });

  test('with a single user, reading credentials at run time still fails between setSecret and finishSecret: why the platform alternates users', async () => {
    const r = await rig('rot_single', 'run-time');
    const load = new CheckoutLoad(r.inject, r.name);
    try {
      await load.more(200);
      r.secret.createSecret('single');
      await r.secret.setSecret(r.admin);
      // The secret's current version is the old password, which no longer logs in.
      await churn(r, load, 60);
      await load.pause();
      const failedBetween = load.failures.length;
      r.secret.finishSecret();
      await churn(r, load, 200);
      await load.stop();
      expect(failedBetween).toBeGreaterThan(0);
      // Once the secret is finished, new connections pick it up without a restart.
      expect(load.failures.length).toBe(failedBetween);
    } finally {
      await load.stop();
      await r.close();
    }
  });
});

describe('a connection refused for its password', () => {
  test('reads the credential source again at once and retries, when its cached login was rotated twice', async () => {
    const r = await rig('rot_cache', 'run-time');
    let reads = 0;
    const source = new CachedCredentials(
      'cached secret',
      () => {
        reads++;
        return Promise.resolve(r.secret.current());
      },
      3_600_000,
    );
    const pool: Pool = createPool(r.dbs[0].url, { max: 8, statementTimeoutMs: 5000, applicationName: `${r.name}:cached`, credentials: source });
    try {
      const first = r.secret.current();
      expect((await pool.query('SELECT current_user AS u')).rows[0].u).toBe(first.user);
      // Two rotations: the cached user's password has changed since it was read.
      for (let i = 0; i < 2; i++) {
        r.secret.createSecret('alternating');
        await r.secret.setSecret(r.admin);
        await r.secret.testSecret(r.dbs);
        r.secret.finishSecret();
      }
      await r.admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle'", [`${r.name}:cached`]);
      await sleep(50);
      const results = await Promise.allSettled(Array.from({ length: 40 }, () => pool.query('SELECT current_user AS u, pg_sleep(0.01)')));
      expect(results.filter((x) => x.status === 'rejected')).toEqual([]);
      expect(new Set(results.map((x) => (x as PromiseFulfilledResult<{ rows: { u: string }[] }>).value.rows[0].u))).toEqual(new Set([first.user]));
      expect(reads).toBeGreaterThanOrEqual(2);
    } finally {
      await pool.end();
      await r.close();
    }
  });
});

describe('connections the server ended while idle in the pool', () => {
  test('are dropped and their statements and transactions run on new connections, with no error to the caller', async () => {
    const db = await createTestDatabase('rot_ended');
    const admin = new Client({ connectionString: pgUrl('postgres') });
    await admin.connect();
    const applicationName = uniqueName('rot_ended');
    const pool = createPool(db.url, { max: 6, statementTimeoutMs: 5000, applicationName });
    try {
      await pool.query('CREATE TABLE marks (n int)');
      // Six connections open and idle in the pool.
      await Promise.all(Array.from({ length: 6 }, () => pool.query('SELECT pg_sleep(0.05)')));
      const before = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
      expect(before.rowCount).toBe(6);
      // The server ends all of them while this process's event loop is held (a child process does it
      // synchronously), so the callers below come before the pool has read the news.
      const terminate = `const { Client } = require('pg'); const c = new Client(${JSON.stringify(pgUrl('postgres'))});
        c.connect().then(() => c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [${JSON.stringify(applicationName)}])).then(() => c.end());`;
      execFileSync(process.execPath, ['-e', terminate], { cwd: REPO_ROOT });
      // Give the ended backends time to write their last word, still without letting the pool read it.
      execFileSync(process.execPath, ['-e', 'setTimeout(() => undefined, 100)']);
      const results = await Promise.allSettled([
        ...Array.from({ length: 3 }, (_, i) => pool.query('INSERT INTO marks VALUES ($1)', [i])),
        ...Array.from({ length: 3 }, (_, i) =>
          transaction(pool, async (c) => {
            await c.query('INSERT INTO marks VALUES ($1)', [100 + i]);
          }),
        ),
      ]);
      expect(results.filter((x) => x.status === 'rejected')).toEqual([]);
      // Each statement committed once: none lost, none run twice.
      const marks = await pool.query<{ n: number }>('SELECT n FROM marks ORDER BY n');
      expect(marks.rows.map((x) => x.n)).toEqual([0, 1, 2, 100, 101, 102]);
      const after = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
      expect(after.rows.some((x) => before.rows.some((b) => b.pid === x.pid))).toBe(false);
    } finally {
      await pool.end();
      await admin.end();
      await db.drop().catch(() => undefined);
    }
  });

  test('a statement that fails for another reason is not run again', async () => {
    const db = await createTestDatabase('rot_failed');
    const pool = createPool(db.url, { max: 2, statementTimeoutMs: 5000, applicationName: uniqueName('rot_failed') });
    try {
      await pool.query('CREATE TABLE once (n int PRIMARY KEY)');
      await pool.query('INSERT INTO once VALUES (1)');
      await expect(pool.query('INSERT INTO once VALUES (1)')).rejects.toMatchObject({ code: '23505' });
      await expect(transaction(pool, (c) => c.query('INSERT INTO once VALUES (1)'))).rejects.toMatchObject({ code: '23505' });
    } finally {
      await pool.end();
      await db.drop().catch(() => undefined);
    }
  });
});

describe('a Secrets Manager secret named by ARN', () => {
  test('is read in its own region, shared by concurrent connections, and read again at once when its password is refused', async () => {
    const r = await rig('rot_sm', 'run-time');
    const arn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:orders-app-AbCdEf';
    // Secrets Manager's JSON protocol on loopback, answering with the secret's current version.
    const calls: { target?: string; scope?: string; secretId?: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const secretId = (JSON.parse(body) as { SecretId?: string }).SecretId;
        calls.push({ target: req.headers['x-amz-target'] as string, scope: /Credential=[^/]+\/\d+\/([^/]+\/[^/]+)\//.exec(req.headers.authorization ?? '')?.[1], secretId });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ ARN: arn, Name: 'orders-app', SecretString: fs.readFileSync(r.secret.file, 'utf8'), VersionId: randomBytes(8).toString('hex'), VersionStages: ['AWSCURRENT'] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      AWS_ACCESS_KEY_ID: 'AKIDLOCALROTATIONTEST',
      AWS_SECRET_ACCESS_KEY: 'local-only',
    });
    delete process.env.AWS_PROFILE;
    // The URL's own user (the server's superuser here) is ignored: the secret's user logs in.
    const pool = createPool(`${r.dbs[0].url}?credentials=${arn}`, { max: 8, statementTimeoutMs: 5000, applicationName: `${r.name}:sm` });
    try {
      const first = r.secret.current();
      const users = async () => {
        const results = await Promise.allSettled(Array.from({ length: 20 }, () => pool.query<{ u: string }>('SELECT current_user AS u, pg_sleep(0.01)')));
        expect(results.filter((x) => x.status === 'rejected')).toEqual([]);
        return new Set(results.map((x) => (x as PromiseFulfilledResult<{ rows: { u: string }[] }>).value.rows[0].u));
      };
      expect(await users()).toEqual(new Set([first.user]));
      expect(calls).toEqual([{ target: 'secretsmanager.GetSecretValue', scope: 'eu-central-1/secretsmanager', secretId: arn }]);
      // Two rotations: the login read five minutes ago (the cache) no longer logs in.
      for (let i = 0; i < 2; i++) {
        r.secret.createSecret('alternating');
        await r.secret.setSecret(r.admin);
        await r.secret.testSecret(r.dbs);
        r.secret.finishSecret();
      }
      await r.admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle'", [`${r.name}:sm`]);
      await sleep(50);
      expect(await users()).toEqual(new Set([first.user]));
      expect(calls.length).toBeGreaterThanOrEqual(2);
    } finally {
      await pool.end();
      process.env = saved;
      server.close();
      await r.close();
    }
  });
});

describe("the services' database user", () => {
  test('is created by the migrate CLI from the credential source each URL names, and left alone on the next run', async () => {
    const dbs = await Promise.all(['orders', 'inv', 'users'].map((d) => createTestDatabase(`rot_cli_${d}`)));
    const user = uniqueName('rot_cli_app').slice(0, 50);
    const secret = LocalSecret.create(path.join(dir, `${user}.json`), { user, password: randomBytes(18).toString('base64url') });
    const admin = new Client({ connectionString: pgUrl('postgres') });
    await admin.connect();
    try {
      const root = path.resolve(__dirname, '..', '..');
      const url = (db: TestDatabase) => `${db.url}?credentials=${encodeURIComponent(secret.file)}`;
      const run = () =>
        promisify(execFile)(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'services/tools/migrate.ts'], {
          cwd: root,
          env: { ...process.env, ORDERS_DB_URL: url(dbs[0]), INVENTORY_DB_URL: url(dbs[1]), USERS_DB_URL: url(dbs[2]) },
        });
      const first = await run();
      expect(first.stdout.trim().split('\n')).toEqual([
        `orders: applied 001_outbox_and_processed_events, 002_order_data, 003_payments_shipments_directory, 004_home_region_changes, 005_event_sourcing_complete; services log in as ${user}`,
        `inventory: applied 001_outbox_and_processed_events, 002_catalogue_and_stock, 003_catalog_intents, 004_home_region_changes; services log in as ${user}`,
        `users: applied 001_outbox_and_processed_events, 002_users_notifications_analytics, 004_home_region_changes; services log in as ${user}`,
      ]);
      const login = secret.current();
      for (const db of dbs) {
        const c = new Client({ host: PG_PRIMARY.host, port: PG_PRIMARY.port, database: db.name, user: login.user, password: login.password });
        await c.connect();
        expect((await c.query('SELECT current_user AS u')).rows[0].u).toBe(user);
        await c.end();
      }
      expect((await run()).stdout).toContain(`orders: up to date; services log in as ${user}`);
    } finally {
      for (const db of dbs) await db.drop().catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS "${user}"`).catch(() => undefined);
      await admin.end();
    }
  });

  test('has DML on its tables and no DDL, and the schema tool leaves its password to the rotation', async () => {
    const r = await rig('rot_priv', 'run-time');
    try {
      const login = r.secret.current();
      const app = new Client({ host: PG_PRIMARY.host, port: PG_PRIMARY.port, database: r.dbs[0].name, user: login.user, password: login.password });
      await app.connect();
      try {
        expect((await app.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBeGreaterThanOrEqual(0);
        const refused = async (sql: string) => (await app.query(sql).then(() => 'ok', (e: { code?: string }) => e.code));
        expect(await refused('CREATE TABLE intruder (id int)')).toBe('42501');
        expect(await refused('DROP TABLE orders')).toBe('42501');
        expect(await refused('ALTER TABLE orders ADD COLUMN x int')).toBe('42501');
        expect(await refused('TRUNCATE orders')).toBe('42501');
        expect(await refused('SELECT * FROM schema_migrations')).toBe('42501');
        const member = await app.query('SELECT pg_has_role(current_user, $1, $2) AS m', [SERVICES_ROLE, 'member']);
        expect(member.rows[0].m).toBe(true);
      } finally {
        await app.end();
      }
      // A rotation, then the schema tool again (each deploy runs it): the new user is kept as it is.
      r.secret.createSecret('alternating');
      await r.secret.setSecret(r.admin);
      r.secret.finishSecret();
      const current = r.secret.current();
      await migrate(r.dbs[0].url, 'orders', { appUser: current });
      await migrate(r.dbs[0].url, 'orders', { appUser: { user: current.user, password: 'not-the-password' } });
      for (const l of [login, current]) {
        const c = new Client({ host: PG_PRIMARY.host, port: PG_PRIMARY.port, database: r.dbs[0].name, user: l.user, password: l.password });
        await c.connect();
        await c.query('INSERT INTO shipments (order_id, status) VALUES (gen_random_uuid(), $1)', ['TEST']);
        await c.end();
      }
    } finally {
      await r.close();
    }
  });
});
