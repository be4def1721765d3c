import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '../../../..');

/**
 * The path of a third-party binary the tests need, or an error that names the script that
 * installs it: a missing tool fails the test, never skips it.
 */
export function requireTool(name: string, candidates: string[], installScript: string): string {
  for (const candidate of candidates) {
    if (candidate.includes('/') ? fs.existsSync(candidate) : whichSync(candidate)) return candidate.includes('/') ? candidate : whichSync(candidate)!;
  }
  throw new Error(`${name} is not installed: run \`bash ${installScript}\` (it installs ${name} idempotently), then run the tests again.`);
}

function whichSync(binary: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
