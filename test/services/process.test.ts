/** A service process: starts from its entry point, answers, and stops cleanly on SIGTERM. */
jest.setTimeout(120000);
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
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

test('the order service entry starts, is ready, logs JSON, and exits 0 on SIGTERM', async () => {
  const root = path.resolve(__dirname, '..', '..');
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'services/entry/order.ts'], {
    cwd: root,
    env: { ...process.env, ...prepared.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', SERVICE_URLS: 'product=http://127.0.0.1:1,inventory=http://127.0.0.1:1,payment=http://127.0.0.1:1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 60000, 'ready');
    await eventually(() => Promise.resolve(out.includes('"msg":"workers started"')), 60000, 'workers started');
    const line = out.split('\n').find((l) => l.includes('"msg":"listening"'))!;
    expect(JSON.parse(line)).toMatchObject({ level: 30, service: 'order', msg: 'listening' });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('"msg":"stopping"');
  } finally {
    child.kill('SIGKILL');
  }
});
