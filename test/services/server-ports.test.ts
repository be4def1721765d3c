/**
 * The local servers' ports: every checkout has a block of its own (scripts/servers/env.sh and
 * test/support/servers.ts compute the same one), no two blocks share a port, and servers that a
 * deleted checkout left running on a block are recognised and stopped by the next checkout that
 * needs those ports (here with PostgreSQL and the standalone Redis of a scratch checkout, on a
 * block that nothing else uses).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import {
  BASE_PORTS,
  PORT_AVOID,
  PORT_BLOCKS,
  PORTS,
  REPO_ROOT,
  blockOffset,
  blockUsable,
  checkoutPortOffset,
  pathBlock,
  portBlock,
} from '../support/servers';

jest.setTimeout(300_000);

const SCRIPTS = path.join(REPO_ROOT, 'scripts', 'servers');

/** Environment for the scripts: nothing of this checkout's env.sh, plus `extra`. */
function scriptEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(SERVERS_|PG|KAFKA|REDIS_|MONGODB_|FERRETDB_)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

function bash(script: string, env: NodeJS.ProcessEnv, timeoutMs = 180_000): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', script], { env, encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A directory that looks like a checkout to the scripts: scripts/servers/* copied in. */
function makeCheckout(dir: string): string {
  const target = path.join(dir, 'scripts', 'servers');
  fs.mkdirSync(target, { recursive: true });
  for (const f of fs.readdirSync(SCRIPTS)) {
    if (f.endsWith('.sh') || f.endsWith('.env')) fs.copyFileSync(path.join(SCRIPTS, f), path.join(target, f));
  }
  return fs.realpathSync(dir);
}

/** What env.sh gives for a checkout, as a PortBlock-like record. */
function bashPorts(checkout: string, extra: Record<string, string> = {}) {
  const r = bash(
    `. "${checkout}/scripts/servers/env.sh" || exit 3
     echo "$SERVERS_PORT_BLOCK_OFFSET $PG_PRIMARY_PORT $PG_REPLICA_PORT $REDIS_STANDALONE_PORT $FERRETDB_PORT"
     echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT $KAFKA2_PORT $KAFKA2_CONTROLLER_PORT"
     echo "$REDIS_CLUSTER_NODES $REDIS_CLUSTER_REPLICA_NODES $REDIS_CLUSTER_BUS_DISTANCE"
     echo "$PG_PRIMARY_URL $REDIS_URL $MONGODB_URL $KAFKA_BOOTSTRAP $KAFKA2_BOOTSTRAP"`,
    scriptEnv(extra),
  );
  return r;
}

