import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PHASE_NAMES, PhaseName } from '../../phases';
import { phaseAssembly } from './support/assembly';
import { ROOT, requireTool } from './compute/support/tools';

interface CheckovReport {
  results: {
    failed_checks?: { check_id: string; resource: string; file_path: string }[];
    skipped_checks?: { check_id: string; resource: string; check_result: { suppress_comment?: string } }[];
  };
  summary: { passed: number };
}

/** checkov's CloudFormation checks over one phase's templates (the assembly the global setup synthesized). */
function scan(phase: PhaseName): CheckovReport[] {
  const checkov = requireTool('checkov', [path.join(ROOT, '.tools/venv/bin/checkov')], 'scripts/tools/install-checkov.sh');
  const asm = phaseAssembly(phase);
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'checkov-cfn-'));
  try {
    const files = asm.stacks.map((s) => path.join(asm.directory, s.templateFile));
    const run = spawnSync(checkov, [...files.flatMap((f) => ['-f', f]), '--framework', 'cloudformation', '--compact', '--quiet', '--skip-download', '-o', 'json'], {
      cwd,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (!run.stdout.trim().startsWith('[') && !run.stdout.trim().startsWith('{')) throw new Error(`checkov did not run (status ${run.status}): ${run.stderr.slice(-2000)}`);
    const parsed = JSON.parse(run.stdout) as CheckovReport | CheckovReport[];
    return Array.isArray(parsed) ? parsed : [parsed];
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

describe('checkov over every phase\'s CloudFormation templates', () => {
  test.each(PHASE_NAMES)('phase %s: no failed check, and every skip carries its reason', (phase) => {
    const reports = scan(phase);
    const failed = reports.flatMap((r) => (r.results.failed_checks ?? []).map((c) => `${c.check_id} ${path.basename(c.file_path)} ${c.resource}`));
    expect(failed).toEqual([]);
    const skipped = reports.flatMap((r) => r.results.skipped_checks ?? []);
    for (const s of skipped) expect([s.check_id, s.resource, (s.check_result.suppress_comment ?? '').length > 40]).toEqual([s.check_id, s.resource, true]);
    expect(reports.reduce((sum, r) => sum + r.summary.passed, 0)).toBeGreaterThan(100);
  });
});
