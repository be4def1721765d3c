/**
 * One scratch directory per jest run. Both projects' global setups open it and point TMPDIR at it,
 * so everything the tests write to the temp directory (their own folders, and the `cdk.out*`
 * folders that an App without an outdir leaves behind) goes there, and the global teardown
 * removes it. A run that was killed leaves its folder; the next run removes folders whose
 * jest process is gone.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SCRATCH = 'ORDER_PLATFORM_SCRATCH';
const OUTER_TMPDIR = 'ORDER_PLATFORM_OUTER_TMPDIR';
const PREFIX = 'order-platform-test-';

/** Whether a process is running (signal 0 reaches it, or it exists under another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The temp directory outside the scratch one, for what must outlive the run (servers it starts). */
export function outerTmpdir(): string {
  return process.env[OUTER_TMPDIR] ?? os.tmpdir();
}

/** Creates this run's scratch directory (once per run) and makes it the temp directory. */
export function openScratch(): string {
  const open = process.env[SCRATCH];
  if (open && fs.existsSync(open)) return open;
  const outer = os.tmpdir();
  for (const name of fs.readdirSync(outer).filter((n) => n.startsWith(PREFIX))) {
    const pid = Number(name.slice(PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) fs.rmSync(path.join(outer, name), { recursive: true, force: true });
  }
  const dir = fs.mkdtempSync(path.join(outer, `${PREFIX}${process.pid}-`));
  // Test workers start after the global setups and inherit these.
  process.env[OUTER_TMPDIR] = outer;
  process.env[SCRATCH] = dir;
  process.env.TMPDIR = dir;
  return dir;
}

/** Removes this run's scratch directory and restores the temp directory. */
export function closeScratch(): void {
  const dir = process.env[SCRATCH];
  if (!dir) return;
  fs.rmSync(dir, { recursive: true, force: true });
  process.env.TMPDIR = process.env[OUTER_TMPDIR];
  delete process.env[SCRATCH];
}
