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

  test('templates contain no lookups, no account and no wall-clock values', () => {
    // AWS's own Serverless Application Repository ARNs (the rotation functions) carry AWS's accounts.
    const all = Object.values(templates(fs.mkdtempSync(path.join(os.tmpdir(), 'det-c-'))))
      .join('\n')
      .replace(/arn:[\w-]+:serverlessrepo:[\w-]+:\d{12}:applications\/[\w-]+/g, '<sar-application>');
    expect(all).not.toMatch(/Fn::GetAZs/);
    expect(all).not.toMatch(/\b\d{12}\b/);
    expect(all).not.toMatch(/20\d\d-\d\d-\d\dT\d\d:\d\d/);
  });
});
