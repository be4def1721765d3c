#!/usr/bin/env node
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PHASE_NAMES, loadPhase } from '../phases';
import { synthesizePhases } from '../lib/synthesize';
import { ROOT, cdkJsonContext } from '../scripts/cdk-context';

/**
 * Synthesis time: each phase through the CDK CLI as a user runs it (`cdk synth -c phase=X`), all
 * six phases in one process (as the test suite does), and a one-bucket app as the floor.
 */
function seconds(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const cdk = path.join(ROOT, 'node_modules/.bin/cdk');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));
const tmp = (tag: string) => fs.mkdtempSync(path.join(scratch, `${tag}-`));
const cli = (args: string[]) => execFileSync(cdk, ['synth', '--quiet', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });

const floor = seconds(() => cli(['--app', 'node --import tsx bench/floor-app.ts', '-o', tmp('floor')]));
console.log(`floor (one-bucket app, cdk synth): ${floor.toFixed(2)} s`);

let total = 0;
for (const phase of PHASE_NAMES) {
  const s = seconds(() => cli(['-c', `phase=${phase}`, '-o', tmp(phase)]));
  total += s;
  console.log(`cdk synth -c phase=${phase}: ${s.toFixed(2)} s`);
}
console.log(`six phases, one CLI run each: ${total.toFixed(2)} s in total`);

const specs = PHASE_NAMES.map((name) => loadPhase(name));
const together = seconds(() => synthesizePhases(tmp('all'), specs, cdkJsonContext()));
console.log(`six phases in one app (as the tests do): ${together.toFixed(2)} s`);
