/**
 * Rollouts without a failed request, on real processes.
 *
 * Two instances of the monolith bundle (HTTP, relay and consumers, as a pod or an app server runs
 * it) serve behind a small load balancer that does what the ALB and kube-proxy do: it health-checks
 * /readyz and routes only to instances that passed, keeps connections to them alive, and when an
 * instance is deregistered it stops routing to it only after a propagation delay. Under steady
 * checkout and read load the instances are replaced one by one as a rolling update does:
 * deregister, the preStop delay, SIGTERM, wait for the exit, start a new one, wait until the load
 * balancer finds it healthy. Not one request may fail, and every order placed completes the saga.
 *
 * Then: a request in flight at SIGTERM is answered; PostgreSQL stopped for 1.5 s under an instance
 * does not make it unready when the outage is shorter than READINESS_TOLERANCE_MS (and does when it
 * is longer); an instance that never reached its database is not ready, and is alive all the same.
 */
jest.setTimeout(900000);
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long the load balancer takes to act on a deregistration (the ALB controller, kube-proxy). */
const PROPAGATION_MS = 400;
/** How long PostgreSQL is down in the outage test. */
const OUTAGE_MS = 1500;
/** The preStop delay: the load balancer has let the instance go before SIGTERM. */
const PRE_STOP_MS = 1200;
/** Health checks: interval, timeout, and consecutive results that change a target's state (like the ALB's thresholds). */
const HEALTH_INTERVAL_MS = 200;
const HEALTH_TIMEOUT_MS = 2000;
const HEALTHY_THRESHOLD = 2;
const UNHEALTHY_THRESHOLD = 3;

const PRODUCTS = [
  { id: 'rr-1', price: 700 },
  { id: 'rr-2', price: 1900 },
];

let dir: string;
const children = new Set<ChildProcess>();

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A service process from its bundle, with its output kept and its exit awaitable. */
class Instance {
  readonly child: ChildProcess;
  log = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(
    readonly name: string,
    readonly port: number,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, [path.join(dir, 'monolith.mjs')], {
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(this.child);
    const keep = (d: Buffer) => (this.log = (this.log + String(d)).slice(-20000));
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => children.delete(this.child));
  }
  url(p: string): string {
    return `http://127.0.0.1:${this.port}${p}`;
  }
}

interface Backend {
  name: string;
  port: number;
  agent: http.Agent;
  healthy: boolean;
  inService: boolean;
  ok: number;
  failed: number;
  timer: NodeJS.Timeout;
}

/**
 * A load balancer as the ALB (IP targets) and kube-proxy behave for this purpose: only healthy,
 * registered targets get requests; keep-alive connections to targets; a deregistration takes
 * effect after {@link PROPAGATION_MS}, after which the target's idle connections are closed. It
 * neither retries nor queues: a request it cannot deliver is answered 502, as the ALB does.
 */
class LoadBalancer {
  private readonly backends = new Map<string, Backend>();
  private next = 0;
  private server!: http.Server;
  port = 0;
  readonly errors: string[] = [];
  /** Health-check results that changed a target's state, for the record. */
  readonly transitions: string[] = [];

