#!/usr/bin/env node
import * as readline from 'readline/promises';
import { Command } from 'commander';
import { loadPhase } from '../phases';
import { failoverBudget } from '../lib/failover/budget';
import { afterReturn } from '../lib/failover/plan';
import { FailoverStepError, defaultClients, runFailover } from '../lib/failover/runner';

/**
 * Moves the primary region of a multi-region phase to a secondary region after the primary is
 * lost (lib/failover): promotes the target's PostgreSQL replicas, fails DocumentDB and the cache
 * over, and points every surviving region's services at the new home. Exit 0 done (or nothing
 * to do), 1 a step failed (it names the step to resume from), 2 bad arguments or declined.
 */
const program = new Command()
  .name('failover')
  .description('Fail a multi-region phase over to a secondary region (AWS credentials of the account; the SDK\'s default chain).')
  .requiredOption('--phase <phase>', 'the phase deployed, e.g. 70k')
  .requiredOption('--to <region>', 'the region that becomes the primary, e.g. us-west-2')
  .option('--dry-run', 'print the steps and change nothing')
  .option('--yes', 'do not ask before acting')
  .option('--from-step <id>', 'resume at this step (a failed run names it)')
  .option('--budget', 'print the failover budget of the phase and exit')
  .option('--rebuild', 'print, in order, the steps that rebuild the lost region as a secondary of --to once it answers again, and exit')
  .action(async (options: { phase: string; to: string; dryRun?: boolean; yes?: boolean; fromStep?: string; budget?: boolean; rebuild?: boolean }) => {
    const spec = loadPhase(options.phase);
    const log = (line: string) => process.stdout.write(`${line}\n`);
    if (options.budget) {
      const b = failoverBudget(spec);
      for (const r of b.rows) log(`${r.critical ? '*' : ' '} ${String(r.seconds).padStart(4)} s  ${r.part}  (${r.source})`);
      log(`  ${String(b.totalSeconds).padStart(4)} s  until checkouts succeed in the new primary for every user (* = critical path)`);
      return;
    }
    if (options.rebuild) {
      afterReturn(spec, options.to).forEach((step, i) => log(`${String(i + 1).padStart(2)}. ${step}`));
      return;
    }
    const confirm = async (question: string) => {
      if (!process.stdin.isTTY) throw new Error('no terminal to ask on: pass --yes to act without asking, or --dry-run');
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
      try {
        return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
      } finally {
        rl.close();
      }
    };
    const result = await runFailover({ spec, to: options.to, dryRun: options.dryRun, yes: options.yes, fromStep: options.fromStep, confirm, log, clients: defaultClients });
    if (result.aborted) process.exitCode = 2;
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`failover: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof FailoverStepError ? 1 : 2;
});
