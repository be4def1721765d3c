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
});
