import { ResourceImpact, fullDiff } from '@aws-cdk/cloudformation-diff';

/** A CloudFormation template as JSON. */
export type TemplateJson = {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown>; UpdatePolicy?: Record<string, unknown> }>;
} & Record<string, unknown>;

/** A deployed (or to-be-deployed) phase: its templates by stack name. */
export interface PhaseTemplates {
  readonly phase: string;
  readonly stacks: ReadonlyMap<string, TemplateJson>;
}

/** Resource types that hold data or identity: never replaced, destroyed or orphaned by an upgrade. */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBSubnetGroup',
  'AWS::DocDB::DBCluster',
  'AWS::DocDB::DBInstance',
  'AWS::DocDB::DBSubnetGroup',
  'AWS::DocDBElastic::Cluster',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::ElastiCache::SubnetGroup',
  'AWS::ElastiCache::GlobalReplicationGroup',
  'AWS::MSK::Cluster',
  'AWS::S3::Bucket',
  'AWS::KMS::Key',
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::Volume',
  'AWS::SecretsManager::Secret',
  'AWS::Logs::LogGroup',
  'AWS::EKS::Cluster',
]);

/**
 * Create-only properties nested inside a top-level property. The diff engine flags replacement
 * only for top-level properties, so these are checked here (path below Properties).
 */
export const NESTED_CREATE_ONLY: Readonly<Record<string, ReadonlyArray<readonly string[]>>> = {
  'AWS::MSK::Cluster': [
    ['BrokerNodeGroupInfo', 'ClientSubnets'],
    ['BrokerNodeGroupInfo', 'SecurityGroups'],
    ['EncryptionInfo', 'EncryptionAtRest', 'DataVolumeKmsKeyId'],
    ['EncryptionInfo', 'EncryptionInTransit', 'InCluster'],
  ],
};

/**
 * Properties whose update the resource specification marks as conditional (so the diff engine
 * says "may replace") but that CloudFormation applies in place: always (`true`), or when the
 * resource's UpdatePolicy turns the named option on.
 */
export const CONDITIONAL_IN_PLACE: Readonly<Record<string, Readonly<Record<string, true | string>>>> = {
  // ModifyDBInstance converts to Multi-AZ online and changes backup retention in place.
  'AWS::RDS::DBInstance': { MultiAZ: true, BackupRetentionPeriod: true },
  // Shards are added online only with UpdatePolicy.UseOnlineResharding.
  'AWS::ElastiCache::ReplicationGroup': { NumNodeGroups: 'UseOnlineResharding' },
};

/**
 * Properties whose removal CloudFormation applies in place although a change of their value
 * replaces the resource. Removing a DB instance's SourceDBInstanceIdentifier promotes the read
 * replica to a standalone instance (CloudFormation resource reference, AWS::RDS::DBInstance); a
 * regional failover has already promoted it, and the template of the new home drops it.
 */
const IN_PLACE_WHEN_REMOVED: Readonly<Record<string, readonly string[]>> = {
  'AWS::RDS::DBInstance': ['SourceDBInstanceIdentifier'],
};

/** What happens to one resource when moving from one phase to the next. */
export type ChangeAction = 'add' | 'update' | 'replace' | 'may-replace' | 'destroy' | 'orphan';

/** One resource's change. */
export interface ResourceChange {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly action: ChangeAction;
  readonly stateful: boolean;
  /** Properties behind a replacement, when known. */
  readonly causes: readonly string[];
}

/** The review of a move from one phase to another. */
export interface UpgradeReview {
  readonly from: string;
  readonly to: string;
  readonly changes: readonly ResourceChange[];
  readonly addedStacks: readonly string[];
  readonly removedStacks: readonly string[];
  /** What makes the move unsafe: stateful replacements or deletions, vanished stacks. Empty when safe. */
  readonly errors: readonly string[];
}

const IMPACT_ACTION: Partial<Record<ResourceImpact, ChangeAction>> = {
  [ResourceImpact.WILL_UPDATE]: 'update',
  [ResourceImpact.WILL_CREATE]: 'add',
  [ResourceImpact.WILL_REPLACE]: 'replace',
  [ResourceImpact.MAY_REPLACE]: 'may-replace',
  [ResourceImpact.WILL_DESTROY]: 'destroy',
  [ResourceImpact.WILL_ORPHAN]: 'orphan',
};

