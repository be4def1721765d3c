import { PhaseTemplates } from './upgrade-review';

/** A change that restarts, resizes or rolls something that serves traffic, and what users see. */
export interface Restart {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  /** The property and its values, e.g. `DBInstanceClass db.t4g.small → db.t4g.medium`. */
  readonly change: string;
  /** What happens while it applies. */
  readonly impact: string;
  /** Whether the resource stops serving while the change applies (not merely fails over). */
  readonly outage: boolean;
  /** How to avoid the outage, when there is a way. */
  readonly avoid?: string;
}

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Rule = (where: { stack: string; id: string }, before: Record<string, unknown>, after: Record<string, unknown>) => Omit<Restart, 'stack' | 'logicalId' | 'type'>[];

const show = (v: unknown) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));
const changed = (before: Record<string, unknown>, after: Record<string, unknown>, key: string) => JSON.stringify(before[key]) !== JSON.stringify(after[key]);
const nested = (o: Record<string, unknown>, ...path: string[]) => path.reduce<unknown>((n, k) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[k] : undefined), o);

/**
 * Per resource type: which property changes restart something, and what that means. From the
 * AWS documentation of each service's modify operation.
 */
const RULES: Readonly<Record<string, Rule>> = {
  'AWS::RDS::DBInstance': (where, before, after) => {
    if (!changed(before, after, 'DBInstanceClass')) return [];
    const change = `DBInstanceClass ${show(before.DBInstanceClass)} → ${show(after.DBInstanceClass)}`;
    if (after.SourceDBInstanceIdentifier !== undefined) {
      return [{ change, impact: 'the read replica restarts on the new class (minutes); its reads go to the source meanwhile', outage: false }];
    }
    if (before.MultiAZ === true) {
      return [{ change, impact: 'the standby is resized, then a Multi-AZ failover (about a minute of reconnects), then the old primary', outage: false }];
    }
    return [
      {
        change: after.MultiAZ === true && before.MultiAZ !== true ? `${change}, MultiAZ false → true` : change,
        impact: 'a single-AZ instance is down while it is resized (several minutes)',
        outage: true,
        avoid:
          after.MultiAZ === true
            ? 'turn on Multi-AZ first, which needs no downtime: aws rds modify-db-instance --multi-az --apply-immediately --db-instance-identifier ' +
              `"$(aws cloudformation describe-stack-resource --stack-name ${where.stack} --logical-resource-id ${where.id} --query StackResourceDetail.PhysicalResourceId --output text)"` +
              '; wait until it is available, then deploy: the resize becomes a failover'
            : undefined,
      },
    ];
  },
  'AWS::DocDB::DBInstance': (_id, before, after) =>
    changed(before, after, 'DBInstanceClass')
      ? [{ change: `DBInstanceClass ${show(before.DBInstanceClass)} → ${show(after.DBInstanceClass)}`, impact: 'this instance restarts (a writer fails over to a replica first); the cluster\'s other instances serve', outage: false }]
      : [],
  'AWS::ElastiCache::ReplicationGroup': (_id, before, after) =>
    changed(before, after, 'CacheNodeType')
      ? [{ change: `CacheNodeType ${show(before.CacheNodeType)} → ${show(after.CacheNodeType)}`, impact: 'online scaling: nodes are replaced shard by shard, each with a brief failover', outage: false }]
      : [],
  'AWS::ElastiCache::GlobalReplicationGroup': (_id, before, after) =>
    changed(before, after, 'CacheNodeType')
      ? [{ change: `CacheNodeType ${show(before.CacheNodeType)} → ${show(after.CacheNodeType)}`, impact: 'every member of the Global Datastore scales, region by region (hours at 54 nodes)', outage: false }]
      : [],
  'AWS::MSK::Cluster': (_id, before, after) => {
    const found: Omit<Restart, 'stack' | 'logicalId' | 'type'>[] = [];
    const type = (o: Record<string, unknown>) => nested(o, 'BrokerNodeGroupInfo', 'InstanceType');
    if (JSON.stringify(type(before)) !== JSON.stringify(type(after))) {
      found.push({ change: `broker type ${show(type(before))} → ${show(type(after))}`, impact: 'brokers restart one at a time; clients reconnect to the partition leaders that move', outage: false });
    }
    if (changed(before, after, 'KafkaVersion') || changed(before, after, 'ConfigurationInfo')) {
      found.push({ change: 'Kafka version or broker configuration', impact: 'a rolling restart of the brokers', outage: false });
    }
    return found;
  },
  'AWS::EKS::Nodegroup': (_id, before, after) =>
    changed(before, after, 'LaunchTemplate') || changed(before, after, 'ReleaseVersion') || changed(before, after, 'Version')
      ? [{ change: 'node launch template or AMI', impact: 'nodes are replaced one at a time, draining pods within their PodDisruptionBudgets', outage: false }]
      : [],
  'AWS::AutoScaling::AutoScalingGroup': (_id, before, after) =>
    changed(before, after, 'LaunchTemplate') || changed(before, after, 'MixedInstancesPolicy')
      ? [{ change: 'launch template (instance type, user data or image)', impact: 'servers are replaced by the group\'s rolling update, a few at a time behind the load balancer', outage: false }]
      : [],
};

/**
 * The changes of a move that restart or roll something serving traffic, stack by stack, with the
 * outages a single-AZ resource would take and how to avoid them.
 */
export function restartsOf(from: PhaseTemplates, to: PhaseTemplates): Restart[] {
  const found: Restart[] = [];
  for (const [stack, after] of to.stacks) {
    const before = from.stacks.get(stack);
    if (!before) continue;
    for (const [logicalId, resource] of Object.entries((after.Resources ?? {}) as Record<string, Resource>)) {
      const old = (before.Resources)?.[logicalId];
      const rule = RULES[resource.Type];
      if (!old || old.Type !== resource.Type || !rule) continue;
      for (const r of rule({ stack, id: logicalId }, old.Properties ?? {}, resource.Properties ?? {})) found.push({ stack, logicalId, type: resource.Type, ...r });
    }
  }
  return found;
}

/**
 * The order `cdk deploy --all` takes, and why it keeps the system serving: each region's network,
 * peering and data before its compute, the primary region before the secondaries, and within a
 * data stack one database instance at a time (lib/constructs/data-store.ts `oneAtATime`).
 */
export function deployOrder(to: PhaseTemplates, dependencies: ReadonlyMap<string, readonly string[]>): string[] {
  const order: string[] = [];
  const visit = (name: string, seen: Set<string>) => {
    if (order.includes(name) || seen.has(name)) return;
    seen.add(name);
    for (const dep of dependencies.get(name) ?? []) if (to.stacks.has(dep)) visit(dep, seen);
    order.push(name);
  };
  for (const name of [...to.stacks.keys()].sort()) visit(name, new Set());
  return order;
}
