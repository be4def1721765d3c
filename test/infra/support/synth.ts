import * as fs from 'fs';
import * as path from 'path';
import { App, Stage } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { PHASE_NAMES, PhaseName, PhaseSpec, loadPhase } from '../../../phases';
import { addSecurityChecks } from '../../../lib/nag';
import { buildPlatform } from '../../../lib/platform';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '../../..');

/** The feature flags and settings of cdk.json, so that tests build exactly what `cdk synth` builds. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;
}

/** The stage ID a phase is built under when several phases share one app. */
export function stageId(phase: PhaseName): string {
  return `Phase${phase}`;
}

/**
 * Synthesizes the given phases into one cloud assembly, each phase in its own Stage, with cdk-nag
 * on. One app for all phases is several times faster than one `cdk synth` per phase, and the
 * templates are the same: logical IDs depend on the path inside the stack, not on the stage.
 */
export function synthesizePhases(
  outdir: string,
  specs: readonly PhaseSpec[] = PHASE_NAMES.map((name) => loadPhase(name)),
): CloudAssembly {
  const app = new App({ outdir, context: cdkJsonContext() });
  for (const spec of specs) {
    const stage = new Stage(app, stageId(spec.name));
    buildPlatform(stage, spec);
    addSecurityChecks(stage);
  }
  return app.synth();
}
