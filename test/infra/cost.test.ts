import { PHASES, PHASE_NAMES, PhaseName } from '../../phases';
import { PricedStack, estimateCost } from '../../lib/cost/estimate';
import { edgeCostLines } from '../../lib/cost/edge';
import { interRegionCost, interRegionCostLines } from '../../lib/cost/inter-region';
import { phaseAssembly } from './support/assembly';

function stacksOf(phase: PhaseName): PricedStack[] {
  return phaseAssembly(phase).stacks.map((s) => ({ stackName: s.stackName, region: s.environment.region, template: s.template }));
}

describe('cost estimate', () => {
  test.each(PHASE_NAMES)('phase %s fits the roadmap\'s monthly budget', (phase) => {
    const estimate = estimateCost(stacksOf(phase), [...interRegionCostLines(PHASES[phase]), ...edgeCostLines(PHASES[phase])]);
    expect(estimate.totalUsd).toBeGreaterThan(0);
    expect({ phase, total: Math.round(estimate.totalUsd), withinBudget: estimate.totalUsd <= PHASES[phase].slo.budgetUsdPerMonth }).toEqual({
      phase,
      total: Math.round(estimate.totalUsd),
      withinBudget: true,
    });
  });

  test('prices a cache by nodes and engine, and a Multi-AZ database twice', () => {
    const estimate = estimateCost([
      {
        stackName: 's',
        region: 'us-east-1',
        template: {
          Resources: {
            Cache: { Type: 'AWS::ElastiCache::ReplicationGroup', Properties: { Engine: 'valkey', CacheNodeType: 'cache.m7g.large', NumNodeGroups: 3, ReplicasPerNodeGroup: 2 } },
            Db: { Type: 'AWS::RDS::DBInstance', Properties: { DBInstanceClass: 'db.m7g.large', MultiAZ: true, AllocatedStorage: '100' } },
          },
        },
      },
    ]);
    expect(estimate.byCategory.cache).toBeCloseTo(9 * 0.1264 * 730, 2);
    expect(estimate.byCategory.databases).toBeCloseTo(2 * (0.168 * 730 + 100 * 0.115), 2);
  });

  test('eu-central-1 costs more than us-east-1 for the same template', () => {
    const template = { Resources: { Nat: { Type: 'AWS::EC2::NatGateway', Properties: {} } } };
    const east = estimateCost([{ stackName: 'a', region: 'us-east-1', template }]).totalUsd;
    const frankfurt = estimateCost([{ stackName: 'b', region: 'eu-central-1', template }]).totalUsd;
    expect(frankfurt).toBeGreaterThan(east);
  });

  test('an instance type with no price fails the estimate, naming the resource', () => {
    expect(() =>
      estimateCost([{ stackName: 's', region: 'us-east-1', template: { Resources: { Kafka: { Type: 'AWS::MSK::Cluster', Properties: { NumberOfBrokerNodes: 3, BrokerNodeGroupInfo: { InstanceType: 'kafka.m9.huge' } } } } } }]),
    ).toThrow('cost: no price for "kafka.m9.huge" (s/Kafka); add it to lib/cost/prices.ts');
  });

  test('a phase sized past its budget is caught', () => {
    const estimate = estimateCost(stacksOf('1m'));
    expect(estimate.totalUsd).toBeGreaterThan(PHASES['1k'].slo.budgetUsdPerMonth);
  });

  test('a cross-region replica is priced with its source\'s storage, read through the source stack\'s output', () => {
    const lines = estimateCost(stacksOf('70k')).lines.filter((l) => l.stack === 'orders-usw2-data' && l.category === 'databases');
    expect(lines).toHaveLength(PHASES['70k'].postgres.instances.length);
    for (const line of lines) expect(line.what).toBe('db.r7g.large replica, 200 GiB');
  });

  test('Global Datastore members are priced at the global group\'s node type and shards, not their own properties', () => {
    const cache = estimateCost(stacksOf('1m')).lines.filter((l) => l.category === 'cache');
    expect(cache.map((l) => `${l.stack}: ${l.what}`).sort()).toEqual([
      'orders-euc1-data: 18 × cache.r7g.xlarge (Global Datastore secondary)',
      'orders-use1-data: 18 × cache.r7g.xlarge',
      'orders-usw2-data: 18 × cache.r7g.xlarge (Global Datastore secondary)',
    ]);
  });

  test('the transfer between regions is priced for multi-region phases only, and peering costs less than Transit Gateway', () => {
    expect(interRegionCostLines(PHASES['50k'])).toEqual([]);
    for (const phase of ['70k', '1m'] as const) {
      const cost = interRegionCost(PHASES[phase]);
      expect(cost.gbPerMonth).toBeGreaterThan(0);
      expect(cost.peeringUsd).toBeCloseTo(cost.gbPerMonth * 0.02, 6);
      expect(cost.transitGatewayUsd).toBeGreaterThan(cost.peeringUsd);
    }
    // The global phase replicates to two secondaries, for many more users.
    expect(interRegionCost(PHASES['1m']).gbPerMonth).toBeGreaterThan(interRegionCost(PHASES['70k']).gbPerMonth);
  });
});
