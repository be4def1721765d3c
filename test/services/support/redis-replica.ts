/**
 * A Redis replica of the local standalone Redis, on a free loopback port: the stand-in for an
 * ElastiCache Global Datastore secondary (read-only; every client write gets READONLY).
 * The caller must stop it (afterAll), also when the test failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import type { HostPort } from '../../support/servers';

export interface RedisReplica {
  port: number;
  url: string;
  /** A client of the replica (for INFO and MONITOR), not used by the services. */
  admin: Redis;
  stop(): Promise<void>;
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

export async function startRedisReplica(master: HostPort, timeoutMs = 30000): Promise<RedisReplica> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-replica-'));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--replicaof', master.host, String(master.port), '--replica-read-only', 'yes'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    admin.disconnect();
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const admin = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  admin.on('error', () => undefined);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await admin.info('replication').catch(() => '');
      if (/master_link_status:up/.test(info) && /master_sync_in_progress:0/.test(info)) break;
      if (child.exitCode !== null) throw new Error(`redis-server --replicaof exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`the Redis replica on ${port} did not sync with ${master.host}:${master.port} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, url: `redis://127.0.0.1:${port}`, admin, stop };
}
