/**
 * The home region read at run time (HOME_REGION_SOURCE): the role derived from it at start, the
 * polling that keeps the role on a failed or doubtful read, and the exit (code 0, the whole
 * process tree) when the home moves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { Registry } from 'prom-client';
import { ConfigError, loadConfig } from '../../services/shared/config';
import { HomeWatcher, homeRegionReader, resolveRegion, type HomeRegionReader } from '../../services/shared/home-region';
import { createLogger } from '../../services/shared/logger';

jest.setTimeout(120000);

const ROOT = path.resolve(__dirname, '..', '..');
const base = {
  ORDERS_DB_URL: 'postgres://u:p@127.0.0.1:1/o',
  INVENTORY_DB_URL: 'postgres://u:p@127.0.0.1:1/i',
  USERS_DB_URL: 'postgres://u:p@127.0.0.1:1/u',
  AWS_REGION: 'us-west-2',
  REGION_API_URLS: 'us-east-1=https://api.us-east-1.internal/,us-west-2=https://api.us-west-2.internal',
};
const log = createLogger('test', 'silent');
let dir: string;
let homeFile: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'home-region-'));
  homeFile = path.join(dir, 'home');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const fileEnv = (extra: Record<string, string> = {}) => ({ ...base, HOME_REGION_SOURCE: `file:${homeFile}`, ...extra });

describe('the role at start', () => {
  test('a process in the home region is primary, with the relay and the consumers', async () => {
    fs.writeFileSync(homeFile, 'us-west-2\n');
    const { cfg, home } = await resolveRegion(fileEnv());
    expect(home).toBe('us-west-2');
    expect(cfg).toMatchObject({ REGION_ROLE: 'primary', RELAY: true, CONSUMERS: true });
    expect(cfg.HOME_API_URL).toBeUndefined();
  });

  test('a process in another region is secondary and forwards to the home region\'s URL, whatever the deployment said', async () => {
    fs.writeFileSync(homeFile, 'us-east-1');
    const { cfg } = await resolveRegion(fileEnv({ REGION_ROLE: 'primary', DAILY_USERS: 'false' }));
    expect(cfg).toMatchObject({ REGION_ROLE: 'secondary', HOME_API_URL: 'https://api.us-east-1.internal', RELAY: false, CONSUMERS: false });
  });

  test('a home without a URL in REGION_API_URLS stops the start, naming the variable and its value', async () => {
    fs.writeFileSync(homeFile, 'eu-west-1');
    await expect(resolveRegion(fileEnv())).rejects.toThrow(
      new ConfigError(['REGION_API_URLS="us-east-1=https://api.us-east-1.internal,us-west-2=https://api.us-west-2.internal": has no URL for the home region eu-west-1 (read from HOME_REGION_SOURCE; known: us-east-1, us-west-2)']),
    );
  });

  test('a file that holds no region name is refused', async () => {
    fs.writeFileSync(homeFile, 'not a region');
    await expect(resolveRegion(fileEnv())).rejects.toThrow(`HOME_REGION_SOURCE=file:${homeFile} holds "not a region", which is not a region name`);
  });

  test('without HOME_REGION_SOURCE the static REGION_ROLE and HOME_API_URL apply', async () => {
    const { cfg, home } = await resolveRegion({ ...base, REGION_ROLE: 'secondary', HOME_API_URL: 'http://home' });
    expect(home).toBeUndefined();
    expect(cfg).toMatchObject({ REGION_ROLE: 'secondary', HOME_API_URL: 'http://home' });
  });

  test('malformed values are refused with the rule', () => {
    expect(() => loadConfig({ ...base, HOME_REGION_SOURCE: 'http://x' })).toThrow('HOME_REGION_SOURCE="http://x": must be ssm:[<region>:]<parameter name> or file:<path>');
    expect(() => loadConfig({ ...base, REGION_API_URLS: 'us-east-1' })).toThrow('REGION_API_URLS="us-east-1": entry "us-east-1" must be <region>=<url>');
    expect(() => loadConfig({ ...base, AWS_REGION: '', HOME_REGION_SOURCE: 'ssm:/shop/home' })).toThrow('AWS_REGION=(unset): must be set when HOME_REGION_SOURCE is set');
  });

  test('the SSM parameter is read in the process\'s region', async () => {
    const ssm = mockClient(SSMClient);
    try {
      ssm.on(GetParameterCommand, { Name: '/shop/home-region' }).resolves({ Parameter: { Value: 'us-east-1' } });
      const client = new SSMClient({ region: 'us-west-2' });
      const reader = homeRegionReader('ssm:/shop/home-region', 'us-west-2', {}, client);
      const { cfg } = await resolveRegion({ ...base, HOME_REGION_SOURCE: 'ssm:/shop/home-region', DAILY_USERS: 'false' }, reader);
      expect(cfg).toMatchObject({ REGION_ROLE: 'secondary', HOME_API_URL: 'https://api.us-east-1.internal' });
      expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([{ Name: '/shop/home-region' }]);
    } finally {
      ssm.restore();
    }
  });

  test('ssm:<region>:<name> reads the parameter in that region, whatever the process\'s region', async () => {
    const ssm = mockClient(SSMClient);
    try {
      ssm.on(GetParameterCommand, { Name: '/orders/platform/home-region' }).resolves({ Parameter: { Value: 'us-west-2' } });
      const reader = homeRegionReader('ssm:us-west-2:/orders/platform/home-region', 'eu-central-1', {});
      await expect(reader.read()).resolves.toBe('us-west-2');
      const call = ssm.commandCalls(GetParameterCommand)[0];
      expect(call.args[0].input).toEqual({ Name: '/orders/platform/home-region' });
      expect(await (call.thisValue as SSMClient).config.region()).toBe('us-west-2');
      expect(() => loadConfig({ ...base, HOME_REGION_SOURCE: 'ssm:not a region:/x' })).toThrow('must be ssm:[<region>:]<parameter name> or file:<path>');
    } finally {
      ssm.restore();
    }
  });

  test('the SSM client honours AWS_ENDPOINT_URL', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    try {
      const reader = homeRegionReader('ssm:/shop/home-region', 'us-west-2', { AWS_ENDPOINT_URL: 'http://127.0.0.1:1' });
      // Nothing listens there: the error is the local endpoint's.
      await expect(reader.read()).rejects.toThrow(/ECONNREFUSED 127\.0\.0\.1:1/);
    } finally {
      for (const [k, v] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  test('when the home moved away from the cache HOME_REDIS_* name, visitors are not counted, with one warning', async () => {
    fs.writeFileSync(homeFile, 'us-east-1');
    const deployedAsHome = await resolveRegion(fileEnv({ REGION_ROLE: 'primary', HOME_REDIS_URL: 'redis://old-home:6379' }));
    expect(deployedAsHome.cfg.DAILY_USERS).toBe(false);
    expect(deployedAsHome.warnings).toEqual([
      'the home region is now us-east-1, and HOME_REDIS_* name the cache of the home this region was deployed with: visitors entering this region are not counted until it is deployed again',
    ]);
    const unchanged = await resolveRegion(fileEnv({ REGION_ROLE: 'secondary', HOME_API_URL: 'https://api.us-east-1.internal', HOME_REDIS_URL: 'redis://home:6379' }));
    expect(unchanged.cfg.DAILY_USERS).toBe(true);
    expect(unchanged.warnings).toEqual([]);
  });
});

describe('watching the home region', () => {
  const cfg = loadConfig({ ...base, HOME_REGION_POLL_MS: '100' });
  const watcher = (reader: HomeRegionReader, onChange: (h: string) => void, registry = new Registry()) =>
    new HomeWatcher({ reader, home: 'us-east-1', cfg, log, registry, onChange });
  const reads = async (registry: Registry) => Object.fromEntries(((await registry.getSingleMetric('home_region_reads_total')!.get()).values).map((v) => [v.labels.outcome, v.value]));

  test('a failed read keeps the role and is counted; a region without a URL is refused; a change is reported once', async () => {
    const answers: (string | Error)[] = ['us-east-1', new Error('throttled'), 'eu-west-1', 'us-west-2', 'us-west-2'];
    const reader: HomeRegionReader = {
      source: 'test',
      read: () => {
        const a = answers.shift() ?? 'us-west-2';
        return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
      },
    };
    const changes: string[] = [];
    const registry = new Registry();
    const w = watcher(reader, (h) => changes.push(h), registry);
    expect(await w.check()).toBe('same');
    expect(await w.check()).toBe('failed');
    expect(await w.check()).toBe('unknown_region');
    expect(changes).toEqual([]);
    expect(await w.check()).toBe('changed');
    expect(await w.check()).toBe('changed');
    expect(changes).toEqual(['us-west-2']);
    expect(await reads(registry)).toEqual({ same: 1, failed: 1, unknown_region: 1, changed: 2 });
  });

  test('a home region that moves away from this one stops it even without a URL for the new home (the lost primary fences itself)', async () => {
    const changes: string[] = [];
    const registry = new Registry();
    const w = new HomeWatcher({ reader: { source: 'test', read: () => Promise.resolve('ap-south-1') }, home: cfg.AWS_REGION, cfg, log, registry, onChange: (h) => changes.push(h) });
    expect(await w.check()).toBe('changed');
    expect(changes).toEqual(['ap-south-1']);
    // Started again, it refuses to run: no URL for the new home.
    fs.writeFileSync(homeFile, 'ap-south-1');
    await expect(resolveRegion(fileEnv({ REGION_ROLE: 'primary' }))).rejects.toThrow('has no URL for the home region ap-south-1');
  });

  test('it polls the file every HOME_REGION_POLL_MS', async () => {
    fs.writeFileSync(homeFile, 'us-east-1');
    const changed = new Promise<string>((resolve) => watcher(homeRegionReader(`file:${homeFile}`, 'us-west-2'), resolve).start());
    await new Promise((r) => setTimeout(r, 350));
    fs.writeFileSync(homeFile, 'us-west-2');
    await expect(changed).resolves.toBe('us-west-2');
  });
});

describe('a service whose home region moves', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/entry/order.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => out, exited };
  }

  async function waitFor(what: string, output: () => string, pattern: RegExp, timeoutMs = 60000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Node.js processes whose parent is `pid` (from /proc). */
  const childrenOf = (pid: number): number[] =>
    fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === pid && fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'node';
        } catch {
          return false;
        }
      })
      .map(Number);

  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  test.each([
    ['one process', '1'],
    ['a supervisor and its workers', '2'],
  ])('%s: drains and exits 0 when the home changes', async (_what, processes) => {
    fs.writeFileSync(homeFile, 'us-west-2');
    const env = fileEnv({ PORT: '0', HOST: '127.0.0.1', METRICS_PORT: String(20000 + Math.floor(Math.random() * 10000)), PROCESSES: processes, RELAY: 'false', CONSUMERS: 'false', HOME_REGION_POLL_MS: '200', SHUTDOWN_GRACE_MS: '500', LOG_LEVEL: 'info', DAILY_USERS: 'false' });
    const p = start(env);
    await waitFor('the service to listen', p.output, processes === '1' ? /"msg":"listening"/ : /"msg":"listening"[\s\S]*"msg":"listening"/);
    const workers = childrenOf(p.child.pid!);
    expect(workers).toHaveLength(processes === '1' ? 0 : 2);
    // A failed read keeps the role: the process stays.
    fs.writeFileSync(homeFile, '');
    await waitFor('a failed read to be logged', p.output, /could not read the home region; keeping the current role/);
    expect(p.child.exitCode).toBeNull();
    fs.writeFileSync(homeFile, 'us-east-1');
    await expect(p.exited).resolves.toBe(0);
    expect(p.output()).toContain('the home region changed; stopping to start again in the new role');
    for (const pid of workers) expect([pid, alive(pid)]).toEqual([pid, false]);
    // Started again, it is a secondary forwarding to the new home.
    const again = start({ ...env, LOG_LEVEL: 'debug' });
    await waitFor('the restarted service to listen', again.output, /"msg":"listening"/);
    expect(again.output()).toMatch(/"home":"us-east-1","role":"secondary".*"msg":"home region read"/);
    again.child.kill('SIGTERM');
    await expect(again.exited).resolves.toBe(0);
  });
});
