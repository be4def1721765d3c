import * as fs from 'fs';
import { ASSEMBLY_DIR, SYNTH_ERROR_FILE } from './assembly';
import { synthesizePhases } from './synth';

/**
 * Synthesizes all six phases once for the whole infra suite. A synthesis error (such as an
 * unacknowledged cdk-nag finding) is kept in a file for the security test to report, so that
 * the other tests still run against the templates that were written.
 */
export default function globalSetup(): void {
  fs.rmSync(ASSEMBLY_DIR, { recursive: true, force: true });
  const started = Date.now();
  try {
    synthesizePhases(ASSEMBLY_DIR);
  } catch (error) {
    fs.mkdirSync(ASSEMBLY_DIR, { recursive: true });
    fs.writeFileSync(SYNTH_ERROR_FILE, error instanceof Error ? error.message : String(error));
  }
  process.stderr.write(`\ninfra: synthesized all six phases in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
