import { PHASE_NAMES, PhaseName } from '../../phases';
import { TemplateJson } from '../../lib/review/upgrade-review';
import { phaseTemplates } from './support/assembly';

/**
 * Cross-phase invariants read from the templates themselves (not the specs), so that a construct
 * that ignored its spec would be caught too: for every resource present in two adjacent phases,
 * capacity never shrinks, and Multi-AZ, backups and encryption never downgrade.
 */
type Rule = { type: string; path: string[]; kind: 'never-decreases' | 'never-turns-off' };

const RULES: Rule[] = [
  { type: 'AWS::RDS::DBInstance', path: ['AllocatedStorage'], kind: 'never-decreases' },
  { type: 'AWS::RDS::DBInstance', path: ['BackupRetentionPeriod'], kind: 'never-decreases' },
  { type: 'AWS::RDS::DBInstance', path: ['MultiAZ'], kind: 'never-turns-off' },
  { type: 'AWS::RDS::DBInstance', path: ['StorageEncrypted'], kind: 'never-turns-off' },
  { type: 'AWS::RDS::DBInstance', path: ['DeletionProtection'], kind: 'never-turns-off' },
  { type: 'AWS::DocDB::DBCluster', path: ['BackupRetentionPeriod'], kind: 'never-decreases' },
  { type: 'AWS::DocDB::DBCluster', path: ['StorageEncrypted'], kind: 'never-turns-off' },
  { type: 'AWS::DocDBElastic::Cluster', path: ['ShardCount'], kind: 'never-decreases' },
  { type: 'AWS::DocDBElastic::Cluster', path: ['ShardCapacity'], kind: 'never-decreases' },
  { type: 'AWS::ElastiCache::ReplicationGroup', path: ['NumNodeGroups'], kind: 'never-decreases' },
  { type: 'AWS::ElastiCache::ReplicationGroup', path: ['AtRestEncryptionEnabled'], kind: 'never-turns-off' },
  { type: 'AWS::ElastiCache::ReplicationGroup', path: ['TransitEncryptionEnabled'], kind: 'never-turns-off' },
  { type: 'AWS::ElastiCache::ReplicationGroup', path: ['MultiAZEnabled'], kind: 'never-turns-off' },
  { type: 'AWS::MSK::Cluster', path: ['NumberOfBrokerNodes'], kind: 'never-decreases' },
  { type: 'AWS::MSK::Cluster', path: ['BrokerNodeGroupInfo', 'StorageInfo', 'EBSStorageInfo', 'VolumeSize'], kind: 'never-decreases' },
  { type: 'AWS::MSK::Cluster', path: ['EncryptionInfo', 'EncryptionInTransit', 'InCluster'], kind: 'never-turns-off' },
  { type: 'AWS::KMS::Key', path: ['EnableKeyRotation'], kind: 'never-turns-off' },
];

function at(root: unknown, path: string[]): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), root);
}

/** Every violation of the rules between two phases' templates. */
export function crossPhaseViolations(before: Map<string, TemplateJson>, after: Map<string, TemplateJson>, label: string): string[] {
  const found: string[] = [];
  for (const [stack, old] of before) {
    const next = after.get(stack);
    for (const [id, resource] of Object.entries(old.Resources ?? {})) {
      const successor = next?.Resources?.[id];
      if (!successor) continue;
      for (const rule of RULES.filter((r) => r.type === resource.Type)) {
        const was = at(resource.Properties, rule.path);
        const now = at(successor.Properties, rule.path);
        const where = `${label} ${stack}/${id} ${rule.path.join('.')}: ${JSON.stringify(was)} → ${JSON.stringify(now)}`;
        if (rule.kind === 'never-turns-off' && was === true && now !== true) found.push(`${where} (turned off)`);
        if (rule.kind === 'never-decreases' && was !== undefined && !(Number(now) >= Number(was))) found.push(`${where} (decreased)`);
      }
    }
  }
  return found;
}

const STEPS = PHASE_NAMES.slice(1).map((to, n) => [PHASE_NAMES[n], to] as [PhaseName, PhaseName]);

describe('cross-phase invariants in the templates', () => {
  test.each(STEPS)('%s → %s: capacity never shrinks; Multi-AZ, backups and encryption never downgrade', (from, to) => {
    expect(crossPhaseViolations(phaseTemplates(from).stacks as Map<string, TemplateJson>, phaseTemplates(to).stacks as Map<string, TemplateJson>, `${from}→${to}`)).toEqual([]);
  });

  test('a shrunk cache or a database whose Multi-AZ turns off is reported', () => {
    const before = phaseTemplates('50k').stacks as Map<string, TemplateJson>;
    const after = new Map([...before].map(([name, t]) => [name, structuredClone(t)]));
    const data = after.get('orders-use1-data')!;
    for (const resource of Object.values(data.Resources ?? {})) {
      if (resource.Type === 'AWS::ElastiCache::ReplicationGroup') resource.Properties!.NumNodeGroups = 2;
      if (resource.Type === 'AWS::RDS::DBInstance' && resource.Properties!.MultiAZ === true) resource.Properties!.MultiAZ = false;
    }
    const violations = crossPhaseViolations(before, after, 'x');
    expect(violations).toEqual(expect.arrayContaining([expect.stringMatching(/NumNodeGroups: 3 → 2 \(decreased\)$/), expect.stringMatching(/MultiAZ: true → false \(turned off\)$/)]));
  });
});
