/** Rules over `cache`: its shape, and the Global Datastore that joins the regions' caches. */

import { ELASTICACHE, GLOBAL_DATASTORE_FAMILIES, GLOBAL_DATASTORE_SIZE, MAX_CACHE_REGIONS } from '../limits';
import { NoShrinkRow, ValidationRule, violation } from './rule';

function cacheNodeTypeAllowsGlobalDatastore(nodeType: string): boolean {
  const [prefix, family, size] = nodeType.split('.');
  return prefix === 'cache' && GLOBAL_DATASTORE_FAMILIES.includes(family ?? '') && GLOBAL_DATASTORE_SIZE.test(size ?? '');
}

/** Rules over `cache`. */
export const CACHE_RULES: readonly ValidationRule[] = [
  {
    id: 'cache-global-datastore-node-type',
    check: (s) =>
      !s.cache.globalDatastore || cacheNodeTypeAllowsGlobalDatastore(s.cache.nodeType)
        ? []
        : [
            violation(
              'cache.nodeType',
              s.cache.nodeType,
              `a Global Datastore member needs an M or R node type of size large or more (${GLOBAL_DATASTORE_FAMILIES.join(', ')}); cache.globalDatastore is true`,
            ),
          ],
  },
  {
    id: 'cache-regions',
    check: (s) =>
      s.regions.length <= MAX_CACHE_REGIONS
        ? []
        : [
            violation(
              'regions',
              s.regions.map((r) => r.region),
              `a cache runs in every region, and a Global Datastore allows a primary and at most ${MAX_CACHE_REGIONS - 1} secondary regions (${MAX_CACHE_REGIONS} in all)`,
            ),
          ],
  },
  {
    id: 'cache-global-datastore-join',
    check: (s) => {
      const joined = s.cache.joinedGlobalDatastoreWith;
      if (!s.cache.globalDatastore) {
        return joined ? [violation('cache.joinedGlobalDatastoreWith', joined, 'must be absent when cache.globalDatastore is false')] : [];
      }
      if (!joined) {
        return [violation('cache.joinedGlobalDatastoreWith', null, 'must give the node type and shard count the primary replication group joined the Global Datastore with')];
      }
      return [
        ...(cacheNodeTypeAllowsGlobalDatastore(joined.nodeType)
          ? []
          : [violation('cache.joinedGlobalDatastoreWith.nodeType', joined.nodeType, `a Global Datastore member needs an M or R node type of size large or more (${GLOBAL_DATASTORE_FAMILIES.join(', ')})`)]),
        ...(joined.shardsPerRegion <= s.cache.shardsPerRegion
          ? []
          : [violation('cache.joinedGlobalDatastoreWith.shardsPerRegion', joined.shardsPerRegion, `must be at most cache.shardsPerRegion (${s.cache.shardsPerRegion}): shards only grow`)]),
      ];
    },
  },
  {
    id: 'cache-in-process',
    check: (s) => {
      const l = s.cache.inProcess;
      if (!l) return [];
      return [
        ...(Number.isInteger(l.entries) && l.entries >= 1 && l.entries <= 1_000_000
          ? []
          : [violation('cache.inProcess.entries', l.entries, 'must be a whole number from 1 to 1000000 (each entry is one product, kept in every instance)')]),
        ...(Number.isInteger(l.ttlMs) && l.ttlMs >= 100 && l.ttlMs <= 600_000
          ? []
          : [violation('cache.inProcess.ttlMs', l.ttlMs, 'must be whole milliseconds from 100 to 600000: the longest a product change may take to be seen everywhere')]),
      ];
    },
  },
  {
    id: 'cache-multi-region-needs-global-datastore',
    check: (s) =>
      s.regions.length === 1 || s.cache.globalDatastore
        ? []
        : [violation('cache.globalDatastore', s.cache.globalDatastore, 'must be true when the phase has more than one region, so that caches stay in sync')],
  },
  {
    id: 'cache-shape',
    check: (s) => [
      ...(Number.isInteger(s.cache.shardsPerRegion) && s.cache.shardsPerRegion >= 1 && s.cache.shardsPerRegion <= ELASTICACHE.maxShards
        ? []
        : [violation('cache.shardsPerRegion', s.cache.shardsPerRegion, `must be a whole number from 1 to ${ELASTICACHE.maxShards}`)]),
      ...(Number.isInteger(s.cache.replicasPerShard) && s.cache.replicasPerShard >= 1 && s.cache.replicasPerShard <= ELASTICACHE.maxReplicasPerShard
        ? []
        : [violation('cache.replicasPerShard', s.cache.replicasPerShard, `must be from 1 to ${ELASTICACHE.maxReplicasPerShard}: automatic failover needs at least one replica per shard`)]),
    ],
  },
];

/** What a phase move may not do to `cache`. */
export const CACHE_NO_SHRINK: readonly NoShrinkRow[] = [
  {
    field: 'cache.engine',
    read: (s) => [['cache', s.cache.engine]],
    kind: 'fixed',
    why: 'Engine is create-only on an ElastiCache replication group',
  },
  {
    field: 'cache.replicasPerShard',
    read: (s) => [['cache', s.cache.replicasPerShard]],
    kind: 'fixed',
    why: 'ReplicasPerNodeGroup is create-only on an ElastiCache replication group: grow by shards',
  },
  {
    field: 'cache.shardsPerRegion',
    read: (s) => [['cache', s.cache.shardsPerRegion]],
    kind: 'never-shrinks',
    why: 'cache capacity never shrinks',
  },
  {
    field: 'cache.globalDatastore',
    read: (s) => [['cache', s.cache.globalDatastore]],
    kind: 'never-turns-off',
    why: 'cross-region cache replication never downgrades',
  },
  {
    field: 'cache.joinedGlobalDatastoreWith',
    read: (s) => {
      const joined = s.cache.joinedGlobalDatastoreWith;
      return joined ? [['cache', `${joined.nodeType} x ${joined.shardsPerRegion} shards`]] : [];
    },
    kind: 'fixed',
    why: 'the replication group keeps the values it joined the Global Datastore with; sizes change through the global group',
  },
];
