import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NO_RECIPIENT_WARNING } from '../../lib/monitoring/notifications';
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

  test('without alarm recipients, synthesis warns once (not once per region or stack), saying how to add one', () => {
    const run = runApp({ phase: '70k' });
    expect(run.status).toBe(0);
    expect(run.stderr.split(NO_RECIPIENT_WARNING).length - 1).toBe(1);
    expect(NO_RECIPIENT_WARNING).toContain('-c alarmEmail=');
    expect(NO_RECIPIENT_WARNING).toContain('-c alarmTopicArn=');
  });

  test('alarm recipients from context: no warning, one subscription per address in every region, the topic on its region\'s alarms', () => {
    const run = runApp({ phase: '1k', alarmEmail: 'oncall@example.com, lead@example.com', alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:pager' });
    expect(run.status).toBe(0);
    expect(run.stderr).not.toContain(NO_RECIPIENT_WARNING);
    const telemetry = JSON.parse(fs.readFileSync(path.join(run.outdir, 'orders-use1-telemetry.template.json'), 'utf8'));
    const endpoints = Object.values(telemetry.Resources as Record<string, any>)
      .filter((r) => r.Type === 'AWS::SNS::Subscription')
      .map((r) => r.Properties.Endpoint)
      .sort();
    expect(endpoints).toEqual(['lead@example.com', 'oncall@example.com']);
    const monitoring = JSON.parse(fs.readFileSync(path.join(run.outdir, 'orders-use1-monitoring.template.json'), 'utf8'));
    for (const alarm of Object.values(monitoring.Resources as Record<string, any>).filter((r) => r.Type === 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties.AlarmActions).toContain('arn:aws:sns:us-east-1:123456789012:pager');
    }
  });

  test('a malformed alarm address fails, naming the value and the rule', () => {
    const run = runApp({ phase: '1k', alarmEmail: 'oncall.example.com' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('alarmEmail = oncall.example.com: must be an email address (name@example.com)');
  });

  test('an alarm topic that is not an SNS topic ARN fails, naming the value and the rule', () => {
    const run = runApp({ phase: '1k', alarmTopicArn: 'pager' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('alarmTopicArn = pager: must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)');
  });

  test('an alarm topic outside the phase\'s regions fails: alarms notify only topics of their own region', () => {
    const run = runApp({ phase: '1k', alarmTopicArn: 'arn:aws:sns:us-west-2:123456789012:pager' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(
      "alarmTopicArn = arn:aws:sns:us-west-2:123456789012:pager: its region us-west-2 is not one of phase 1k's regions (us-east-1); alarms notify only topics of their own region",
    );
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
