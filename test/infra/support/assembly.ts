import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { PhaseName } from '../../../phases';
import { PhaseTemplates, TemplateJson } from '../../../lib/review/upgrade-review';
import { ROOT } from './synth';

/** The variable through which the global setup tells the test workers where this run's assemblies are. */
export const ASSEMBLY_DIR_VARIABLE = 'INFRA_ASSEMBLY_DIR';

/** Where this run's global setup wrote every phase's assembly (a folder of its own, so concurrent runs never meet). */
export function assemblyDir(): string {
  return process.env[ASSEMBLY_DIR_VARIABLE] ?? path.join(ROOT, 'cdk.out.test');
}

/** The file the global setup writes when synthesis failed (for example on a cdk-nag finding). */
export function synthErrorFile(): string {
  return path.join(assemblyDir(), 'synth-error.txt');
}

const cached = new Map<PhaseName, CloudAssembly>();

/** A phase's assembly, as the global setup synthesized it (the same files `cdk synth -c phase=X` writes). */
export function phaseAssembly(phase: PhaseName): CloudAssembly {
  let asm = cached.get(phase);
  if (!asm) {
    const dir = path.join(assemblyDir(), phase);
    if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
      throw new Error(`No assembly in ${dir}: run the infra tests through jest (its global setup synthesizes every phase).`);
    }
    asm = new CloudAssembly(dir);
    cached.set(phase, asm);
  }
  return asm;
}

/** The error synthesis raised, if any. */
export function synthError(): string | undefined {
  return fs.existsSync(synthErrorFile()) ? fs.readFileSync(synthErrorFile(), 'utf8') : undefined;
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