const UNSAFE: ReadonlySet<ChangeAction> = new Set(['replace', 'may-replace', 'destroy', 'orphan']);

function valueAt(root: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), root);
}

function nestedCreateOnlyChanges(type: string, before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): string[] {
  return (NESTED_CREATE_ONLY[type] ?? [])
    .filter((path) => JSON.stringify(valueAt(before, path)) !== JSON.stringify(valueAt(after, path)))
    .map((path) => path.join('.'));
}

function reviewStack(stack: string, before: TemplateJson, after: TemplateJson): ResourceChange[] {
  const diff = fullDiff(before, after);
  const changes: ResourceChange[] = [];
  diff.resources.forEachDifference((logicalId, change) => {
    const type = change.newResourceType ?? change.oldResourceType ?? 'unknown';
    const nested = change.isUpdate ? nestedCreateOnlyChanges(type, change.oldProperties, change.newProperties) : [];
    let action = IMPACT_ACTION[change.changeImpact];
    if (!action) return;
    if (nested.length > 0 && action === 'update') action = 'replace';
    const replacing = Object.entries(change.propertyUpdates)
      .filter(([, p]) => p.changeImpact === ResourceImpact.WILL_REPLACE || p.changeImpact === ResourceImpact.MAY_REPLACE)
      .map(([name]) => name);
    const policy = after.Resources?.[logicalId]?.UpdatePolicy ?? {};
    const removed = (name: string) => change.oldProperties?.[name] !== undefined && change.newProperties?.[name] === undefined;
    const excused = (name: string) => {
      const option = CONDITIONAL_IN_PLACE[type]?.[name];
      if ((IN_PLACE_WHEN_REMOVED[type] ?? []).includes(name) && removed(name)) return true;
      return option === true || (typeof option === 'string' && policy[option] === true);
    };
    if (action === 'may-replace' && nested.length === 0 && replacing.length > 0 && replacing.every(excused)) {
      action = 'update';
    }
    const causes = [...replacing.filter((name) => !excused(name)), ...nested];
    changes.push({ stack, logicalId, type, action, stateful: STATEFUL_TYPES.has(type), causes });
  });
  return changes;
}

/**
 * Reviews a move between two phases from their synthesized templates alone (no AWS access):
 * every resource added, changed, replaced or deleted, with stateful replacements and deletions
 * and vanished stacks reported as errors.
 */
export function reviewUpgrade(from: PhaseTemplates, to: PhaseTemplates): UpgradeReview {
  const changes: ResourceChange[] = [];
  const removedStacks = [...from.stacks.keys()].filter((name) => !to.stacks.has(name));
  const addedStacks = [...to.stacks.keys()].filter((name) => !from.stacks.has(name));
  for (const [name, after] of to.stacks) {
    changes.push(...reviewStack(name, from.stacks.get(name) ?? {}, after));
  }
  for (const name of removedStacks) {
    changes.push(...reviewStack(name, from.stacks.get(name) ?? {}, {}));
  }
  const errors = [
    ...removedStacks.map((name) => `stack ${name} exists in ${from.phase} but not in ${to.phase}: deploying ${to.phase} would leave it behind or delete it`),
    ...changes
      .filter((c) => c.stateful && UNSAFE.has(c.action))
      .map(
        (c) =>
          `${c.stack}/${c.logicalId} (${c.type}) would ${c.action === 'may-replace' ? 'possibly be replaced' : c.action === 'replace' ? 'be replaced' : c.action === 'destroy' ? 'be deleted' : 'be orphaned'}` +
          (c.causes.length ? ` because of ${c.causes.join(', ')}` : ''),
      ),
  ];
  return { from: from.phase, to: to.phase, changes, addedStacks, removedStacks, errors };
}

/** Counts of changes by action, for a one-line summary. */
export function summarize(review: UpgradeReview): Record<ChangeAction, number> {
  const counts: Record<ChangeAction, number> = { add: 0, update: 0, replace: 0, 'may-replace': 0, destroy: 0, orphan: 0 };
  for (const change of review.changes) counts[change.action] += 1;
  return counts;
}
