/** A service process: starts from its entry point, answers, and stops cleanly on SIGTERM. */
jest.setTimeout(120000);
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBundles } from '../../services/build';
import { eventually, prepare } from './harness';

let prepared: Awaited<ReturnType<typeof prepare>>;

beforeAll(async () => {
  prepared = await prepare('proc');
}, 120000);

afterAll(async () => {
  await prepared?.drop();
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });

/** Services these processes call but never reach in these tests. */
const UNREACHED = 'product=http://127.0.0.1:1,inventory=http://127.0.0.1:1,payment=http://127.0.0.1:1';

/** A service process whose output is collected and whose exit code can be awaited. */
function start(args: string[], env: Record<string, string | undefined>, cwd: string) {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, HOST: '127.0.0.1', SERVICE_URLS: UNREACHED, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { child, out: '', exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))) };
  child.stdout.on('data', (d) => (proc.out += String(d)));
  child.stderr.on('data', (d) => (proc.out += String(d)));
  return proc;
}

test('the order service entry starts, is ready, logs JSON, and exits 0 on SIGTERM', async () => {
  const root = path.resolve(__dirname, '..', '..');
  const port = await freePort();
  const proc = start([path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'services/entry/order.ts'], { ...prepared.env, PORT: String(port) }, root);
  const { child } = proc;
  try {
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 60000, 'ready');
    await eventually(() => Promise.resolve(proc.out.includes('"msg":"workers started"')), 60000, 'workers started');
    const line = proc.out.split('\n').find((l) => l.includes('"msg":"listening"'))!;
    expect(JSON.parse(line)).toMatchObject({ level: 30, service: 'order', msg: 'listening' });
    child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.out).toContain('"msg":"stopping"');
  } finally {
    child.kill('SIGKILL');
  }
});

test('the delivered bundle, started by launch.js with the database password from a secret file, is ready and stops on SIGTERM', async () => {
  // The layout an app server unpacks and the image holds: launch.js beside services/<entry>.mjs.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-'));
  const secrets = path.join(dir, 'secrets');
  fs.mkdirSync(secrets);
  try {
    await buildBundles(path.join(dir, 'services'), { entries: ['order'] });
    fs.copyFileSync(path.resolve(__dirname, '../../lib/compute/runtime/launch.js'), path.join(dir, 'launch.js'));
    // Every database URL loses its password to a placeholder; the password goes to a secret file.
    const env: Record<string, string> = { ...prepared.env };
    for (const key of Object.keys(env).filter((k) => k.endsWith('_DB_URL'))) {
      const url = new URL(env[key]);
      fs.writeFileSync(path.join(secrets, 'pg-local.json'), JSON.stringify({ password: decodeURIComponent(url.password) }));
      env[key] = env[key].replace(`:${url.password}@`, ':{{secret:pg-local:password}}@');
    }
    const port = await freePort();
    const proc = start([path.join(dir, 'launch.js'), 'services/order.mjs'], { ...env, SECRETS_DIR: secrets, PORT: String(port) }, dir);
    const { child } = proc;
    try {
      const ready = await eventually(async () => {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        return r?.status === 200 ? ((await r.json()) as { checks: Record<string, string> }) : undefined;
      }, 60000, 'ready');
      expect(Object.values(ready.checks).every((c) => c === 'ok')).toBe(true);
      expect(Object.keys(ready.checks).length).toBeGreaterThan(0);
      child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('launch.js refuses to start a bundle whose secret is missing, naming the variable', async () => {
  const launch = path.resolve(__dirname, '../../lib/compute/runtime/launch.js');
  const child = spawn(process.execPath, [launch, 'services/order.mjs'], {
    env: { PATH: process.env.PATH, SECRETS_DIR: os.tmpdir(), ORDERS_DB_URL: 'postgres://u:{{secret:pg-absent:password}}@h/db' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += String(d)));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  expect(code).toBe(78);
  expect(err).toContain('launch: ORDERS_DB_URL: cannot read secret pg-absent');
});

test('with PROCESSES=2 a supervisor runs two workers on one port (one of them consuming), replaces a killed one in its role, sums their metrics, and stops them on SIGTERM', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workers-'));
  try {
    await buildBundles(dir, { entries: ['order'] });
    const [port, metricsPort] = [await freePort(), await freePort()];
    const proc = start([path.join(dir, 'order.mjs')], { ...prepared.env, PROCESSES: '2', METRICS_PORT: String(metricsPort), PORT: String(port) }, dir);
    const supervisor = proc.child;
    const workers = () => {
      try {
        return execFileSync('pgrep', ['-P', String(supervisor.pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    };
    try {
      await eventually(async () => workers().length === 2 && (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 60000, 'two workers ready');
      const first = workers();
      // A new connection per request, so that the cluster deals them out to both workers.
      const get = (url: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          http.get(url, { agent: false }, (res) => {
            let body = '';
            res.on('data', (d) => (body += String(d)));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          }).on('error', reject);
        });
      for (let i = 0; i < 40; i++) expect((await get(`http://127.0.0.1:${port}/orders/00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)).status).toBe(404);
      const notFound = (text: string) => Number(/^http_requests_total\{method="GET",route="\/orders\/:id",status="404",service="order"\} (\d+)$/m.exec(text)?.[1] ?? 0);
      // Each worker counted a share; the supervisor's /metrics (what Prometheus scrapes) is their sum.
      const shares = await Promise.all(Array.from({ length: 6 }, async () => notFound((await get(`http://127.0.0.1:${port}/metrics`)).body)));
      for (const share of shares) expect(share > 0 && share < 40).toBe(true);
      const summed = (await get(`http://127.0.0.1:${metricsPort}/metrics`)).body;
      expect(notFound(summed)).toBe(40);

      // The first worker runs the relay and the consumers; the other serves HTTP only.
      const httpOnly = (pid: number) => fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes('CONSUMERS=false');
      const consuming = first.filter((pid) => !httpOnly(pid));
      expect(consuming).toHaveLength(1);

      process.kill(consuming[0], 'SIGKILL');
      await eventually(async () => {
        const now = workers();
        return now.length === 2 && !now.includes(consuming[0]) && (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200;
      }, 30000, 'a replacement worker');
      expect(workers().filter((pid) => !httpOnly(pid))).toHaveLength(1);
      expect(proc.out).toContain('worker exited; starting another');

      supervisor.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      expect(workers()).toEqual([]);
    } finally {
      supervisor.kill('SIGKILL');
      for (const pid of workers()) process.kill(pid, 'SIGKILL');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a supervisor whose metrics port is taken stops with a message, leaving no worker behind', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workers-busy-'));
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  try {
    await buildBundles(dir, { entries: ['order'] });
    const metricsPort = (taken.address() as net.AddressInfo).port;
    const proc = start([path.join(dir, 'order.mjs')], { ...prepared.env, PROCESSES: '2', METRICS_PORT: String(metricsPort), PORT: String(await freePort()), CONSUMERS: 'false' }, dir);
    expect(await proc.exited).toBe(1);
    expect(proc.out).toContain("cannot serve the workers' metrics");
    const noWorkerLeft = () => {
      try {
        execFileSync('pgrep', ['-f', path.join(dir, 'order.mjs')]);
        return false;
      } catch {
        return true;
      }
    };
    await eventually(() => Promise.resolve(noWorkerLeft()), 15000, 'no worker left');
  } finally {
    taken.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
