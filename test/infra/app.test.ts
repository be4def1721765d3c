import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT, cdkJsonContext } from './support/synth';

/** Runs bin/app.ts as the CDK CLI does: context in CDK_CONTEXT_JSON, output folder in CDK_OUTDIR. */
function runApp(context: Record<string, unknown>) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'app-'));
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bin/app.ts')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), ...context }), CDK_OUTDIR: outdir },
  });
  return { ...run, outdir };
}

describe('the CDK app (bin/app.ts)', () => {
  test('an unknown phase fails with the list of valid phases', () => {
    const run = runApp({ phase: '2k' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Unknown phase "2k". Valid phases: 1k, 10k, 30k, 50k, 70k, 1m.');
  });

  test('no phase fails with the list of valid phases', () => {
    const run = runApp({});
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('No phase given. Pass one with -c phase=NAME; valid phases: 1k, 10k, 30k, 50k, 70k, 1m.');
  });

  test('a shift that is not a percentage fails, naming the value', () => {
    const run = runApp({ phase: '50k', shift: 'half' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('-c shift=half: must be a whole percentage from 0 to 100');
  });

  test('a shift into the first phase fails', () => {
    const run = runApp({ phase: '1k', shift: '10' });
    expect(run.stderr).toContain('-c shift applies to a move into a phase; 1k is the first phase');
  });

  test('a certificate that is not an ACM ARN fails, naming the value and the rule', () => {
    const run = runApp({ phase: '1k', certificateArn: 'shop.example.com' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('certificateArn = shop.example.com: must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)');
  });

  test('phase 50k with shift=10 synthesizes the side-by-side step: EC2 services and EKS both present', () => {
    const run = runApp({ phase: '50k', shift: '10' });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    const compute = JSON.parse(fs.readFileSync(path.join(run.outdir, 'orders-use1-compute.template.json'), 'utf8'));
    const types = Object.values(compute.Resources).map((r: any) => r.Type);
    expect(types).toContain('AWS::EKS::Cluster');
    expect(types).toContain('AWS::AutoScaling::AutoScalingGroup');
  });
});
