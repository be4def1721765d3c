import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { PhaseSpec } from '../phases';
import { writeReviewManifests } from './k8s/review-manifests';
import { addSecurityChecks } from './nag';
import { PlatformOptions, buildPlatform } from './platform';
import { useCachedTemplateValidation } from './template-validation';

/** Where a phase's assembly is written below the output folder of {@link synthesizePhases}. */
function phaseOutdir(outdir: string, phase: string): string {
  return path.join(outdir, phase);
}

/**
 * Synthesizes each phase as its own App, exactly as `cdk synth -c phase=X` would (same stack
 * names, same construct paths, so the same logical IDs), with cdk-nag and aws-cdk-lib's template
 * validation on. Building several phases in one process is several times faster than one CLI
 * run each. `context` carries cdk.json's feature flags. The Kubernetes manifests for review are
 * written into each assembly. Returns each phase's assembly by phase name.
 */
export function synthesizePhases(outdir: string, specs: readonly PhaseSpec[], context: Record<string, unknown>, options: PlatformOptions = {}): Map<string, CloudAssembly> {
  useCachedTemplateValidation();
  const assemblies = new Map<string, CloudAssembly>();
  for (const spec of specs) {
    const app = new App({ outdir: phaseOutdir(outdir, spec.name), context });
    buildPlatform(app, spec, options);
    writeReviewManifests(app);
    addSecurityChecks(app);
    assemblies.set(spec.name, app.synth());
  }
  return assemblies;
}
