/**
 * Jest globalTeardown of the services project: stops the servers that global-setup.ts started,
 * once no other jest run that uses them is still going (see the lease files).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LEASE_DIR, STARTED_MARKER, readStarted } from './global-setup';
import { REPO_ROOT, ServerName } from './servers';
import { alive, closeScratch } from './scratch';

/** Dependants first: the replica streams from the primary. */
const STOP_ORDER: readonly ServerName[] = ['ferretdb', 'kafka', 'redis-cluster', 'redis-standalone', 'replica', 'postgres'];

export default function globalTeardown(): void {
  closeScratch();
  if (process.env.SERVERS_AUTOSTART === '0') return;
  fs.rmSync(path.join(LEASE_DIR, String(process.pid)), { force: true });

  let others = 0;
  for (const f of fs.existsSync(LEASE_DIR) ? fs.readdirSync(LEASE_DIR) : []) {
    const pid = Number(f);
    if (Number.isInteger(pid) && alive(pid)) others += 1;
    else fs.rmSync(path.join(LEASE_DIR, f), { force: true });
  }
  if (others > 0) return; // the last run to finish stops them

  const started = readStarted();
  fs.rmSync(STARTED_MARKER, { force: true });
  if (started.length === 0 || process.env.SERVERS_KEEP === '1') return;

  for (const name of STOP_ORDER.filter((n) => started.includes(n))) {
    execFileSync('bash', [path.join(REPO_ROOT, 'scripts/servers/ctl.sh'), 'stop', name], {
      cwd: REPO_ROOT,
      stdio: ['ignore', process.stderr, process.stderr],
      timeout: 5 * 60 * 1000,
    });
  }
}