  async listen(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60000;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  register(name: string, port: number): void {
    const b: Backend = { name, port, agent: new http.Agent({ keepAlive: true, maxSockets: 16 }), healthy: false, inService: true, ok: 0, failed: 0, timer: undefined as unknown as NodeJS.Timeout };
    b.timer = setInterval(() => void this.check(b), HEALTH_INTERVAL_MS);
    this.backends.set(name, b);
  }

  isHealthy(name: string): boolean {
    return this.backends.get(name)?.healthy ?? false;
  }

  /** Stops routing to `name` once the change has propagated; resolves then. */
  async deregister(name: string): Promise<void> {
    await sleep(PROPAGATION_MS);
    const b = this.backends.get(name);
    if (!b) return;
    b.inService = false;
    for (const sockets of Object.values(b.agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
  }

  remove(name: string): void {
    const b = this.backends.get(name);
    if (!b) return;
    clearInterval(b.timer);
    b.agent.destroy();
    this.backends.delete(name);
  }

  async close(): Promise<void> {
    for (const name of [...this.backends.keys()]) this.remove(name);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async check(b: Backend): Promise<void> {
    const result = await new Promise<string>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: b.port, path: '/readyz', agent: false, timeout: HEALTH_TIMEOUT_MS }, (res) => {
        let text = '';
        res.on('data', (d) => (text += String(d)));
        res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : `${res.statusCode} ${text}`));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)));
      req.on('error', (e) => resolve(e.message));
    });
    const was = b.healthy;
    if (result === 'ok') {
      b.failed = 0;
      if (++b.ok >= HEALTHY_THRESHOLD) b.healthy = true;
    } else {
      b.ok = 0;
      if (++b.failed >= UNHEALTHY_THRESHOLD) b.healthy = false;
    }
    // A target that left the rotation is stopping by design; only those in service count.
    if (was !== b.healthy && b.inService) this.transitions.push(`${new Date().toISOString()} ${b.name} ${b.healthy ? 'healthy' : `unhealthy: ${result}`}`);
  }

  private pick(): Backend | undefined {
    const ready = [...this.backends.values()].filter((b) => b.inService && b.healthy);
    if (ready.length === 0) return undefined;
    return ready[this.next++ % ready.length];
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const b = this.pick();
      if (!b) {
        this.errors.push(`no healthy target for ${req.method} ${req.url}`);
        res.writeHead(503, { 'content-type': 'text/plain' }).end('no healthy target');
        return;
      }
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers, host: `127.0.0.1:${b.port}`, 'content-length': String(body.length) };
      delete headers.connection;
      const up = http.request({ host: '127.0.0.1', port: b.port, method: req.method, path: req.url, headers, agent: b.agent }, (ur) => {
        const out: http.OutgoingHttpHeaders = { ...ur.headers, 'x-target': b.name };
        delete out.connection;
        delete out['keep-alive'];
        delete out['transfer-encoding'];
        res.writeHead(ur.statusCode ?? 502, out);
        ur.pipe(res);
      });
      up.on('error', (err) => {
        this.errors.push(`${b.name}: ${req.method} ${req.url}: ${err.message}`);
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain', 'x-target': b.name });
        res.end(`target failed: ${err.message}`);
      });
      up.end(body);
    });
  }
}

/** Checkouts and reads through the load balancer, paced, over keep-alive connections. */
class Load {
  private stopping = false;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private runs: Promise<void>[] = [];
  requests = 0;
  readonly failures: string[] = [];
  readonly orders: { id: string; total: number }[] = [];

  constructor(private readonly lbPort: number) {}

  start(clients: number, pauseMs: number): void {
    this.runs = Array.from({ length: clients }, (_, c) => this.client(c, pauseMs));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.runs);
    this.agent.destroy();
  }

  private send(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; target: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve) => {
      const req = http.request(
        { host: '127.0.0.1', port: this.lbPort, method, path: p, agent: this.agent, timeout: 10000, headers: { ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}) } },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += String(d)));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text, target: String(res.headers['x-target'] ?? '?') }));
          res.on('error', (e) => resolve({ status: 0, text: e.message, target: '?' }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e) => resolve({ status: 0, text: e.message, target: '?' }));
      req.end(payload);
    });
  }

  private expect(what: string, status: number, r: { status: number; text: string; target: string }): boolean {
    this.requests++;
    if (r.status === status) return true;
    this.failures.push(`${new Date().toISOString()} ${what} -> ${r.status} via ${r.target}: ${r.text.slice(0, 200)}`);
    return false;
  }

  private async client(c: number, pauseMs: number): Promise<void> {
    for (let n = 0; !this.stopping; n++) {
      const product = PRODUCTS[n % PRODUCTS.length];
      const key = `rolling-${c}-${n}`;
      const placed = await this.send('POST', '/orders', { customerId: `rr-c${c}`, items: [{ productId: product.id, quantity: 1 }], payment: { token: 'tok_visa' }, shipping: ADDRESS }, { 'idempotency-key': key });
      if (this.expect(`POST /orders ${key}`, 201, placed)) {
        const order = JSON.parse(placed.text) as { id: string; totalCents: number };
        this.orders.push({ id: order.id, total: order.totalCents });
        this.expect(`GET /orders/${order.id}`, 200, await this.send('GET', `/orders/${order.id}`));
      }
      this.expect(`GET /products/${product.id}`, 200, await this.send('GET', `/products/${product.id}`));
      await sleep(pauseMs);
    }
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rolling-'));
  await buildBundles(dir, { entries: ['monolith'], minify: false });
}, 300000);

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function seedProducts(inventory: Pool): Promise<void> {
  for (const p of PRODUCTS) {
    await inventory.query("INSERT INTO products (id, name, price_cents, currency) VALUES ($1, $1, $2, 'USD')", [p.id, p.price]);
    await inventory.query('INSERT INTO stock (product_id, available) VALUES ($1, $2)', [p.id, 1000000]);
  }
}