function tsPortsText(offset: number): string {
  const b = portBlock(offset);
  const nodes = (ps: readonly number[]) => ps.map((p) => `127.0.0.1:${p}`).join(',');
  return [
    `${offset} ${b.pgPrimary} ${b.pgReplica} ${b.redisStandalone} ${b.ferretdb}`,
    `${b.kafka} ${b.kafkaController} ${b.kafka2} ${b.kafka2Controller}`,
    `${nodes(b.redisClusterMasters)} ${nodes(b.redisClusterReplicas)} ${BASE_PORTS.redisClusterBusDistance}`,
    `postgres://postgres:postgres@127.0.0.1:${b.pgPrimary}/postgres redis://127.0.0.1:${b.redisStandalone} ` +
      `mongodb://127.0.0.1:${b.ferretdb}/ 127.0.0.1:${b.kafka} 127.0.0.1:${b.kafka2}`,
    '',
  ].join('\n');
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'server-ports-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('port blocks', () => {
  test('offset 0 gives the fixed ports the docs name', () => {
    const b = portBlock(0);
    expect([b.pgPrimary, b.pgReplica, b.redisStandalone, b.ferretdb]).toEqual([55432, 55433, 56379, 57017]);
    expect([b.kafka, b.kafkaController, b.kafka2, b.kafka2Controller]).toEqual([59092, 59093, 59192, 59193]);
    expect([...b.redisClusterMasters, ...b.redisClusterReplicas]).toEqual([57001, 57002, 57003, 57004, 57005, 57006]);
    expect(b.redisClusterBus).toEqual([47001, 47002, 47003, 47004, 47005, 47006]);
  });

  test('no port of one block is a port of another (every pair of blocks, offset 0 included)', () => {
    const offsets = [0, ...Array.from({ length: PORT_BLOCKS.count }, (_, n) => blockOffset(n))];
    const sets = offsets.map((o) => new Set(portBlock(o).all));
    for (const s of sets) expect(s.size).toBe(portBlock(0).all.length); // no port twice within a block
    const clashes: string[] = [];
    for (let i = 0; i < offsets.length; i++) {
      for (let j = i + 1; j < offsets.length; j++) {
        for (const p of sets[i]) if (sets[j].has(p)) clashes.push(`offsets ${offsets[i]} and ${offsets[j]} share ${p}`);
      }
    }
    expect(clashes).toEqual([]);
  });

  test('derived blocks stay between the well-known ports and the ephemeral range', () => {
    let ephemeralLow = 32768; // Linux's default
    try {
      ephemeralLow = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    } catch {
      // not Linux: keep the default
    }
    const all = Array.from({ length: PORT_BLOCKS.count }, (_, n) => portBlock(blockOffset(n)).all).flat();
    expect(Math.min(...all)).toBeGreaterThanOrEqual(10000);
    expect(Math.max(...all)).toBeLessThan(Math.min(ephemeralLow, 32768));
  });

  test('no block a path can get holds a port that common local services use by default', () => {
    const reachable = new Set(Array.from({ length: 2000 }, (_, i) => pathBlock(`/home/dev/checkout-${i}`)));
    expect(reachable.size).toBeGreaterThan(200);
    for (const n of reachable) expect(portBlock(blockOffset(n)).all.filter((p) => PORT_AVOID.includes(p))).toEqual([]);
    const skipped = Array.from({ length: PORT_BLOCKS.count }, (_, n) => n).filter((n) => !blockUsable(blockOffset(n)));
    expect(skipped.length).toBeLessThan(PORT_BLOCKS.count / 10);
    for (const n of skipped) expect(reachable.has(n)).toBe(false);
  });

  test('env.sh and servers.ts give the same ports for the same checkout path', () => {
    const names = ['a', 'b c', 'deep/er/checkout', 'x-1', 'x-2', 'x-3', 'x-4', 'x-5'];
    // Also a path whose first block is skipped (it holds a port to avoid), so the next one is taken.
    const rawBlock = (p: string) => parseInt(createHash('md5').update(p).digest('hex').slice(0, 8), 16) % PORT_BLOCKS.count;
    const base = fs.realpathSync(tmp);
    for (let i = 0; !names.some((n) => n.startsWith('skip-')); i++) {
      if (!blockUsable(blockOffset(rawBlock(path.join(base, 'paths', `skip-${i}`))))) names.push(`skip-${i}`);
    }
    const checkouts = names.map((n) => makeCheckout(path.join(tmp, 'paths', n)));
    for (const co of checkouts) {
      const expected = checkoutPortOffset(co, path.join(co, '.servers'), undefined);
      expect(expected).toBe(blockOffset(pathBlock(co)));
      const r = bashPorts(co);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(tsPortsText(expected));
    }
    // The blocks of these paths differ (they could collide by chance, not all eight).
    expect(new Set(checkouts.map(pathBlock)).size).toBeGreaterThan(1);
  });

  test('SERVERS_PORT_OFFSET, the recorded offset and servers made before port blocks, in both', () => {
    const co = makeCheckout(path.join(tmp, 'override'));
    const servers = path.join(co, '.servers');
    for (const o of ['0', '-1234', '6342', '-45977']) {
      expect(checkoutPortOffset(co, servers, o)).toBe(Number(o));
      expect(bashPorts(co, { SERVERS_PORT_OFFSET: o }).stdout).toBe(tsPortsText(Number(o)));
    }
    for (const bad of ['6343', '-45978', '12x', '007', ' 5']) {
      expect(() => checkoutPortOffset(co, servers, bad)).toThrow(/is not an integer/);
      const r = bashPorts(co, { SERVERS_PORT_OFFSET: bad });
      expect(r.status).toBe(3);
      expect(r.stderr).toMatch(/is not an integer/);
    }
    // Servers made before port blocks keep the fixed ports.
    fs.mkdirSync(path.join(servers, 'redis'), { recursive: true });
    expect(checkoutPortOffset(co, servers, undefined)).toBe(0);
    expect(bashPorts(co).stdout).toBe(tsPortsText(0));
    // The recorded offset wins over that; SERVERS_PORT_OFFSET over both.
    fs.writeFileSync(path.join(servers, 'port-offset'), '-700\n');
    expect(checkoutPortOffset(co, servers, undefined)).toBe(-700);
    expect(bashPorts(co).stdout).toBe(tsPortsText(-700));
    expect(bashPorts(co, { SERVERS_PORT_OFFSET: '-35' }).stdout).toBe(tsPortsText(-35));
  });

  test('test files take every server port from test/support/servers.ts', () => {
    const literal = new RegExp(`\\b(${portBlock(0).all.join('|')})\\b`);
    // servers.ts defines them; this file checks the base ports themselves.
    const exempt = [path.join(REPO_ROOT, 'test', 'support', 'servers.ts'), __filename];
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.tsx?$/.test(e.name) && !exempt.includes(p)) {
          fs.readFileSync(p, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              if (literal.test(line)) offenders.push(`${path.relative(REPO_ROOT, p)}:${i + 1}: ${line.trim()}`);
            });
        }
      }
    };
    walk(path.join(REPO_ROOT, 'test'));
    expect(offenders).toEqual([]);
  });
});

