/**
 * Faults under load: the API process, the outbox relay and the consumers are killed with
 * SIGKILL mid-load and restarted; then Kafka and PostgreSQL are restarted. Clients retry with
 * their idempotency key until they get a 201. Afterwards every accepted order exists exactly
 * once, its events were delivered through the whole saga, and stock and charges add up.
 *
 * The services run as real child processes from their esbuild bundles.
 */
jest.setTimeout(900000);
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { buildBundles } from '../../services/build';
import { outerTmpdir } from '../support/scratch';
import { REPO_ROOT } from '../support/servers';
import { ADDRESS, eventually, prepare } from './harness';
import { holdExclusive, type Held } from './server-lock';

const run = promisify(execFile);
const PRODUCTS = [
  { id: 'f-1', price: 500 },
  { id: 'f-2', price: 1500 },
  { id: 'f-3', price: 2500 },
];
const INITIAL_STOCK = 100000;

let lock: Held | undefined;
let sys: Awaited<ReturnType<typeof prepare>> | undefined;
let dir: string;
let pools: { orders: Pool; inventory: Pool; users: Pool };
const procs: Proc[] = [];

class Proc {
  child: ChildProcess | undefined;
  log = '';
  constructor(
    readonly name: string,
    readonly file: string,
    readonly env: Record<string, string>,
  ) {
    procs.push(this);
  }
  start(): void {
    this.child = spawn(process.execPath, [this.file], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => (this.log = (this.log + String(d)).slice(-6000));
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
  }
  kill9(): void {
    this.child?.kill('SIGKILL');
  }
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

// Restarted servers outlive this run's temp directory.
const ctl = (action: string, name: string) =>
  run('bash', [path.join(REPO_ROOT, 'scripts/servers/ctl.sh'), action, name], { cwd: REPO_ROOT, timeout: 180000, env: { ...process.env, TMPDIR: outerTmpdir() } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  lock = await holdExclusive();
  dir = mkdtempSync(path.join(os.tmpdir(), 'faults-'));
  await buildBundles(dir, { entries: ['monolith', 'relay'], minify: false });
  sys = await prepare('faults', { exclusive: true, partitions: 3 });
  const pool = (url: string) => {
    const p = new Pool({ connectionString: url, max: 2 });
    p.on('error', () => undefined); // idle connections die when PostgreSQL restarts
    return p;
  };
  pools = { orders: pool(sys.orders.url), inventory: pool(sys.inventory.url), users: pool(sys.users.url) };
  for (const p of PRODUCTS) {
    await pools.inventory.query("INSERT INTO products (id, name, price_cents, currency) VALUES ($1, $1, $2, 'USD')", [p.id, p.price]);
    await pools.inventory.query('INSERT INTO stock (product_id, available) VALUES ($1, $2)', [p.id, INITIAL_STOCK]);
  }
}, 900000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await Promise.all(Object.values(pools ?? {}).map((p) => p.end()));
  // Leave the servers running for whoever comes next, even if a restart failed half-way.
  await ctl('start', 'postgres').catch(() => undefined);
  await ctl('start', 'kafka').catch(() => undefined);
  await sys?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  lock?.release();
});

test('after kill -9 of the service, the relay and the consumers, and restarts of Kafka and PostgreSQL, every accepted order exists once and completes', async () => {
  const port = await freePort();
  const base = { ...sys!.env, LOG_LEVEL: 'warn', DB_POOL_MAX: '8', HTTP_CLIENT_RETRIES: '0' };
  const api = new Proc('api', path.join(dir, 'monolith.mjs'), { ...base, PORT: String(port), HOST: '127.0.0.1', RELAY: 'false', CONSUMERS: 'false' });
  const relay = new Proc('relay', path.join(dir, 'relay.mjs'), { ...base });
  const workers = new Proc('workers', path.join(dir, 'monolith.mjs'), { ...base, HTTP: 'false', RELAY: 'false' });
  const url = `http://127.0.0.1:${port}`;
  const healthy = () => eventually(async () => (await fetch(`${url}/healthz`)).status === 200, 30000, 'api healthy');
  for (const p of [api, relay, workers]) p.start();
  await healthy();

  // Load: clients place orders; each retries its key until it gets a 201.
  const accepted = new Map<string, { id: string; quantities: Map<string, number>; total: number }>();
  let failures = 0;
  let stopping = false;
  const client = async (c: number) => {
    for (let n = 0; !stopping; n++) {
      const key = `fault-${c}-${n}`;
      const items = [{ productId: PRODUCTS[n % 3].id, quantity: 1 + (n % 2) }];
      const body = JSON.stringify({ customerId: `fc-${c}`, items, payment: { token: 'tok_visa' }, shipping: ADDRESS });
      const deadline = Date.now() + 120000;
      for (;;) {
        try {
          const r = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body, signal: AbortSignal.timeout(5000) });
          if (r.status === 201) {
            const o = (await r.json()) as { id: string; totalCents: number };
            accepted.set(`fc-${c}/${key}`, { id: o.id, quantities: new Map(items.map((i) => [i.productId, i.quantity])), total: o.totalCents });
            // Paced, so the saga keeps up on two cores; the faults still land mid-request.
            await sleep(25);
            break;
          }
          if (r.status < 500) throw new Error(`unexpected ${r.status}: ${await r.text()}`);
          failures++;
        } catch (e) {
          if ((e as Error).message.startsWith('unexpected')) throw e;
          failures++;
        }
        if (Date.now() > deadline) throw new Error(`order ${key} was never accepted`);
        await sleep(100);
      }
    }
  };
  const load = Promise.all(Array.from({ length: 4 }, (_, c) => client(c)));

