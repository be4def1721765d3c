import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudFormationValidatePlugin, IPolicyValidationContext } from 'aws-cdk-lib';
import { BuildCache } from '../../lib/compute/build-cache';
import { bundleInputs, bundleSourceHash } from '../../lib/compute/delivery';
import { CachedTemplateValidation, useCachedTemplateValidation } from '../../lib/template-validation';
import { ROOT } from './support/synth';

const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);

function tmp(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${tag}-`));
}

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** A repository with one source file, a build output made from it, and a cache over both. */
function fixture() {
  const root = tmp('cache-root');
  write(path.join(root, 'services', 'entry.ts'), 'export const answer = 1;\n');
  const built = tmp('cache-built');
  write(path.join(built, 'services', 'entry.mjs'), 'const answer=1;\n');
  return { root, built, cache: new BuildCache({ dir: path.join(tmp('cache-dir'), 'entries'), root }) };
}

describe('the build cache', () => {
  test('an entry is restored while the files it was built from are unchanged', () => {
    const { built, cache } = fixture();
    expect(cache.store(KEY_A, built, ['services/entry.ts'])).toBe(true);
    const target = tmp('cache-target');
    expect(cache.restore(KEY_A, target)).toBe(true);
    expect(fs.readFileSync(path.join(target, 'services', 'entry.mjs'), 'utf8')).toBe('const answer=1;\n');
  });

  test('when a source it was built from changes, the entry is not used, and the rebuilt output replaces it', () => {
    const { root, built, cache } = fixture();
    cache.store(KEY_A, built, ['services/entry.ts']);
    write(path.join(root, 'services', 'entry.ts'), 'export const answer = 2;\n');
    expect(cache.restore(KEY_A, tmp('cache-target'))).toBe(false);

    write(path.join(built, 'services', 'entry.mjs'), 'const answer=2;\n');
    cache.store(KEY_A, built, ['services/entry.ts']);
    const target = tmp('cache-target');
    expect(cache.restore(KEY_A, target)).toBe(true);
    expect(fs.readFileSync(path.join(target, 'services', 'entry.mjs'), 'utf8')).toBe('const answer=2;\n');
  });

  test('when a source it was built from is deleted, the entry is not used', () => {
    const { root, built, cache } = fixture();
    cache.store(KEY_A, built, ['services/entry.ts']);
    fs.rmSync(path.join(root, 'services', 'entry.ts'));
    expect(cache.restore(KEY_A, tmp('cache-target'))).toBe(false);
  });

  test('a key never stored is a miss, and the least recently used entries beyond the limit are removed', () => {
    const { root, built } = fixture();
    const dir = path.join(tmp('cache-dir'), 'entries');
    const cache = new BuildCache({ dir, root, maxEntries: 1 });
    expect(cache.restore(KEY_A, tmp('cache-target'))).toBe(false);
    cache.store(KEY_A, built, []);
    cache.store(KEY_B, built, []);
    expect(fs.readdirSync(dir)).toEqual([KEY_B]);
  });

  test('rejects a key that is not a hex digest and a limit below one, naming the value', () => {
    const { root } = fixture();
    expect(() => new BuildCache({ dir: tmp('cache-dir'), root }).entryDir('../escape')).toThrow('BuildCache key = "../escape": must be a lowercase hex digest (16 to 128 characters)');
    expect(() => new BuildCache({ dir: tmp('cache-dir'), root, maxEntries: 0 })).toThrow('BuildCache maxEntries = 0: must be a whole number of at least 1');
  });
});

describe('the service bundles', () => {
  /** A copy of what the asset hash is computed from, in another folder. */
  function copyOfHashInputs(): string {
    const root = tmp('bundle-sources');
    for (const entry of ['services', 'phases', 'package-lock.json', 'tsconfig.json', 'lib/compute/runtime']) {
      fs.cpSync(path.join(ROOT, entry), path.join(root, entry), { recursive: true });
    }
    return root;
  }

  test('a copy of the sources has the same hash; a changed source gives a new hash, so the cache builds anew', () => {
    const root = copyOfHashInputs();
    expect(bundleSourceHash(root)).toBe(bundleSourceHash());
    fs.appendFileSync(path.join(root, 'services', 'shared', 'config.ts'), '\n// changed\n');
    expect(bundleSourceHash(root)).not.toBe(bundleSourceHash());
  });

  test('a changed flag definition in phases/ (compiled into the bundles) gives a new hash, so the new bundle is deployed', () => {
    const root = copyOfHashInputs();
    fs.appendFileSync(path.join(root, 'phases', 'flags.ts'), '\n// changed\n');
    expect(bundleSourceHash(root)).not.toBe(bundleSourceHash());
  });

  test('a cached build is checked against every repository file its source maps name, the feature flags in phases/ included', () => {
    const dir = tmp('bundle-maps');
    const map = (sources: string[]) => JSON.stringify({ version: 3, sources, mappings: '' });
    write(path.join(dir, 'order.mjs.map'), map(['services/entry/order.ts', 'phases/flags.ts', '../main/node_modules/pg/lib/index.js']));
    write(path.join(dir, 'user.mjs.map'), map(['services/entry/user.ts', 'node_modules/zod/index.js']));
    const inputs = bundleInputs(dir);
    expect(inputs).toEqual(expect.arrayContaining(['services/entry/order.ts', 'services/shared/config.ts', 'phases/flags.ts', 'phases/flag-types.ts']));
    expect(inputs.filter((f) => f.includes('node_modules') || f.startsWith('..'))).toEqual([]);
    expect(inputs.filter((f) => !f.startsWith('services/') && !f.startsWith('phases/'))).toEqual([]);
  });
});

describe('the template validation', () => {
  /** A validator that counts the validations it runs in full. */
  class CountingValidation extends CachedTemplateValidation {
    full = 0;
    protected override fullValidation(context: IPolicyValidationContext) {
      this.full += 1;
      return super.fullValidation(context);
    }
  }

  function templates(dir: string, bucketName: string): IPolicyValidationContext {
    const templatePath = path.join(dir, 'Stack.template.json');
    write(templatePath, JSON.stringify({ Resources: { Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: bucketName, Unknown: 1 } } } }));
    return { templatePaths: [templatePath], stackTemplates: [{ stackConstructPath: 'Stack', templatePath, accountId: undefined, region: 'us-east-1' }], appConstruct: undefined as never };
  }

  test('byte-identical templates reuse the report, rebased to their own folder; a changed template is validated in full', () => {
    const validation = new CountingValidation(new BuildCache({ dir: tmp('validation-cache'), root: ROOT }));
    const first = validation.validate(templates(tmp('validation-a'), 'one'));
    expect(first.violations.length).toBeGreaterThan(0);
    const dir = tmp('validation-b');
    const again = validation.validate(templates(dir, 'one'));
    expect(validation.full).toBe(1);
    const paths = (r: typeof first) => r.violations.flatMap((v) => v.violatingResources.map((res) => res.templatePath));
    expect(paths(again)).toEqual(paths(first).map(() => path.join(dir, 'Stack.template.json')));
    expect({ ...again, violations: again.violations.map((v) => ({ ...v, violatingResources: [] })) }).toEqual({ ...first, violations: first.violations.map((v) => ({ ...v, violatingResources: [] })) });

    validation.validate(templates(tmp('validation-c'), 'two'));
    expect(validation.full).toBe(2);
  });

  test("the cached validator is aws-cdk-lib's default one, so every App runs it without listing it in the template metadata", () => {
    useCachedTemplateValidation();
    expect(CloudFormationValidatePlugin._singletonInstance()).toBeInstanceOf(CachedTemplateValidation);
  });
});
