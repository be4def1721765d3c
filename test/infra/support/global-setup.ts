import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ASSEMBLY_DIR_VARIABLE, synthErrorFile } from './assembly';
import { PHASE_NAMES, loadPhase } from '../../../phases';
import { ROOT, synthesizePhase } from './synth';
import { openScratch } from '../../support/scratch';

/** The third-party checkers the infra tests run (from PyPI and Debian), installed when missing. */
const TOOL_INSTALLERS = [
  'scripts/tools/install-cfn-lint.sh',
  'scripts/tools/install-checkov.sh',
  'scripts/tools/install-k8s-schema.sh',
  'scripts/tools/install-nginx.sh',
];

function installTools(): void {
  for (const script of TOOL_INSTALLERS) {
    execFileSync('bash', [path.join(ROOT, script)], { cwd: ROOT, stdio: ['ignore', 'ignore', process.stderr], timeout: 15 * 60 * 1000 });
  }
}

/**
 * Synthesizes all six phases once for the whole infra suite. A synthesis error (such as an
 * unacknowledged cdk-nag finding) is kept in a file for the security test to report, so that
 * the other tests still run against the templates that were written.
 */
export default function globalSetup(): void {
  installTools();
  const dir = fs.mkdtempSync(path.join(openScratch(), 'infra-assembly-'));
  // Test workers start after this and inherit the variable.
  process.env[ASSEMBLY_DIR_VARIABLE] = dir;
  const started = Date.now();
  const errors: string[] = [];
  for (const name of PHASE_NAMES) {
    try {
      synthesizePhase(dir, loadPhase(name));
    } catch (error) {
      errors.push(`phase ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (errors.length > 0) {
    fs.writeFileSync(synthErrorFile(), errors.join('\n\n'));
  }
  process.stderr.write(`\ninfra: synthesized all six phases in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
