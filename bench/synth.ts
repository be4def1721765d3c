#!/usr/bin/env node
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PHASE_NAMES, loadPhase } from '../phases';
import { synthesizePhases } from '../lib/synthesize';
import { BUNDLE_CACHE_DIR } from '../lib/compute/delivery';
import { VALIDATION_CACHE_DIR } from '../lib/template-validation';
import { ROOT, cdkJsonContext } from '../scripts/cdk-context';

/**
 * Synthesis time: `cdk synth -c phase=1m` against a one-bucket app (the floor every CDK app pays)
 * on the same CLI, A/B in one run and interleaved so that both see the same load; 1m once more
 * with the caches emptied (the first synth after a change to the services and the templates);
 * each phase through the CLI; and all six phases in one process, as the test suite builds them.
 */
const ROUNDS = 3;

function seconds(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const cdk = path.join(ROOT, 'node_modules/.bin/cdk');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));
const tmp = (tag: string) => fs.mkdtempSync(path.join(scratch, `${tag}-`));
const cli = (args: string[]) => execFileSync(cdk, ['synth', '--quiet', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
const floorRun = () => cli(['--app', 'node --import tsx bench/floor-app.ts', '-o', tmp('floor')]);
const phaseRun = (phase: string) => () => cli(['-c', `phase=${phase}`, '-o', tmp(phase)]);
const emptyCaches = () => {
  for (const dir of [BUNDLE_CACHE_DIR, VALIDATION_CACHE_DIR]) fs.rmSync(dir, { recursive: true, force: true });
};

console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);

emptyCaches();
const cold = seconds(phaseRun('1m'));
// Warms the CLI and the caches, as any earlier synth does.
floorRun();

const floor: number[] = [];
const warm: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  floor.push(seconds(floorRun));
  warm.push(seconds(phaseRun('1m')));
}
const floorS = median(floor);
const warmS = median(warm);
console.log(`floor (one-bucket app, cdk synth): ${floorS.toFixed(2)} s (median of ${ROUNDS}: ${floor.map((s) => s.toFixed(2)).join(', ')})`);
console.log(`cdk synth -c phase=1m: ${warmS.toFixed(2)} s (median of ${ROUNDS}: ${warm.map((s) => s.toFixed(2)).join(', ')})`);
console.log(`cdk synth -c phase=1m, caches empty (bundles built, every template validated): ${cold.toFixed(2)} s`);
console.log(`ratio 1m / floor: ${(warmS / floorS).toFixed(2)}x (caches empty: ${(cold / floorS).toFixed(2)}x)`);

let total = 0;
for (const phase of PHASE_NAMES) {
  const s = seconds(phaseRun(phase));
  total += s;
  console.log(`cdk synth -c phase=${phase}: ${s.toFixed(2)} s`);
}
console.log(`six phases, one CLI run each: ${total.toFixed(2)} s in total`);

const specs = PHASE_NAMES.map((name) => loadPhase(name));
const together = seconds(() => synthesizePhases(tmp('all'), specs, cdkJsonContext()));
console.log(`six phases in one app (as the tests do): ${together.toFixed(2)} s`);
console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`);
