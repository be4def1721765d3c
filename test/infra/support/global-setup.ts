import * as fs from 'fs';
import { ASSEMBLY_DIR, SYNTH_ERROR_FILE } from './assembly';
import { PHASE_NAMES, loadPhase } from '../../../phases';
import { synthesizePhase } from './synth';

/**
 * Synthesizes all six phases once for the whole infra suite. A synthesis error (such as an
 * unacknowledged cdk-nag finding) is kept in a file for the security test to report, so that
 * the other tests still run against the templates that were written.
 */
export default function globalSetup(): void {
  fs.rmSync(ASSEMBLY_DIR, { recursive: true, force: true });
  const started = Date.now();
  const errors: string[] = [];
  for (const name of PHASE_NAMES) {
    try {
      synthesizePhase(ASSEMBLY_DIR, loadPhase(name));
    } catch (error) {
      errors.push(`phase ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (errors.length > 0) {
    fs.mkdirSync(ASSEMBLY_DIR, { recursive: true });
    fs.writeFileSync(SYNTH_ERROR_FILE, errors.join('\n\n'));
  }
  process.stderr.write(`\ninfra: synthesized all six phases in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
