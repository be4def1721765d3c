/**
 * Checkout benchmark on this machine.
 *
 * 1. pgbench runs the checkout's SQL (catalogue read, stock read, and the one-statement insert
 *    of order, items and outbox event) against the local PostgreSQL, prepared as the service
 *    prepares it: the database's limit here.
 * 2. autocannon drives POST /orders on the monolith bundle (relay and consumers off, so both
 *    sides do the same work) at full speed: the service's peak orders/s and latency.
 * 3. a paced open-loop client at 80% of that peak (requests evenly spaced; latency counted from
 *    each request's scheduled start, so queueing is not hidden): p99 must stay under 50 ms.
 *    autocannon's own rate limit is a per-connection budget per second, which sends in bursts
 *    and so measures the peak again rather than a steady 80%.
 * It prints the service/pgbench ratio (target >= 0.70).
 *
 * `--pin`: PostgreSQL (primary and replica, every process) runs on CPU 0, and everything else
 * (pgbench's client, the service, the load generator) on CPU 1, as in AWS where the database
 * has its own machine. Without it all of them share every core, and the service's run gives
 * PostgreSQL less CPU than pgbench's run did.
 *
 *   bash scripts/servers/up.sh && npx tsx bench/checkout.ts [--seconds 15] [--connections 16] [--cpu-prof DIR]
 */
import { spawn, execFile } from 'node:child_process';
import * as net from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { buildBundles } from '../services/build';
import { migrate } from '../services/tools/migrate-lib';
import { INSERT_ORDER_SQL } from '../services/order/repository';
import { PG_PRIMARY, SERVERS_DIR, createTestDatabase, waitForServers } from '../test/support/servers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  '2xx': number;
}

const run = promisify(execFile);
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = arg('--seconds', 15);
const CONNECTIONS = arg('--connections', 16);
/** Service worker processes sharing the port (PROCESSES, node:cluster), as app servers run one per vCPU. */
const PROCESSES = arg('--processes', 1);
/** Share of the peak rate for the paced run (the target is stated at 0.8). */
const FRACTION = arg('--fraction', 0.8);
/** Connections per service process to PostgreSQL (default: client connections / processes). */
const POOL = arg('--pool', 0);
/**
 * The service prepares its checkout statements once per connection (named statements);
 * pgbench does the same with -M prepared. `--pgbench-extended 1` parses every time instead.
 */
const PREPARED = arg('--pgbench-extended', 0) !== 1;
/**
 * `--socket DIR`: both pgbench and the service reach PostgreSQL over its Unix socket in DIR
 * (e.g. .servers/pg/run) instead of loopback TCP. Clients still reach the service over TCP.
 */
const SOCKET = (() => {
  const i = process.argv.indexOf('--socket');
  return i > 0 ? path.resolve(process.argv[i + 1]) : undefined;
})();
/** `--cpu-prof DIR`: the service process writes a V8 CPU profile to DIR when it stops (open it in Chrome DevTools). */
const CPU_PROF = (() => {
  const i = process.argv.indexOf('--cpu-prof');
  return i > 0 ? path.resolve(process.argv[i + 1]) : undefined;
})();
const PIN = process.argv.includes('--pin');
const PRODUCTS = 20;