describe('under load, behind a load balancer', () => {
  let sys: Awaited<ReturnType<typeof prepare>>;
  let pools: { orders: Pool; inventory: Pool };
  const lb = new LoadBalancer();

  beforeAll(async () => {
    sys = await prepare('rolling', { partitions: 3 });
    pools = { orders: new Pool({ connectionString: sys.orders.url, max: 2 }), inventory: new Pool({ connectionString: sys.inventory.url, max: 2 }) };
    await seedProducts(pools.inventory);
    await lb.listen();
  }, 300000);

  afterAll(async () => {
    await lb.close();
    await Promise.all(Object.values(pools ?? {}).map((p) => p.end()));
    await sys?.drop();
  });

  test('replacing every instance one by one, twice over, fails not one request, and every order completes', async () => {
    const env = { ...sys.env, DB_POOL_MAX: '4' };
    let serial = 0;
    const launch = async () => {
      const inst = new Instance(`i${serial++}`, await freePort(), env);
      lb.register(inst.name, inst.port);
      await eventually(() => Promise.resolve(lb.isHealthy(inst.name)), 60000, `${inst.name} healthy in the load balancer`).catch((e: Error) => {
        throw new Error(`${e.message}\n${inst.log}`);
      });
      return inst;
    };
    const instances = [await launch(), await launch()];
    const load = new Load(lb.port);
    load.start(4, 30);
    await eventually(() => Promise.resolve(load.orders.length >= 20), 60000, 'load running');

    const replaced: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < instances.length; i++) {
        const old = instances[i];
        const before = load.requests;
        // The pod is deleted: the load balancer lets it go while the preStop delay runs.
        const deregistered = lb.deregister(old.name);
        await sleep(PRE_STOP_MS);
        old.child.kill('SIGTERM');
        const { code } = await old.exited;
        await deregistered;
        lb.remove(old.name);
        expect([old.name, code, old.log.includes('"msg":"stopped"')]).toEqual([old.name, 0, true]);
        instances[i] = await launch();
        replaced.push(old.name);
        // Traffic flowed through the replacement, not only around it.
        await eventually(() => Promise.resolve(load.requests > before + 30), 60000, `requests after replacing ${old.name}`);
      }
    }
    await load.stop();
    process.stdout.write(`rolling restart: ${replaced.length} instances replaced, ${load.requests} requests, ${load.orders.length} orders, ${load.failures.length} failed\n`);
    expect({ failures: load.failures, balancer: lb.errors, transitions: lb.transitions.filter((t) => t.includes('unhealthy')) }).toEqual({ failures: [], balancer: [], transitions: [] });
    expect(replaced).toHaveLength(4);
    expect(load.requests).toBeGreaterThan(300);

    // The relay and the consumers stopped cleanly each time: every order went through the saga once.
    await eventually(async () => (await pools.orders.query("SELECT count(*)::int AS n FROM orders WHERE status <> 'CONFIRMED'")).rows[0].n === 0, 180000, 'every order CONFIRMED');
    const { rows } = await pools.orders.query<{ n: number; charged: string }>("SELECT count(*)::int AS n, coalesce(sum(amount_cents), 0)::text AS charged FROM sandbox_ledger WHERE kind = 'charge'");
    expect([rows[0].n, Number(rows[0].charged)]).toEqual([load.orders.length, load.orders.reduce((s, o) => s + o.total, 0)]);
    for (const inst of instances) inst.child.kill('SIGTERM');
    expect((await Promise.all(instances.map((inst) => inst.exited))).map((e) => e.code)).toEqual([0, 0]);
  });

  test('a request in flight when SIGTERM arrives is answered, and its connection closed', async () => {
    const inst = new Instance('inflight', await freePort(), { ...sys.env, RELAY: 'false', CONSUMERS: 'false' });
    await eventually(async () => (await fetch(inst.url('/readyz')).catch(() => undefined))?.status === 200, 60000, 'ready');
    const body = JSON.stringify({ customerId: 'rr-inflight', items: [{ productId: PRODUCTS[0].id, quantity: 1 }], payment: { token: 'tok_visa' }, shipping: ADDRESS });
    const answer = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: inst.port, method: 'POST', path: '/orders', agent: false, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'idempotency-key': 'rr-inflight-1' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
        },
      );
      req.on('error', reject);
      // Half the body now, the rest after SIGTERM: the request is in flight across the signal.
      req.write(body.slice(0, 20));
      setTimeout(() => {
        inst.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(20)), 300);
      }, 200);
    });
    expect(await answer).toEqual({ status: 201, connection: 'close' });
    expect((await inst.exited).code).toBe(0);
  });
});

