import { PHASE_NAMES } from '../../phases';
import { stackNames, templateJson } from './support/assembly';
import { resourceInventory } from './support/inventory';

/**
 * The wide net: per phase and stack, a snapshot of the resource inventory (logical ID and type of
 * every resource, and for each stateful resource the values of the properties whose change
 * replaces it). That is what guards an upgrade of a running deployment: a renamed construct
 * shows as one logical ID gone and another added, a changed create-only property as a changed
 * line under its resource.
 *
 * Full templates are no longer snapshotted: they were tens of thousands of lines that every change
 * rewrote, so their diff was not read. What a template must say is pinned by the behaviour tests
 * (topology, security, alarms, edge, multi-region and the others beside this file) and, between
 * phases, by the upgrade review (`upgrade-path.test.ts`, `npm run review`).
 */
describe.each(PHASE_NAMES)('phase %s', (phase) => {
  test.each(stackNames(phase))('stack %s keeps its resources and what would replace the stateful ones', (stack) => {
    expect(resourceInventory(templateJson(phase, stack))).toMatchSnapshot();
  });
});

describe('the resource inventory', () => {
  const template = {
    Resources: {
      Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'orders' } },
      Database: {
        Type: 'AWS::RDS::DBInstance',
        Properties: { DBInstanceClass: 'db.t4g.small', MultiAZ: true, StorageEncrypted: true, DBSubnetGroupName: { Ref: 'Subnets' } },
      },
      Kafka: {
        Type: 'AWS::MSK::Cluster',
        Properties: { ClusterName: 'events', BrokerNodeGroupInfo: { InstanceType: 'kafka.m7g.large', ClientSubnets: ['a', 'b'] } },
      },
    },
  };

  test('lists every resource by logical ID and gives a stateful one the properties that replace it, not the ones applied in place', () => {
    expect(resourceInventory(template).split('\n')).toEqual([
      'Database AWS::RDS::DBInstance',
      '  DBSubnetGroupName: {"Ref":"Subnets"}',
      '  StorageEncrypted: true',
      'Kafka AWS::MSK::Cluster',
      '  ClusterName: "events"',
      '  BrokerNodeGroupInfo.ClientSubnets: ["a","b"]',
      'Queue AWS::SQS::Queue',
    ]);
  });
});
