#!/usr/bin/env node
import { Command } from 'commander';
import { loadPhase } from '../phases';
import { DEFAULT_MAX_ATTEMPTS } from '../lib/preflight/clients';
import { formatPreflight } from '../lib/preflight/format';
import { PreflightUsageError, runPreflight } from '../lib/preflight/preflight';

/**
 * Checks, before a deploy, that the AWS account and regions can hold a phase. Exits 0 when they
 * can, 1 when they cannot (each failure with its fix), 2 when the check could not run.
 */
const program = new Command()
  .name('preflight')
  .description('Check that the account and regions can hold a phase (AZs, instance offerings, spot prices, quotas, data-store classes).')
  .argument('<phase>', 'the phase to deploy, e.g. 50k')
  .option('--region <region...>', 'check only these of the phase\'s regions')
  .option('--json', 'print the report as JSON')
  .option('--max-attempts <n>', 'attempts per AWS call, retries of throttling included', String(DEFAULT_MAX_ATTEMPTS))
  .action(async (name: string, options: { region?: string[]; json?: boolean; maxAttempts: string }) => {
    try {
      const report = await runPreflight(loadPhase(name), { regions: options.region, maxAttempts: Number(options.maxAttempts) });
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatPreflight(report)}\n`);
      process.exitCode = report.exitCode;
    } catch (error) {
      if (!(error instanceof PreflightUsageError)) throw error;
      console.error(error.message);
      process.exitCode = 2;
    }
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 2;
});