describe('readiness and dependency outages', () => {
  let lock: Held | undefined;
  let sys: Awaited<ReturnType<typeof prepare>>;
  const ctl = (action: string, name: string) =>
    run('bash', [path.join(REPO_ROOT, 'scripts/servers/ctl.sh'), action, name], { cwd: REPO_ROOT, timeout: 180000, env: { ...process.env, TMPDIR: outerTmpdir() } });

  beforeAll(async () => {
    // PostgreSQL stops and starts: no other test file may be using the servers meanwhile.
    lock = await holdExclusive();
    sys = await prepare('readiness', { exclusive: true });
  }, 900000);

  afterAll(async () => {
    await ctl('start', 'postgres').catch(() => undefined);
    await sys?.drop();
    lock?.release();
  });

  /** Polls /readyz every 100 ms until stopped; returns each answer's status and body status. */
  function watch(inst: Instance) {
    const seen: { status: number; state: string }[] = [];
    let on = true;
    const done = (async () => {
      while (on) {
        const r = await fetch(inst.url('/readyz'), { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
        seen.push(r ? { status: r.status, state: ((await r.json()) as { status: string }).status } : { status: 0, state: 'no answer' });
        await sleep(100);
      }
    })();
    return {
      seen,
      stop: async () => {
        on = false;
        await done;
      },
    };
  }

  async function outage(env: Record<string, string>) {
    const inst = new Instance('outage', await freePort(), { ...sys.env, RELAY: 'false', CONSUMERS: 'false', ...env });
    try {
      await eventually(async () => (await fetch(inst.url('/readyz')).catch(() => undefined))?.status === 200, 60000, 'ready');
      const w = watch(inst);
      // An outage of a known length, well within the default tolerance (a failover is 60-120 s).
      const started = Date.now();
      await ctl('stop', 'postgres');
      await sleep(OUTAGE_MS);
      await ctl('start', 'postgres');
      const restartMs = Date.now() - started;
      // Until the checks pass again (the pools reconnect), then a little longer.
      await eventually(async () => ((await (await fetch(inst.url('/readyz'))).json()) as { status: string }).status === 'ready', 60000, 'dependencies back');
      await sleep(300);
      await w.stop();
      return { seen: w.seen, restartMs };
    } finally {
      inst.child.kill('SIGTERM');
      await inst.exited;
    }
  }

  test('a PostgreSQL outage shorter than the tolerance leaves the instance ready (degraded), and one longer than it does not', async () => {
    const tolerated = await outage({});
    process.stdout.write(`postgres down and back in ${tolerated.restartMs} ms; readiness answers: ${summary(tolerated.seen)}\n`);
    expect(tolerated.seen.some((s) => s.state === 'degraded')).toBe(true);
    expect(tolerated.seen.filter((s) => s.status !== 200)).toEqual([]);

    // The same outage against a tolerance shorter than it: the instance goes unready, then comes back.
    const strict = await outage({ READINESS_TOLERANCE_MS: '200' });
    process.stdout.write(`postgres down and back in ${strict.restartMs} ms; readiness answers with a 200 ms tolerance: ${summary(strict.seen)}\n`);
    expect(strict.seen.some((s) => s.status === 503 && s.state === 'not ready')).toBe(true);
    expect(strict.seen[strict.seen.length - 1]).toEqual({ status: 200, state: 'ready' });
  });

  test('an instance that never reached its database is not ready, and alive all the same', async () => {
    const unreachable = 'postgres://orders:orders@127.0.0.1:1/none';
    const inst = new Instance('unreached', await freePort(), { ...sys.env, ORDERS_DB_URL: unreachable, INVENTORY_DB_URL: unreachable, USERS_DB_URL: unreachable, RELAY: 'false', CONSUMERS: 'false' });
    try {
      await eventually(async () => (await fetch(inst.url('/healthz')).catch(() => undefined))?.status === 200, 60000, 'alive');
      const r = await fetch(inst.url('/readyz'));
      const body = (await r.json()) as { status: string; checks: Record<string, string> };
      expect([r.status, body.status]).toEqual([503, 'not ready']);
      expect(Object.values(body.checks).every((c) => c.startsWith('never reached'))).toBe(true);
    } finally {
      inst.child.kill('SIGTERM');
      await inst.exited;
    }
  });
});

function summary(seen: { status: number; state: string }[]): string {
  const runs: string[] = [];
  for (const s of seen) {
    const label = `${s.status} ${s.state}`;
    const last = runs[runs.length - 1];
    const m = last && /^(.*) ×(\d+)$/.exec(last);
    if (m && m[1] === label) runs[runs.length - 1] = `${label} ×${Number(m[2]) + 1}`;
    else runs.push(`${label} ×1`);
  }
  return runs.join(', ');
}
