/** Rules over `postgres` and `documentDb`: instances, shards, storage, backups. */

import { BACKUP_RETENTION_DAYS, DOCDB_ELASTIC } from '../limits';
import { NoShrinkRow, ValidationRule, violation } from './rule';

/** Rules over `postgres` and `documentDb`. */
export const DATA_RULES: readonly ValidationRule[] = [
  {
    id: 'postgres-instances',
    check: (s) => {
      const ids = s.postgres.instances.map((i) => i.id);
      const dup = ids.filter((id, n) => ids.indexOf(id) !== n);
      const shards = s.postgres.instances.filter((i) => i.role === 'orders').map((i) => i.shardIndex);
      const contiguous = shards.every((idx, n) => idx === n);
      return [
        ...(dup.length ? [violation('postgres.instances[].id', dup, 'instance IDs must be unique')] : []),
        ...(['users', 'orders', 'inventory'] as const)
          .filter((role) => !s.postgres.instances.some((i) => i.role === role))
          .map((role) => violation('postgres.instances', ids, `needs an instance with role "${role}"`)),
        ...(contiguous ? [] : [violation('postgres.instances[].shardIndex', shards, 'orders shards must be numbered 0, 1, 2, ... in order')]),
        ...(shards.length > s.postgres.orderBuckets
          ? [violation('postgres.orderBuckets', s.postgres.orderBuckets, `must be at least the ${shards.length} orders shards`)]
          : []),
      ];
    },
  },
  {
    id: 'postgres-storage',
    check: (s) =>
      s.postgres.instances.flatMap((i) => [
        ...(i.storageGiB < 20 ? [violation(`postgres.instances[${i.id}].storageGiB`, i.storageGiB, 'gp3 storage starts at 20 GiB')] : []),
        ...(i.maxStorageGiB <= i.storageGiB
          ? [violation(`postgres.instances[${i.id}].maxStorageGiB`, i.maxStorageGiB, `must exceed storageGiB (${i.storageGiB}) for storage autoscaling`)]
          : []),
      ]),
  },
  {
    id: 'backup-retention',
    check: (s) => {
      const rows: Array<[string, number]> = [
        ...s.postgres.instances.map((i) => [`postgres.instances[${i.id}].backupRetentionDays`, i.backupRetentionDays] as [string, number]),
        ['documentDb.instanceCluster.backupRetentionDays', s.documentDb.instanceCluster.backupRetentionDays],
        ...(s.documentDb.elasticCluster ? [['documentDb.elasticCluster.backupRetentionDays', s.documentDb.elasticCluster.backupRetentionDays] as [string, number]] : []),
      ];
      return rows
        .filter(([, days]) => !Number.isInteger(days) || days < BACKUP_RETENTION_DAYS.min || days > BACKUP_RETENTION_DAYS.max)
        .map(([field, days]) => violation(field, days, `must be a whole number of days from ${BACKUP_RETENTION_DAYS.min} to ${BACKUP_RETENTION_DAYS.max}`));
    },
  },
  {
    id: 'docdb-elastic-shape',
    check: (s) => {
      const e = s.documentDb.elasticCluster;
      if (!e) return [];
      return [
        ...(e.shardCount >= 2 && e.shardCount <= DOCDB_ELASTIC.maxShards
          ? []
          : [violation('documentDb.elasticCluster.shardCount', e.shardCount, `must be from 2 (sharding needs two) to ${DOCDB_ELASTIC.maxShards}`)]),
        ...((DOCDB_ELASTIC.shardCapacities as readonly number[]).includes(e.shardCapacity)
          ? []
          : [violation('documentDb.elasticCluster.shardCapacity', e.shardCapacity, `must be one of ${DOCDB_ELASTIC.shardCapacities.join(', ')} vCPUs`)]),
        ...(e.shardInstanceCount >= 1 && e.shardInstanceCount <= DOCDB_ELASTIC.maxShardInstances
          ? []
          : [violation('documentDb.elasticCluster.shardInstanceCount', e.shardInstanceCount, `must be from 1 to ${DOCDB_ELASTIC.maxShardInstances}`)]),
      ];
    },
  },
];

/** What a phase move may not do to `postgres` and `documentDb`. */
export const DATA_NO_SHRINK: readonly NoShrinkRow[] = [
  {
    field: 'postgres.instances[].id',
    read: (s) => s.postgres.instances.map((i) => [i.id, true] as const),
    kind: 'never-turns-off',
    why: 'a database instance is never removed: removing it deletes its data',
  },
  {
    field: 'postgres.instances[].databaseName',
    read: (s) => s.postgres.instances.map((i) => [i.id, i.databaseName] as const),
    kind: 'fixed',
    why: 'DBName is create-only: changing it replaces the instance',
  },
  {
    field: 'postgres.instances[].storageGiB',
    read: (s) => s.postgres.instances.map((i) => [i.id, i.storageGiB] as const),
    kind: 'never-shrinks',
    why: 'RDS storage can only grow',
  },
  {
    field: 'postgres.instances[].readReplicas',
    read: (s) => s.postgres.instances.map((i) => [i.id, i.readReplicas] as const),
    kind: 'never-shrinks',
    why: 'read capacity never shrinks',
  },
  {
    field: 'postgres.instances[].multiAz',
    read: (s) => s.postgres.instances.map((i) => [i.id, i.multiAz] as const),
    kind: 'never-turns-off',
    why: 'Multi-AZ never downgrades',
  },
  {
    field: 'postgres.instances[].backupRetentionDays',
    read: (s) => s.postgres.instances.map((i) => [i.id, i.backupRetentionDays] as const),
    kind: 'never-shrinks',
    why: 'backups never downgrade',
  },
  {
    field: 'postgres.orderBuckets',
    read: (s) => [['orderBuckets', s.postgres.orderBuckets]],
    kind: 'fixed',
    why: 'customers hash to buckets: changing the count moves every customer',
  },
  {
    field: 'documentDb.instanceCluster.instances',
    read: (s) => [['instanceCluster', s.documentDb.instanceCluster.instances]],
    kind: 'never-shrinks',
    why: 'DocumentDB capacity never shrinks',
  },
  {
    field: 'documentDb.instanceCluster.backupRetentionDays',
    read: (s) => [['instanceCluster', s.documentDb.instanceCluster.backupRetentionDays]],
    kind: 'never-shrinks',
    why: 'backups never downgrade',
  },
  {
    field: 'documentDb.elasticCluster',
    read: (s) => [['elasticCluster', s.documentDb.elasticCluster !== undefined]],
    kind: 'never-turns-off',
    why: 'removing the elastic cluster deletes the sharded collections',
  },
  {
    field: 'documentDb.elasticCluster.shardCount',
    read: (s) => (s.documentDb.elasticCluster ? [['elasticCluster', s.documentDb.elasticCluster.shardCount]] : []),
    kind: 'never-shrinks',
    why: 'shards never shrink',
  },
];