/** Every process of the local PostgreSQL servers (postmasters and their children). */
async function postgresProcesses(): Promise<number[]> {
  const pids: number[] = [];
  for (const server of ['primary', 'replica']) {
    const postmaster = Number(readFileSync(path.join(SERVERS_DIR, 'pg', server, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = await run('pgrep', ['-P', String(postmaster)]).then((r) => r.stdout.split('\n').filter(Boolean).map(Number), () => []);
    pids.push(postmaster, ...children);
  }
  return pids;
}

/** Sets the CPU affinity of processes (and all their threads); new backends inherit their postmaster's. */
async function pin(pids: number[], cpus: string): Promise<void> {
  for (const pid of pids) await run('taskset', ['-a', '-p', '-c', cpus, String(pid)]);
}

/** The checkout request and the pgbench script that sends the same SQL. */
function pgbenchScript(): string {
  const insert = INSERT_ORDER_SQL(false)
    .replace(/\$10::uuid/g, 'gen_random_uuid()')
    // The service makes the order id in the client; here the statement makes it and reuses it.
    .replace(/\$1::text/g, 'o.id::text')
    .replace(/\$1\b/g, 'gen_random_uuid()')
    .replace(/\$2\b/g, '0')
    .replace(/\$3\b/g, "'bench-' || :c")
    .replace(/\$4\b/g, "gen_random_uuid()::text")
    .replace(/\$5\b/g, "'0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'")
    .replace(/\$6\b/g, '2500')
    .replace(/\$7\b/g, "'USD'")
    .replace(/\$8::jsonb/g, `'${JSON.stringify(ADDRESS)}'::jsonb`)
    .replace(/\$9::jsonb/g, `'[{"line":0,"product_id":"bench-p-1","quantity":2,"unit_price_cents":1250}]'::jsonb`)
    .replace(/\$11::jsonb/g, `'${JSON.stringify(samplePayload())}'::jsonb`)
    .replace(/\s+/g, ' ')
    .trim();
  return [
    '\\set c random(1, 100000)',
    '\\set p random(1, 20)',
    "SELECT id, name, price_cents, currency, version FROM products WHERE id = ANY(ARRAY['bench-p-' || :p]);",
    "SELECT product_id, available FROM stock WHERE product_id = ANY(ARRAY['bench-p-' || :p]);",
    `${insert};`,
    '',
  ].join('\n');
}

const ADDRESS = { name: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postalCode: 'N1 9GU', country: 'GB' };

function samplePayload() {
  return {
    id: '6a1f8a5c-0f53-4d51-a6c7-1f0cf8e1a001',
    type: 'OrderPlaced',
    key: '0000a5c1-0f53-4d51-a6c7-1f0cf8e1a001',
    occurredAt: '2026-11-25T12:00:00.000Z',
    data: { orderId: '0000a5c1-0f53-4d51-a6c7-1f0cf8e1a001', customerId: 'bench-1', items: [{ productId: 'bench-p-1', quantity: 2, unitPriceCents: 1250 }], totalCents: 2500, currency: 'USD', paymentToken: 'tok_visa', shipping: ADDRESS },
  };
}

async function pgbench(url: string, scriptFile: string): Promise<number> {
  const u = new URL(url);
  const { stdout } = await run(
    'pgbench',
    ['-n', '-M', PREPARED ? 'prepared' : 'extended', '-c', String(CONNECTIONS), '-j', '2', '-T', String(SECONDS), '-f', scriptFile, '-h', SOCKET ?? u.hostname, '-p', u.port, '-U', PG_PRIMARY.user, u.pathname.slice(1)],
    { env: { ...process.env, PGPASSWORD: PG_PRIMARY.password }, maxBuffer: 1 << 24 },
  );
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
  if (!m) throw new Error(`could not read pgbench output:\n${stdout}`);
  return Number(m[1]);
}

async function load(url: string, opts: { seconds: number }): Promise<AutocannonResult> {
  let n = 0;
  const run = `${process.pid}-${Date.now()}`;
  return autocannon({
    url: `${url}/orders`,
    connections: CONNECTIONS,
    duration: opts.seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (req: Record<string, unknown>) => {
          n++;
          const body = { customerId: `bench-${n % 100000}`, items: [{ productId: `bench-p-${(n % PRODUCTS) + 1}`, quantity: 2 }], payment: { token: 'tok_visa' }, shipping: ADDRESS };
          return { ...req, headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${run}-${n}` }, body: JSON.stringify(body) };
        },
      },
    ],
  });
}

/**
 * Sends `rate` requests per second, evenly spaced, for `seconds`; latency from each scheduled
 * start. A light HTTP/1.1 client over keep-alive sockets (pre-built requests, minimal response
 * parsing), so the generator takes as little of the shared CPU as autocannon does.
 */
async function paced(url: string, rate: number, seconds: number): Promise<{ ok: number; failed: number; p50: number; p99: number; seconds: number }> {
  const u = new URL(url);
  const runId = `${process.pid}-paced-${Date.now()}`;
  const latencies: number[] = [];
  let failed = 0;
  type Conn = { socket: net.Socket; busy: boolean; due: number; buf: Buffer };
  const idle: Conn[] = [];
  const all: Conn[] = [];
  const queue: { n: number; due: number }[] = [];
  const request = (n: number) => {
    const body = JSON.stringify({ customerId: `bench-${n % 100000}`, items: [{ productId: `bench-p-${(n % PRODUCTS) + 1}`, quantity: 2 }], payment: { token: 'tok_visa' }, shipping: ADDRESS });
    return `POST /orders HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nIdempotency-Key: bench-${runId}-${n}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  };
  const dispatch = (c: Conn, job: { n: number; due: number }) => {
    c.busy = true;
    c.due = job.due;
    c.socket.write(request(job.n));
  };
  const open = () => {
    const c: Conn = { socket: net.connect({ host: u.hostname, port: Number(u.port) }), busy: false, due: 0, buf: Buffer.alloc(0) };
    c.socket.setNoDelay(true);
    c.socket.on('data', (chunk: Buffer) => {
      c.buf = c.buf.length ? Buffer.concat([c.buf, chunk]) : chunk;
      for (;;) {
        const head = c.buf.indexOf('\r\n\r\n');
        if (head < 0) return;
        const m = /content-length: (\d+)/i.exec(c.buf.subarray(0, head).toString('latin1'));
        const end = head + 4 + (m ? Number(m[1]) : 0);
        if (c.buf.length < end) return;
        const status = Number(c.buf.subarray(9, 12).toString('latin1'));
        c.buf = c.buf.subarray(end);
        if (status === 201) latencies.push(performance.now() - c.due);
        else failed++;
        c.busy = false;
        const next = queue.shift();
        if (next) dispatch(c, next);
        else idle.push(c);
      }
    });
    c.socket.on('error', () => {
      if (c.busy) failed++;
      c.busy = false;
    });
    all.push(c);
    return c;
  };
  for (let i = 0; i < CONNECTIONS; i++) idle.push(open());
  await Promise.all(all.map((c) => new Promise((r) => c.socket.once('connect', r))));
  const start = performance.now();
  let n = 0;
  const total = Math.floor(rate * seconds);
  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      const now = performance.now();
      while (n < total && start + (n * 1000) / rate <= now) {
        const job = { n, due: start + (n * 1000) / rate };
        n++;
        const c = idle.pop() ?? (all.length < 256 ? open() : undefined);
        if (c) dispatch(c, job);
        else queue.push(job);
      }
      if (n >= total) {
        clearInterval(tick);
        done();
      }
    }, 1);
  });
  const deadline = performance.now() + 30000;
  while ((queue.length > 0 || all.some((c) => c.busy)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const elapsed = (performance.now() - start) / 1000;
  for (const c of all) c.socket.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 10) / 10 : NaN);
  return { ok: latencies.length, failed, p50: pct(0.5), p99: pct(0.99), seconds: elapsed };
}

async function main(): Promise<void> {
  await waitForServers({ names: ['postgres'], timeoutMs: 10000 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-checkout-'));
  const db = await createTestDatabase('bench_checkout');
  let child: ReturnType<typeof spawn> | undefined;
  const allCpus = `0-${os.cpus().length - 1}`;
  try {
    if (PIN) {
      if (os.cpus().length < 2) throw new Error('--pin needs at least 2 CPUs');
      await pin(await postgresProcesses(), '0');
      // This process (the load generator) and its children (pgbench, the service) on CPU 1.
      await pin([process.pid], '1');
    }
    for (const role of ['orders', 'inventory', 'users'] as const) await migrate(db.url, role);
    const c = new Client({ connectionString: db.url });
    await c.connect();
    await c.query("INSERT INTO products (id, name, price_cents, currency) SELECT 'bench-p-' || i, 'Product ' || i, 1250, 'USD' FROM generate_series(1, $1) i", [PRODUCTS]);
    await c.query("INSERT INTO stock (product_id, available) SELECT 'bench-p-' || i, 1000000000 FROM generate_series(1, $1) i", [PRODUCTS]);
    await c.end();

    const scriptFile = path.join(dir, 'checkout.sql');
    writeFileSync(scriptFile, pgbenchScript());
    process.stdout.write(`pgbench: ${CONNECTIONS} clients, ${SECONDS} s, the checkout SQL...\n`);
    const tps = await pgbench(db.url, scriptFile);
    const serviceDbUrl = SOCKET ? `${db.url}?host=${encodeURIComponent(SOCKET)}` : db.url;

    const [bundle] = await buildBundles(dir, { entries: ['monolith'] });
    const port = 39000 + Math.floor(Math.random() * 1000);
    // A larger young generation: fewer scavenges per request burst (the recommended NODE_OPTIONS).
    child = spawn(process.execPath, ['--max-semi-space-size=32', ...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : []), bundle.file], {
      env: { ...process.env, ORDERS_DB_URL: serviceDbUrl, INVENTORY_DB_URL: serviceDbUrl, USERS_DB_URL: serviceDbUrl, PORT: String(port), HOST: '127.0.0.1', RELAY: 'false', CONSUMERS: 'false', LOG_LEVEL: 'warn', DB_POOL_MAX: String(POOL || Math.ceil(CONNECTIONS / PROCESSES)), PROCESSES: String(PROCESSES), METRICS_PORT: String(port + 1) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/healthz`)).ok) break;
      } catch {
        if (i > 200) throw new Error('service did not start');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    process.stdout.write(`service: warm-up, then ${CONNECTIONS} connections, ${SECONDS} s at full speed...\n`);
    await load(url, { seconds: 3 });
    const peak = await load(url, { seconds: SECONDS });
    const peakRate = peak['2xx'] / peak.duration;
    process.stdout.write(`service: ${SECONDS} s paced at ${FRACTION * 100}% of peak (${Math.round(peakRate * FRACTION)} orders/s)...\n`);
    const at80 = await paced(url, Math.floor(peakRate * FRACTION), SECONDS);
    const rate80 = at80.ok / at80.seconds;
    const ratio = peakRate / tps;

    const lines = [
      '',
      `pgbench (same SQL, same PostgreSQL):   ${tps.toFixed(0)} transactions/s (-M ${PREPARED ? 'prepared' : 'extended'})`,
      `service peak:                          ${peakRate.toFixed(0)} orders/s   p50 ${peak.latency.p50} ms   p99 ${peak.latency.p99} ms   non-2xx ${peak.non2xx}   errors ${peak.errors}`,
      `service at ${(FRACTION * 100).toFixed(0)}% of peak (paced):       ${rate80.toFixed(0)} orders/s   p50 ${at80.p50} ms   p99 ${at80.p99} ms   failed ${at80.failed}`,
      `ratio service/pgbench:                 ${ratio.toFixed(2)}   (target >= 0.70: ${ratio >= 0.7 ? 'met' : 'NOT met'})`,
      `p99 at ${(FRACTION * 100).toFixed(0)}% of peak:                    ${at80.p99} ms   (target at 80%: < 50 ms: ${FRACTION !== 0.8 ? 'n/a' : at80.p99 < 50 ? 'met' : 'NOT met'})`,
      `machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; ${PROCESSES} service process(es) with ${POOL || Math.ceil(CONNECTIONS / PROCESSES)} database connections each, ${CONNECTIONS} client connections, ${SECONDS} s runs, PostgreSQL over ${SOCKET ? 'its Unix socket' : 'loopback TCP'}${PIN ? '; PostgreSQL pinned to CPU 0, pgbench, the service and the load generator to CPU 1' : ''}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    if (child && child.exitCode === null) {
      // A clean stop, so that a CPU profile is written.
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
    }
    await db.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    if (PIN) await pin(await postgresProcesses(), allCpus).catch(() => undefined);
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