// ---------------------------------------------------------------- real servers of scratch checkouts

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

/** A derived block none of whose ports is in use, away from this checkout's own. */
async function freeOffset(): Promise<number> {
  const start = (pathBlock(REPO_ROOT) + 1 + Math.floor(Math.random() * (PORT_BLOCKS.count - 2))) % PORT_BLOCKS.count;
  for (let i = 0; i < PORT_BLOCKS.count; i++) {
    const offset = blockOffset((start + i) % PORT_BLOCKS.count);
    if (offset === PORTS.offset || !blockUsable(offset)) continue;
    const free = await Promise.all(portBlock(offset).all.map(portFree));
    if (free.every(Boolean)) return offset;
  }
  throw new Error('no free port block');
}

/** What up.sh does, for PostgreSQL's primary and the standalone Redis only (no installs). */
const START = `set -euo pipefail
. "$CHECKOUT/scripts/servers/lib.sh"
take_lock
ports_adopt
claim_block start
pg_prepare_root
pg_init_primary
pg_start primary
redis_start standalone`;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is gone for our purposes.
  try {
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

function pidOf(file: string): number {
  return Number(fs.readFileSync(file, 'utf8').split('\n')[0].trim());
}

async function pgAnswers(port: number): Promise<boolean> {
  const c = new Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres', database: 'postgres' });
  try {
    await c.connect();
    const { rows } = await c.query('SELECT 1 AS one');
    return rows[0].one === 1;
  } finally {
    await c.end().catch(() => undefined);
  }
}

function redisPing(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write('PING\r\n'));
    s.setTimeout(3000, () => {
      s.destroy();
      reject(new Error('no PONG'));
    });
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().trim());
    });
    s.once('error', reject);
  });
}

