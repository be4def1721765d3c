/**
 * A reader-writer lock across jest workers (flock(1) on a file): every service test file holds
 * it shared while it uses the local servers; the fault test holds it exclusively while it
 * restarts PostgreSQL and Kafka, so no other file sees those restarts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SERVERS_DIR } from '../support/servers';

// Beside the servers, not in the temp directory: each jest run has a temp directory of its own.
fs.mkdirSync(SERVERS_DIR, { recursive: true });
const LOCK_FILE = path.join(SERVERS_DIR, 'service-tests.lock');

export interface Held {
  release(): void;
}

let shared: { count: number; child: ChildProcess } | undefined;

function acquire(mode: '-s' | '-x', timeoutMs: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    // The lock lives as long as `cat` does: it ends when we close its stdin or this process dies.
    const child = spawn('flock', [mode, LOCK_FILE, '-c', 'echo locked; exec cat'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`could not lock ${LOCK_FILE} (${mode}) within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.once('data', () => {
      clearTimeout(timer);
      resolve(child);
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Shared hold, reference-counted within this worker. */
export async function holdShared(timeoutMs = 600000): Promise<Held> {
  if (!shared) shared = { count: 0, child: await acquire('-s', timeoutMs) };
  shared.count++;
  let released = false;
  return {
    release() {
      if (released || !shared) return;
      released = true;
      if (--shared.count === 0) {
        shared.child.stdin!.end();
        shared = undefined;
      }
    },
  };
}

export async function holdExclusive(timeoutMs = 900000): Promise<Held> {
  const child = await acquire('-x', timeoutMs);
  return { release: () => child.stdin!.end() };
}
