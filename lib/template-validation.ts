import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudFormationValidatePlugin, IPolicyValidationContext, PolicyValidationPluginReport } from 'aws-cdk-lib';
import { BuildCache } from './compute/build-cache';

/** The repository root. */
const ROOT = path.resolve(__dirname, '..');

/** Reports of aws-cdk-lib's template validation, kept between synths (node_modules/.cache, beside the service bundles). */
export const VALIDATION_CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'order-platform', 'template-validation');

/** The file holding a cached report inside its entry. */
const REPORT_FILE = 'report.json';

/** Stands for the templates' folder in a cached report, which names templates by absolute path. */
const TEMPLATES_DIR_MARK = '<templates-dir>';

function packageVersion(dir: string): string {
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The versions that decide a report besides the templates: aws-cdk-lib (its rules and settings)
 * and the validator it bundles (fixed by aws-cdk-lib's version; read too, should it move).
 */
function validatorVersions(): string {
  const cdkLib = path.dirname(require.resolve('aws-cdk-lib/package.json'));
  const validator = path.join(cdkLib, 'node_modules', '@aws', 'cloudformation-validate');
  const bundled = fs.existsSync(path.join(validator, 'package.json')) ? packageVersion(validator) : 'not bundled';
  return `aws-cdk-lib ${packageVersion(cdkLib)}, @aws/cloudformation-validate ${bundled}`;
}

/** The deepest folder holding every template. */
function templatesDir(templatePaths: readonly string[]): string {
  let dir = path.dirname(templatePaths[0]);
  const inside = (p: string) => p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
  while (!templatePaths.every(inside)) dir = path.dirname(dir);
  return dir;
}

/** Replaces every occurrence of `from` in a JSON text, matched as JSON writes it. */
function replaceInJson(json: string, from: string, to: string): string {
  return json.split(JSON.stringify(from).slice(1, -1)).join(JSON.stringify(to).slice(1, -1));
}

/**
 * aws-cdk-lib's own template validation (CloudFormation Validate), with its reports kept
 * between synths. The report is a function of
 * the templates, their accounts and regions and the validator's version, all of which make the
 * cache key: a synth whose templates are byte-identical to an earlier one's reuses that report
 * (the validator's start-up alone costs seconds), and any other synth is validated in full.
 */
export class CachedTemplateValidation extends CloudFormationValidatePlugin {
  private versions?: string;

  constructor(private readonly reports: BuildCache) {
    super();
  }

  override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    if (context.stackTemplates.length === 0) return super.validate(context);
    const dir = templatesDir(context.stackTemplates.map((s) => s.templatePath));
    const key = this.key(context, dir);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'template-validation-'));
    try {
      if (this.reports.restore(key, scratch)) {
        return JSON.parse(replaceInJson(fs.readFileSync(path.join(scratch, REPORT_FILE), 'utf8'), TEMPLATES_DIR_MARK, dir)) as PolicyValidationPluginReport;
      }
      const report = this.fullValidation(context);
      fs.writeFileSync(path.join(scratch, REPORT_FILE), replaceInJson(JSON.stringify(report), dir, TEMPLATES_DIR_MARK));
      this.reports.store(key, scratch, []);
      return report;
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** Validates in full, with aws-cdk-lib's own plugin. */
  protected fullValidation(context: IPolicyValidationContext): PolicyValidationPluginReport {
    return super.validate(context);
  }

  /** A hash of everything the report depends on: each stack's template (by its place among the others), account and region, and the validator. */
  private key(context: IPolicyValidationContext, dir: string): string {
    this.versions ??= validatorVersions();
    const hash = createHash('sha256').update(this.versions).update('\0');
    for (const stack of context.stackTemplates) {
      const fields = [stack.stackConstructPath, path.relative(dir, stack.templatePath), stack.accountId ?? '', stack.region ?? ''];
      hash.update(fields.join('\0')).update('\0').update(fs.readFileSync(stack.templatePath)).update('\0');
    }
    return hash.digest('hex');
  }
}

/** Where aws-cdk-lib keeps its default validator (a private static field, the one `_configureSingleton` sets). */
interface DefaultValidatorHolder {
  _instance?: CloudFormationValidatePlugin;
}

/**
 * Makes aws-cdk-lib's default template validation (CloudFormation Validate, which every App
 * runs unless told not to) reuse the reports of byte-identical templates
 * ({@link CachedTemplateValidation}), for every app of the process. aws-cdk-lib offers no
 * public way to configure its default validator, so its singleton is replaced; the default
 * stays what it was in every other respect (it runs on every stack, is switched off only by
 * `CDK_VALIDATION=false` or the App's `builtinCloudFormationValidation`, and is not listed among
 * the app's own plugins, so templates are unchanged). Should aws-cdk-lib move that field,
 * validation runs as before, uncached.
 */
export function useCachedTemplateValidation(): void {
  const holder = CloudFormationValidatePlugin as unknown as DefaultValidatorHolder;
  if (holder._instance instanceof CachedTemplateValidation) return;
  CloudFormationValidatePlugin._disposeSingleton();
  holder._instance = new CachedTemplateValidation(new BuildCache({ dir: VALIDATION_CACHE_DIR, root: ROOT, maxEntries: 50 }));
}
