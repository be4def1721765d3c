import { PHASES } from '../../phases';
import { toMarkdown } from '../../lib/plan/document';
import { buildPlan } from '../../lib/plan/plan';
import { planBlocks } from '../../lib/plan/render';
import { phaseAssembly } from './support/assembly';

const plan = (from: '30k' | '50k' | '70k', to: '30k' | '50k' | '70k') => buildPlan(PHASES[from], PHASES[to], { from: phaseAssembly(from), to: phaseAssembly(to) });

describe('npm run plan: what a reviewer approves', () => {
  test('30k → 50k in Markdown renders every section, with the shift steps and the rollback alarms', () => {
    const p = plan('30k', '50k');
    const md = toMarkdown(planBlocks(p));
    expect(p.exitCode).toBe(0);
    for (const heading of [
      'Migration plan 30k → 50k',
      'Resource changes per stack and region',
      'Kubernetes manifest changes',
      'Kafka partitions',
      'Cost per month',
      'Capacity',
      'Deploy order and what restarts',
      'Migration checklist',
      'Rollback triggers',
    ]) {
      expect(md).toContain(`### ${heading}`);
    }
    for (const step of ['-c shift=0', '-c shift=10', '-c shift=50', '-c shift=100']) expect(md).toContain(`npx cdk deploy -c phase=50k ${step} --all`);
    expect(md).toContain('| orders-use1-compute | Deployment orders/order | add |');
    expect(p.kafka.increases.map((k) => `${k.from}→${k.to}`)).toEqual(p.kafka.increases.map(() => '12→24'));
    expect(md).toContain('WARNING: Kafka maps a key to a partition');
    const unavailable = p.rollbackTriggers.find((t) => t.trigger.startsWith('service unavailable'))!;
    // During the shift both the EC2 groups and the pods serve: both are watched.
    expect(unavailable.alarms[0].names).toEqual(expect.arrayContaining(['OrderEc2Unavailable', 'OrderEksUnavailable']));
    expect(p.rollbackTriggers.map((t) => t.trigger)).toEqual(['error rate > 1%', 'response time > 2× baseline (1600 ms)', 'replication lag > 5 s', 'service unavailable > 1 minute(s)']);
    expect(p.cost.to.totalUsd).toBeGreaterThan(p.cost.from.totalUsd);
    expect(md).toMatch(/50k: \$[\d,]+ of a \$10,000 budget \(\d+% headroom\)/);
  });

  test('a move without a side-by-side step deploys stack by stack, and rolls back only the old phase\'s compute', () => {
    const p = plan('50k', '70k');
    expect('unavailable' in p.checklist.shift && p.checklist.shift.unavailable).toBe('phase 70k runs the same compute as 50k; there is nothing to move side by side');
    expect(p.checklist.rollback[0]).toMatch(/^npx cdk deploy -c phase=50k --exclusively orders-use1-compute {3}#/);
    expect(p.deploy.map((d) => d.stack)).toContain('orders-usw2-compute');
  });

  test('a stateful risk is an error: going back from 50k to 30k deletes order shards, and the plan exits 1', () => {
    const p = plan('50k', '30k');
    expect(p.exitCode).toBe(1);
    expect(p.review.errors).toEqual(expect.arrayContaining([expect.stringMatching(/^orders-use1-data\/PostgresOrdersShard3\w+ \(AWS::RDS::DBInstance\) would be deleted$/)]));
    expect(toMarkdown(planBlocks(p))).toContain('**UNSAFE**');
  });
});
