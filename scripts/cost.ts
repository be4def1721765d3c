#!/usr/bin/env node
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { PHASE_NAMES, loadPhase } from '../phases';
import { COST_CATEGORIES, SpotSaving, estimateCost } from '../lib/cost/estimate';
import { edgeCostLines } from '../lib/cost/edge';
import { interRegionCost, interRegionCostLines } from '../lib/cost/inter-region';
import { TemplateJson } from '../lib/review/upgrade-review';
import { synthesizePhases } from '../lib/synthesize';
import { cdkJsonContext } from './cdk-context';

/** Estimated fixed monthly cost of phases against the roadmap's budgets, from the synthesized templates. */
const program = new Command()
  .name('cost')
  .description('Estimate each phase\'s fixed monthly AWS cost from its templates and compare it with the roadmap\'s budget.')
  .argument('[phases...]', 'phases to estimate (default: all)')
  .option('--lines', 'list every priced resource')
  .action((names: string[], options: { lines?: boolean }) => {
    const specs = (names.length ? names : [...PHASE_NAMES]).map((name) => loadPhase(name));
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-'));
    const assemblies = synthesizePhases(outdir, specs, cdkJsonContext());
    // The templates are read below; the folder (with a copy of the service bundles per phase) is not kept.
    process.on('exit', () => fs.rmSync(outdir, { recursive: true, force: true }));
    const categories = COST_CATEGORIES;
    const usd = (n: number) => `$${Math.round(n).toLocaleString('en-US')}`;
    console.log(`| phase | ${categories.join(' | ')} | total | budget | headroom |`);
    console.log(`|${'---|'.repeat(categories.length + 4)}`);
    let over = false;
    const savings: { phase: string; lines: readonly SpotSaving[] }[] = [];
    for (const spec of specs) {
      const stacks = assemblies.get(spec.name)!.stacks.map((s) => ({ stackName: s.stackName, region: s.environment.region, template: s.template as TemplateJson }));
      const estimate = estimateCost(stacks, [...interRegionCostLines(spec), ...edgeCostLines(spec)]);
      const headroom = 1 - estimate.totalUsd / spec.slo.budgetUsdPerMonth;
      over ||= headroom < 0;
      console.log(
        `| ${spec.name} | ${categories.map((c) => usd(estimate.byCategory[c])).join(' | ')} | ${usd(estimate.totalUsd)} | ${usd(spec.slo.budgetUsdPerMonth)} | ${(headroom * 100).toFixed(0)}% |`,
      );
      if (options.lines) {
        for (const line of [...estimate.lines].sort((a, b) => b.monthlyUsd - a.monthlyUsd)) {
          console.log(`    ${usd(line.monthlyUsd).padStart(9)}  ${line.category.padEnd(10)} ${line.stack}/${line.logicalId}: ${line.what}`);
        }
        for (const saving of estimate.spotSavings) {
          console.log(`    ${usd(-saving.savingUsd).padStart(9)}  spot saving ${saving.stack}/${saving.logicalId}: ${saving.what} at ${usd(saving.spotUsd)} instead of ${usd(saving.onDemandUsd)} on demand`);
        }
      }
      if (estimate.spotSavings.length > 0) savings.push({ phase: spec.name, lines: estimate.spotSavings });
    }
    console.log('\nOn-demand list prices (lib/cost/prices.ts), spot nodes at their share of it; transfer between regions from the capacity model (lib/cost/inter-region.ts); other usage-based charges (requests, I/O, logs, internet egress) excluded.');
    if (savings.length > 0) {
      console.log('\nSpot capacity: each spot node group\'s nodes (at its desired size) on demand and on spot, per month; the total above has them at spot:\n');
      console.log('| phase | spot node group | nodes | on demand | spot | saving |');
      console.log('|---|---|---|---|---|---|');
      for (const { phase, lines } of savings) {
        for (const l of lines) console.log(`| ${phase} | ${l.stack}/${l.logicalId} | ${l.what} | ${usd(l.onDemandUsd)} | ${usd(l.spotUsd)} | ${usd(l.savingUsd)} |`);
        const sum = (pick: (l: SpotSaving) => number) => lines.reduce((total, l) => total + pick(l), 0);
        console.log(`| ${phase} | all | | ${usd(sum((l) => l.onDemandUsd))} | ${usd(sum((l) => l.spotUsd))} | ${usd(sum((l) => l.savingUsd))} |`);
      }
    }
    const multi = specs.filter((spec) => spec.regions.length > 1);
    if (multi.length > 0) {
      console.log('\nJoining the regions: VPC peering (built) against Transit Gateway (not built), per month:');
      console.log('| phase | transfer between regions | VPC peering | Transit Gateway |');
      console.log('|---|---|---|---|');
      for (const spec of multi) {
        const c = interRegionCost(spec);
        console.log(`| ${spec.name} | ${c.gbPerMonth.toFixed(1)} GB | ${usd(c.peeringUsd)} | ${usd(c.transitGatewayUsd)} |`);
      }
    }
    process.exitCode = over ? 1 : 0;
  });

program.parse();
