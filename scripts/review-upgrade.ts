#!/usr/bin/env node
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { PHASES, loadPhase, withHome } from '../phases';
import { analyzeReachability } from '../lib/review/reachability';
import { deployOrder, restartsOf } from '../lib/review/restarts';
import { reviewUpgrade, summarize } from '../lib/review/upgrade-review';
import { synthesizePhases } from '../lib/synthesize';
import { cdkJsonContext } from './cdk-context';

/**
 * Offline migration review between two phases: every resource added, changed, replaced or
 * deleted, with stateful replacements flagged as errors, and the target phase's reachability
 * (every workload to every endpoint it is configured with). Exits 1 when the move is unsafe or
 * an endpoint is unreachable.
 */
const program = new Command()
  .name('review-upgrade')
  .description('Review the move between two phases from their synthesized templates (no AWS access).')
  .argument('<from>', 'the phase deployed now, e.g. 30k')
  .argument('<to>', 'the phase to move to, e.g. 50k')
  .option('--all', 'list every change, not only replacements and deletions')
  .option('--json', 'print the review as JSON')
  .option('--home-region <region>', 'review <to> as built after a failover moved the writes to this region (cdk deploy -c homeRegion=...)')
  .action((fromName: string, toName: string, options: { all?: boolean; json?: boolean; homeRegion?: string }) => {
    const from = loadPhase(fromName);
    const phase = loadPhase(toName);
    const to = options.homeRegion ? loadPhase(phase.name, { ...PHASES, [phase.name]: withHome(PHASES[phase.name], options.homeRegion) }) : phase;
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-'));
    process.on('exit', () => fs.rmSync(outdir, { recursive: true, force: true }));
    const context = cdkJsonContext();
    const source = synthesizePhases(path.join(outdir, 'from'), [from], context).get(from.name)!;
    const target = to === from ? source : synthesizePhases(path.join(outdir, 'to'), [to], context).get(to.name)!;
    const toLabel = to.homeRegion ? `${to.name} (home ${to.homeRegion})` : to.name;
    const templatesOf = (assembly: typeof source, label: string) => ({ phase: label, stacks: new Map(assembly.stacks.map((s) => [s.stackName, s.template])) });
    const review = reviewUpgrade(templatesOf(source, from.name), templatesOf(target, toLabel));
    const reachability = analyzeReachability(target);
    const restarts = restartsOf(templatesOf(source, from.name), templatesOf(target, toLabel));
    const order = deployOrder(templatesOf(target, toLabel), new Map(target.stacks.map((s) => [s.stackName, s.dependencies.map((d) => d.id)])));
    if (options.json) {
      process.stdout.write(JSON.stringify({ ...review, restarts, deployOrder: order, reachability }, null, 2) + '\n');
    } else {
      const counts = summarize(review);
      console.log(`${from.name} → ${toLabel}: ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')}`);
      if (review.addedStacks.length) console.log(`new stacks: ${review.addedStacks.join(', ')}`);
      const shown = options.all ? review.changes : review.changes.filter((c) => c.action !== 'add' && c.action !== 'update');
      for (const c of shown) {
        console.log(`  ${c.action.padEnd(11)} ${c.stateful ? 'STATEFUL ' : '         '}${c.stack}/${c.logicalId} (${c.type})${c.causes.length ? ` ← ${c.causes.join(', ')}` : ''}`);
      }
      for (const error of review.errors) console.error(`ERROR ${error}`);
      console.log(review.errors.length ? 'UNSAFE: the move would lose stateful resources.' : 'SAFE: no stateful resource is replaced, deleted or orphaned.');
      if (restarts.length) {
        console.log(`restarts (${restarts.filter((r) => r.outage).length} with an outage):`);
        for (const r of restarts) {
          console.log(`  ${r.outage ? 'OUTAGE ' : 'rolling'} ${r.stack}/${r.logicalId}: ${r.change}: ${r.impact}`);
          if (r.avoid) console.log(`          to avoid it: ${r.avoid}`);
        }
      }
      console.log(`deploy order (cdk deploy --all; database instances of a stack change one at a time): ${order.join(' → ')}`);
      for (const problem of reachability.problems) console.error(`UNREACHABLE ${problem.message}`);
      const ok = reachability.paths.filter((p) => p.ok).length;
      console.log(
        reachability.problems.length
          ? `UNREACHABLE: ${reachability.paths.length - ok} of ${reachability.paths.length} paths from workloads to their endpoints in ${to.name} do not exist.`
          : `REACHABLE: every workload in ${to.name} reaches every endpoint it is configured with (${ok} paths).`,
      );
    }
    process.exitCode = review.errors.length || reachability.problems.length ? 1 : 0;
  });

program.parse();
