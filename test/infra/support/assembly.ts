import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { PhaseName } from '../../../phases';
import { PhaseTemplates, TemplateJson } from '../../../lib/review/upgrade-review';
import { ROOT, stageId } from './synth';

/** Where the infra suite's global setup writes every phase's assembly, once per run. */
export const ASSEMBLY_DIR = path.join(ROOT, 'cdk.out.test');

/** The file the global setup writes when synthesis failed (for example on a cdk-nag finding). */
export const SYNTH_ERROR_FILE = path.join(ASSEMBLY_DIR, 'synth-error.txt');

let cached: CloudAssembly | undefined;

/** The shared assembly of all six phases (synthesized by the global setup). */
export function assembly(): CloudAssembly {
  if (!cached) {
    if (!fs.existsSync(path.join(ASSEMBLY_DIR, 'manifest.json'))) {
      throw new Error(`No assembly in ${ASSEMBLY_DIR}: run the infra tests through jest (its global setup synthesizes every phase).`);
    }
    cached = new CloudAssembly(ASSEMBLY_DIR);
  }
  return cached;
}

/** The error synthesis raised, if any. */
export function synthError(): string | undefined {
  return fs.existsSync(SYNTH_ERROR_FILE) ? fs.readFileSync(SYNTH_ERROR_FILE, 'utf8') : undefined;
}

function phaseAssembly(phase: PhaseName): CloudAssembly {
  return assembly().getNestedAssembly(`assembly-${stageId(phase)}`);
}

/** The stack names a phase deploys. */
export function stackNames(phase: PhaseName): string[] {
  return phaseAssembly(phase)
    .stacks.map((s) => s.stackName)
    .sort();
}

/** A stack's template as JSON. */
export function templateJson(phase: PhaseName, stackName: string): TemplateJson {
  return phaseAssembly(phase).getStackByName(stackName).template;
}

/** A stack's template, for assertions. */
export function template(phase: PhaseName, stackName: string): Template {
  return Template.fromJSON(templateJson(phase, stackName));
}

/** Every template of a phase, by stack name. */
export function phaseTemplates(phase: PhaseName): PhaseTemplates {
  return { phase, stacks: new Map(stackNames(phase).map((name) => [name, templateJson(phase, name)])) };
}

/** The stack artifact (region, termination protection, tags), for stack-level assertions. */
export function stackArtifact(phase: PhaseName, stackName: string) {
  return phaseAssembly(phase).getStackByName(stackName);
}
