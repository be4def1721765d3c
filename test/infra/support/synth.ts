import * as fs from 'fs';
import * as path from 'path';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { PhaseSpec } from '../../../phases';
import { synthesizePhases } from '../../../lib/synthesize';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '../../..');

/** The feature flags and settings of cdk.json, so that tests build exactly what `cdk synth` builds. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}

/** Synthesizes one phase spec, as `cdk synth` would, into `outdir/<phase>`. */
export function synthesizePhase(outdir: string, spec: PhaseSpec): CloudAssembly {
  return synthesizePhases(outdir, [spec], cdkJsonContext()).get(spec.name)!;
}