  const countAccepted = () => accepted.size;
  const steps: string[] = [];
  const fault = async (what: string, f: () => Promise<void>) => {
    const before = countAccepted();
    await f();
    steps.push(what);
    // Let load run on after each fault and make sure orders are still being accepted.
    await eventually(() => Promise.resolve(countAccepted() > before + 20), 120000, `orders accepted after ${what}`);
  };

  await eventually(() => Promise.resolve(countAccepted() > 30), 60000, 'initial load');
  await fault('kill -9 api', async () => {
    api.kill9();
    await sleep(500);
    api.start();
    await healthy();
  });
  await fault('kill -9 relay', async () => {
    relay.kill9();
    await sleep(1000);
    relay.start();
  });
  await fault('kill -9 consumers', async () => {
    workers.kill9();
    await sleep(1000);
    workers.start();
  });
  await fault('restart kafka', async () => {
    await ctl('restart', 'kafka');
  });
  await fault('restart postgres', async () => {
    await ctl('restart', 'postgres');
  });
  stopping = true;
  await load;
  expect(steps).toHaveLength(5);
  process.stdout.write(`faults: ${accepted.size} orders accepted, ${failures} failed attempts retried, steps: ${steps.join(', ')}\n`);
  expect(failures).toBeGreaterThan(0); // the faults did hit requests in flight

  // Every accepted order exists exactly once, under its key, with the id the client was given.
  const rows = (await pools.orders.query<{ id: string; customer_id: string; idempotency_key: string; status: string }>('SELECT id, customer_id, idempotency_key, status FROM orders')).rows;
  const byKey = new Map(rows.map((r) => [`${r.customer_id}/${r.idempotency_key}`, r]));
  expect(byKey.size).toBe(rows.length);
  expect(rows.length).toBe(accepted.size);
  for (const [k, a] of accepted) expect(byKey.get(k)?.id).toBe(a.id);
  const placedEvents = await pools.orders.query("SELECT key, count(*)::int AS n FROM outbox WHERE type = 'OrderPlaced' GROUP BY key HAVING count(*) <> 1");
  expect(placedEvents.rows).toEqual([]);

  // Events delivered: every order completes the saga.
  try {
    await eventually(
      async () => (await pools.orders.query("SELECT count(*)::int AS n FROM orders WHERE status <> 'CONFIRMED'")).rows[0].n === 0,
      180000,
      'every order CONFIRMED',
    );
  } catch (e) {
    const st = (await pools.orders.query('SELECT status, count(*)::int AS n FROM orders GROUP BY status')).rows;
    const ob = (await Promise.all(Object.values(pools).map((p) => p.query('SELECT topic, type, count(*)::int AS n FROM outbox WHERE published_at IS NULL GROUP BY 1, 2')))).map((r) => r.rows);
    throw new Error(`${(e as Error).message}\nstatuses ${JSON.stringify(st)}\nunpublished ${JSON.stringify(ob)}\n${procs.map((p) => `--- ${p.name}\n${p.log}`).join('\n')}`);
  }
  await eventually(async () => (await pools.orders.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')).rows[0].n === 0, 60000, 'outbox drained');

  // One charge per order, of the right amount; stock adds up with nothing left reserved.
  const charges = (await pools.orders.query<{ key: string; amount_cents: number }>("SELECT idempotency_key AS key, amount_cents FROM sandbox_ledger WHERE kind = 'charge'")).rows;
  expect(charges.length).toBe(accepted.size);
  const total = [...accepted.values()].reduce((s, a) => s + a.total, 0);
  expect(charges.reduce((s, c) => s + Number(c.amount_cents), 0)).toBe(total);
  await eventually(async () => (await pools.inventory.query('SELECT sum(reserved)::int AS r FROM stock')).rows[0].r === 0, 60000, 'reservations committed');
  for (const p of PRODUCTS) {
    const sold = [...accepted.values()].reduce((s, a) => s + (a.quantities.get(p.id) ?? 0), 0);
    const st = (await pools.inventory.query('SELECT available FROM stock WHERE product_id = $1', [p.id])).rows[0];
    expect(st.available).toBe(INITIAL_STOCK - sold);
  }
  // The order topic's consumers saw each OrderPlaced once in effect.
  await eventually(
    async () => (await pools.users.query("SELECT value::int AS v FROM analytics_daily WHERE metric = 'orders_placed'")).rows.reduce((s, r) => s + r.v, 0) === accepted.size,
    60000,
    'analytics counted every order once',
  );
  await eventually(async () => (await pools.users.query('SELECT count(DISTINCT order_id)::int AS n, count(*)::int AS m FROM notifications')).rows[0].n === accepted.size, 60000, 'one notification per order');
  const dupNotes = await pools.users.query('SELECT order_id FROM notifications GROUP BY order_id HAVING count(*) > 1');
  expect(dupNotes.rows).toEqual([]);
});
