#!/usr/bin/env node
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command, Option } from 'commander';
import { loadPhase } from '../phases';
import { toMarkdown, toText } from '../lib/plan/document';
import { buildPlan } from '../lib/plan/plan';
import { planBlocks } from '../lib/plan/render';
import { runPreflight } from '../lib/preflight/preflight';
import { synthesizePhases } from '../lib/synthesize';
import { cdkJsonContext } from './cdk-context';

/**
 * Everything a reviewer needs to approve a move between two phases, offline: the review, the
 * Kubernetes and Kafka changes, cost and capacity deltas, the deploy order and restarts, the
 * roadmap's checklist with this move's commands and its rollback alarms; with --preflight, the
 * target phase's preflight against the account. Exits 1 on a stateful risk, an unreachable
 * endpoint or a failed preflight; 2 when the preflight could not run.
 */
const program = new Command()
  .name('plan')
  .description('The migration plan between two phases, for review and approval.')
  .argument('<from>', 'the phase deployed now, e.g. 30k')
  .argument('<to>', 'the phase to move to, e.g. 50k')
  .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'))
  .option('--preflight', 'also run the preflight of the target phase against the AWS account (needs credentials)')
  .action(async (fromName: string, toName: string, options: { format: 'text' | 'markdown' | 'json'; preflight?: boolean }) => {
    const from = loadPhase(fromName);
    const to = loadPhase(toName);
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-'));
    process.on('exit', () => fs.rmSync(outdir, { recursive: true, force: true }));
    const assemblies = synthesizePhases(outdir, from.name === to.name ? [from] : [from, to], cdkJsonContext());
    const preflight = options.preflight ? await runPreflight(to) : undefined;
    const plan = buildPlan(from, to, { from: assemblies.get(from.name)!, to: assemblies.get(to.name)! }, preflight);
    const output = options.format === 'json' ? JSON.stringify(plan, null, 2) : options.format === 'markdown' ? toMarkdown(planBlocks(plan)) : toText(planBlocks(plan));
    process.stdout.write(`${output}\n`);
    process.exitCode = plan.exitCode;
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 2;
});
