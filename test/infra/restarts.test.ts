import { deployOrder, restartsOf } from '../../lib/review/restarts';
import { phaseAssembly, phaseTemplates } from './support/assembly';

describe('the review names what a move restarts, and how to avoid an outage', () => {
  test('1k → 10k resizes single-AZ databases while turning on Multi-AZ: an outage each, avoided by Multi-AZ first', () => {
    const restarts = restartsOf(phaseTemplates('1k'), phaseTemplates('10k'));
    const outages = restarts.filter((r) => r.outage);
    expect(outages.map((r) => r.logicalId).sort()).toEqual([expect.stringMatching(/^PostgresInventory/), expect.stringMatching(/^PostgresOrdersShard0/), expect.stringMatching(/^PostgresUsers/)]);
    for (const r of outages) {
      expect(r.change).toBe('DBInstanceClass db.t4g.small → db.t4g.medium, MultiAZ false → true');
      expect(r.avoid).toContain('aws rds modify-db-instance --multi-az --apply-immediately');
      expect(r.avoid).toContain(`--stack-name orders-use1-data --logical-resource-id ${r.logicalId}`);
    }
    expect(restarts.find((r) => r.type === 'AWS::MSK::Cluster')?.impact).toContain('brokers restart one at a time');
  });

  test('50k → 70k resizes Multi-AZ databases: failovers, no outage', () => {
    const restarts = restartsOf(phaseTemplates('50k'), phaseTemplates('70k'));
    const rds = restarts.filter((r) => r.type === 'AWS::RDS::DBInstance');
    expect(rds.length).toBeGreaterThan(0);
    expect(rds.filter((r) => r.outage)).toEqual([]);
    expect(rds.some((r) => r.impact.includes('Multi-AZ failover'))).toBe(true);
  });

  test('the deploy order puts each region\'s network, peering and data before its compute, and the primary before a secondary', () => {
    const asm = phaseAssembly('70k');
    const order = deployOrder(phaseTemplates('70k'), new Map(asm.stacks.map((s) => [s.stackName, s.dependencies.map((d) => d.id)])));
    const at = (name: string) => order.indexOf(name);
    expect(order).toHaveLength(asm.stacks.length);
    for (const code of ['use1', 'usw2']) {
      expect(at(`orders-${code}-network`)).toBeLessThan(at(`orders-${code}-data`));
      expect(at(`orders-${code}-peering`)).toBeLessThan(at(`orders-${code}-compute`));
      expect(at(`orders-${code}-data`)).toBeLessThan(at(`orders-${code}-compute`));
    }
    expect(at('orders-use1-data')).toBeLessThan(at('orders-usw2-data'));
    expect(at('orders-use1-compute')).toBeLessThan(at('orders-usw2-compute'));
  });
});
