import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PHASES } from '../../phases';
import { synthesizePhase } from './support/synth';

function templates(dir: string): Record<string, string> {
  const asm = synthesizePhase(dir, PHASES['1m']);
  return Object.fromEntries(asm.stacks.map((s) => [s.stackName, fs.readFileSync(path.join(asm.directory, s.templateFile), 'utf8')]));
}

describe('synthesis', () => {
  test('two synths of 1m give byte-identical templates', () => {
    const first = templates(fs.mkdtempSync(path.join(os.tmpdir(), 'det-a-')));
    const second = templates(fs.mkdtempSync(path.join(os.tmpdir(), 'det-b-')));
    expect(Object.keys(first).length).toBeGreaterThanOrEqual(6);
    expect(second).toEqual(first);
  });

  test('stacks are account-agnostic and templates contain no lookups or wall-clock values', () => {
    const asm = synthesizePhase(fs.mkdtempSync(path.join(os.tmpdir(), 'det-c-')), PHASES['1m']);
    for (const stack of asm.stacks) expect({ stack: stack.stackName, account: stack.environment.account }).toEqual({ stack: stack.stackName, account: 'unknown-account' });
    expect(asm.manifest.missing ?? []).toEqual([]);
    const all = asm.stacks.map((s) => JSON.stringify(s.template)).join('\n');
    expect(all).not.toMatch(/Fn::GetAZs/);
    expect(all).not.toMatch(/20\d\d-\d\d-\d\dT\d\d:\d\d/);
  });

  test('the CLI writes byte-identical templates into output folders at different depths (the image hash included)', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'det-depth-'));
    const shallow = path.join(root, 'a');
    const deep = path.join(root, 'b', 'c', 'd', 'e');
    const cdk = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'cdk');
    const cwd = path.join(__dirname, '..', '..');
    try {
      // Two processes, as two users' synths would be (the bundles come from the build cache when their sources are unchanged).
      for (const out of [shallow, deep]) execFileSync(cdk, ['synth', '-c', 'phase=50k', '-o', out, '-q'], { cwd, stdio: 'pipe', timeout: 240_000 });
      const templates = (dir: string) =>
        Object.fromEntries(
          fs
            .readdirSync(dir)
            .filter((f) => f.endsWith('.template.json') || f.endsWith('.assets.json'))
            .map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]),
        );
      const first = templates(shallow);
      expect(Object.keys(first).length).toBeGreaterThanOrEqual(10);
      expect(templates(deep)).toEqual(first);
      expect(fs.readFileSync(path.join(shallow, 'orders-use1-compute.assets.json'), 'utf8')).toContain('dockerImages');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

