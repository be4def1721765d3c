#!/usr/bin/env node
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { loadPhase } from '../phases';
import { analyzeReachability, formatReachability } from '../lib/review/reachability';
import { synthesizePhases } from '../lib/synthesize';
import { cdkJsonContext } from './cdk-context';

/**
 * Offline reachability check of a phase: synthesizes it and proves that every workload can
 * connect to every endpoint it is configured with. Exits 1 when one cannot.
 */
const program = new Command()
  .name('reachability')
  .description('Check, from the synthesized templates and manifests (no AWS access), that every workload reaches every endpoint it is configured with.')
  .argument('<phase>', 'the phase to check, e.g. 70k')
  .option('--problems', 'print only the problems')
  .option('--json', 'print the report as JSON')
  .action((name: string, options: { problems?: boolean; json?: boolean }) => {
    const spec = loadPhase(name);
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'reachability-'));
    process.on('exit', () => fs.rmSync(outdir, { recursive: true, force: true }));
    const report = analyzeReachability(synthesizePhases(outdir, [spec], cdkJsonContext()).get(spec.name)!);
    if (options.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else if (options.problems) for (const problem of report.problems) console.log(problem.message);
    else console.log(formatReachability(report));
    process.exitCode = report.problems.length ? 1 : 0;
  });

program.parse();
