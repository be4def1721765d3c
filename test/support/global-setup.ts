/**
 * Jest globalSetup of the services project: makes sure the local servers run.
 *
 * If some are down it runs scripts/servers/up.sh (which installs what is missing) and records what it
 * started in .servers/jest-started.json; global-teardown.ts stops exactly those at the end of the
 * last concurrent jest run (each run holds a lease file under .servers/jest-leases/).
 *
 * SERVERS_AUTOSTART=0: only check, never start (fails with the command to run).
 * SERVERS_KEEP=1: leave servers that this run started running afterwards.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, SERVERS_DIR, ServerName, downServers, waitForServers } from './servers';
import { openScratch, outerTmpdir } from './scratch';

export const STARTED_MARKER = path.join(SERVERS_DIR, 'jest-started.json');
export const LEASE_DIR = path.join(SERVERS_DIR, 'jest-leases');

export function readStarted(): ServerName[] {
  try {
    const parsed = JSON.parse(fs.readFileSync(STARTED_MARKER, 'utf8')) as { servers?: ServerName[] };
    return Array.isArray(parsed.servers) ? parsed.servers : [];
  } catch {
    return [];
  }
}

export default async function globalSetup(): Promise<void> {
  openScratch();
  if (process.env.SERVERS_AUTOSTART === '0') {
    await waitForServers();
    return;
  }
  fs.mkdirSync(LEASE_DIR, { recursive: true });
  fs.writeFileSync(path.join(LEASE_DIR, String(process.pid)), new Date().toISOString());

  const down = (await downServers()).map((d) => d.name);
  if (down.length === 0) return;

  process.stderr.write(`\nLocal test servers down (${down.join(', ')}): running scripts/servers/up.sh\n`);
  try {
    execFileSync('bash', [path.join(REPO_ROOT, 'scripts/servers/up.sh')], {
      cwd: REPO_ROOT,
      // The servers outlive this run's scratch directory.
      env: { ...process.env, TMPDIR: outerTmpdir() },
      stdio: ['ignore', process.stderr, process.stderr],
      timeout: 20 * 60 * 1000,
    });
  } catch (e) {
    throw new Error(`scripts/servers/up.sh failed (${(e as Error).message}); its logs are in ${SERVERS_DIR}/logs`);
  }
  const started = Array.from(new Set([...readStarted(), ...down]));
  fs.writeFileSync(STARTED_MARKER, JSON.stringify({ servers: started }, null, 2) + '\n');
  await waitForServers({ timeoutMs: 30000 });
}