describe('servers of a deleted checkout', () => {
  let offset: number;
  let block: ReturnType<typeof portBlock>;
  let checkout: string;
  let other: string | undefined;
  const pids: number[] = [];

  beforeAll(async () => {
    offset = await freeOffset();
    block = portBlock(offset);
    checkout = makeCheckout(path.join(tmp, 'clone'));
  });

  afterAll(() => {
    const env = scriptEnv({ SERVERS_PORT_OFFSET: String(offset) });
    for (const co of [checkout, other]) {
      if (co && fs.existsSync(path.join(co, 'scripts/servers/down.sh'))) {
        bash(`bash "${co}/scripts/servers/down.sh" --purge`, env);
      }
    }
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    // PostgreSQL's data of a checkout below a directory its OS user cannot enter (see pg_prepare_root).
    const pgElsewhere = `/var/tmp/servers-pg-${createHash('md5').update(checkout).digest('hex').slice(0, 12)}`;
    if (!fs.existsSync(checkout)) fs.rmSync(pgElsewhere, { recursive: true, force: true });
  });

  const start = (co: string) => bash(START, scriptEnv({ CHECKOUT: co, SERVERS_PORT_OFFSET: String(offset) }));

  test('are stopped by a new checkout at the same path, which then starts its own', async () => {
    const first = start(checkout);
    expect(first.stderr).not.toMatch(/ERROR/);
    expect(first.status).toBe(0);
    const servers = path.join(checkout, '.servers');
    const oldPg = pidOf(path.join(servers, 'pg', 'primary', 'postmaster.pid'));
    const oldRedis = pidOf(path.join(servers, 'redis', String(block.redisStandalone), 'redis.pid'));
    pids.push(oldPg, oldRedis);
    await expect(pgAnswers(block.pgPrimary)).resolves.toBe(true);
    await expect(redisPing(block.redisStandalone)).resolves.toBe('+PONG');

    // The folder goes while its servers run; a new clone appears at the same path (same block).
    fs.rmSync(checkout, { recursive: true, force: true });
    expect(alive(oldPg) && alive(oldRedis)).toBe(true);
    makeCheckout(checkout);

    const second = start(checkout);
    expect(second.stderr).not.toMatch(/ERROR/);
    expect(second.status).toBe(0);
    expect(second.stderr).toContain(`stopping stale postgres on port ${block.pgPrimary} (pid ${oldPg})`);
    expect(second.stderr).toContain(`stopping stale redis on port ${block.redisStandalone} (pid ${oldRedis})`);
    expect(alive(oldPg)).toBe(false);
    expect(alive(oldRedis)).toBe(false);
    const newPg = pidOf(path.join(servers, 'pg', 'primary', 'postmaster.pid'));
    const newRedis = pidOf(path.join(servers, 'redis', String(block.redisStandalone), 'redis.pid'));
    pids.push(newPg, newRedis);
    expect([newPg, newRedis]).not.toContain(oldPg);
    await expect(pgAnswers(block.pgPrimary)).resolves.toBe(true);
    await expect(redisPing(block.redisStandalone)).resolves.toBe('+PONG');
  });

  test('a live checkout on the same block is named, with what to do, and left running', () => {
    other = makeCheckout(path.join(tmp, 'other-clone'));
    const r = start(other);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`port ${block.pgPrimary} is taken by postgres`);
    expect(r.stderr).toContain(`of the checkout ${checkout}, which still runs its servers`);
    expect(r.stderr).toContain(`bash ${checkout}/scripts/servers/down.sh`);
    expect(r.stderr).toMatch(/SERVERS_PORT_OFFSET=-?\d+ bash scripts\/servers\/up.sh/);
    expect(pids.slice(2).every(alive)).toBe(true);
  });

  test('a process these scripts did not start is named and left running', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(block.ferretdb, '127.0.0.1', resolve));
    try {
      const r = bash(
        `. "${checkout}/scripts/servers/lib.sh"; claim_port ${block.ferretdb} FerretDB`,
        scriptEnv({ SERVERS_PORT_OFFSET: String(offset) }),
      );
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(
        `port ${block.ferretdb} is taken by a process these scripts did not start (pid ${process.pid}:`,
      );
      expect(r.stderr).toContain('SERVERS_PORT_OFFSET=');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('down.sh stops a Redis whose directory is gone, and escalates to SIGKILL', () => {
    const env = scriptEnv({ SERVERS_PORT_OFFSET: String(offset) });
    const redisPid = pidOf(path.join(checkout, '.servers', 'redis', String(block.redisStandalone), 'redis.pid'));
    const pgPid = pidOf(path.join(checkout, '.servers', 'pg', 'primary', 'postmaster.pid'));
    fs.rmSync(path.join(checkout, '.servers', 'redis'), { recursive: true, force: true });
    const down = bash(`bash "${checkout}/scripts/servers/down.sh"`, env);
    expect(down.status).toBe(0);
    expect(down.stderr).toContain(`stopping stale redis on port ${block.redisStandalone} (pid ${redisPid})`);
    expect(down.stderr).toContain(`stopping PostgreSQL primary (pid ${pgPid})`);
    expect(alive(redisPid)).toBe(false);
    expect(alive(pgPid)).toBe(false);

    // A process that ignores SIGTERM is killed after the bounded wait, and the log says so.
    const r = bash(
      `. "${checkout}/scripts/servers/lib.sh"
       bash -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done' > "$TMPDIR/stubborn" & pid=$!
       until [[ -s "$TMPDIR/stubborn" ]]; do sleep 0.05; done
       stop_process "$pid" "a stubborn server" TERM 1
       wait "$pid" 2>/dev/null || true
       kill -0 "$pid" 2>/dev/null && echo alive || echo gone`,
      env,
    );
    expect(r.stdout.trim()).toBe('gone');
    expect(r.stderr).toMatch(/a stubborn server \(pid \d+\) did not stop within 1s of SIGTERM; killed it \(SIGKILL\)/);
  });

  test('servers of a deleted checkout at another path are stopped by the next checkout on their block', async () => {
    const again = start(checkout);
    expect(again.status).toBe(0);
    const oldPg = pidOf(path.join(checkout, '.servers', 'pg', 'primary', 'postmaster.pid'));
    pids.push(oldPg);
    fs.rmSync(checkout, { recursive: true, force: true });
    const r = start(other!);
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`stopping stale postgres on port ${block.pgPrimary} (pid ${oldPg}): its checkout ${checkout} no longer exists`);
    expect(alive(oldPg)).toBe(false);
    pids.push(pidOf(path.join(other!, '.servers', 'pg', 'primary', 'postmaster.pid')));
    await expect(pgAnswers(block.pgPrimary)).resolves.toBe(true);
  });
});
