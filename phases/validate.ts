import {
  AZ_COUNT,
  BACKUP_RETENTION_DAYS,
  DOCDB_ELASTIC,
  ELASTICACHE,
  GLOBAL_DATASTORE_FAMILIES,
  GLOBAL_DATASTORE_SIZE,
  MAX_CACHE_REGIONS,
  MSK_PARTITIONS_PER_BROKER,
} from './limits';
import { PhaseSpec } from './types';
import { COMPUTE_RULES } from './compute-types';
import { FLAG_RULES } from './flag-types';

/** One broken rule: which field, what value it had, and what the rule wants. */
export interface Violation {
  readonly field: string;
  readonly value: unknown;
  readonly rule: string;
}

/** A rule over one spec, or over a spec and the phase before it. */
export interface ValidationRule {
  /** Short identifier, used in tests. */
  readonly id: string;
  /** Returns the violations; empty when the spec obeys the rule. */
  readonly check: (spec: PhaseSpec, previous: PhaseSpec | undefined) => Violation[];
}

/** Thrown when a phase spec breaks one or more rules; the message lists every violation. */
export class PhaseSpecError extends Error {
  constructor(
    readonly phase: string,
    readonly violations: readonly Violation[],
  ) {
    super(
      `Phase spec "${phase}" is invalid (${violations.length} ${violations.length === 1 ? 'problem' : 'problems'}):\n` +
        violations.map((v) => `  - ${v.field} = ${JSON.stringify(v.value)}: ${v.rule}`).join('\n'),
    );
    this.name = 'PhaseSpecError';
  }
}

function violation(field: string, value: unknown, rule: string): Violation {
  return { field, value, rule };
}

function cacheNodeTypeAllowsGlobalDatastore(nodeType: string): boolean {
  const [prefix, family, size] = nodeType.split('.');
  return prefix === 'cache' && GLOBAL_DATASTORE_FAMILIES.includes(family ?? '') && GLOBAL_DATASTORE_SIZE.test(size ?? '');
}

/** Replica partitions a broker carries: every topic's partitions times its replication factor, spread evenly. */
export function partitionsPerBroker(spec: PhaseSpec): number {
  const replicas = spec.streaming.topics.reduce((sum, t) => sum + t.partitions * t.replicationFactor, 0);
  return Math.ceil(replicas / spec.streaming.brokersPerRegion);
}

/**
 * A value that may only grow (or stay) from one phase to the next, read from both specs by key.
 * `keyed` rows compare items that share an ID.
 */
interface MonotonicField {
  readonly field: string;
  readonly read: (spec: PhaseSpec) => ReadonlyArray<readonly [key: string, value: number | boolean | string | undefined]>;
  readonly kind: 'never-shrinks' | 'never-turns-off' | 'fixed';
  readonly why: string;
}

const MONOTONIC_FIELDS: readonly MonotonicField[] = [
  {
    field: 'regions[].region',
    read: (s) => s.regions.map((r) => [r.region, true] as const),
    kind: 'never-turns-off',
    why: 'a region, once built, is never dropped by a later phase',
  },
  {
    field: 'regions[].availabilityZones',
    read: (s) => s.regions.map((r) => [r.region, r.availabilityZones.join(',')] as const),
    kind: 'fixed',
    why: 'a VPC cannot move its subnets to other AZs in place',
  },
  {
    field: 'regions[].vpcCidr',
    read: (s) => s.regions.map((r) => [r.region, r.vpcCidr] as const),
    kind: 'fixed',
    why: 'changing a VPC CIDR replaces the VPC and everything in it',
  },
  {
    field: 'regions[].natGateways',
    read: (s) => s.regions.map((r) => [r.region, r.natGateways] as const),
    kind: 'never-shrinks',
    why: 'egress capacity never shrinks',
  },
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
  {
    field: 'dns.routing.policy',
    read: (s) => [['dns', s.dns.routing.policy]],
    kind: 'fixed',
    why: 'Route 53 cannot hold latency and geolocation records for one name: a change would take api.<domain> out of DNS between the deletes and the creates',
  },
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
  {
    field: 'streaming.brokersPerRegion',
    read: (s) => [['streaming', s.streaming.brokersPerRegion]],
    kind: 'never-shrinks',
    why: 'MSK cannot remove brokers from a cluster',
  },
  {
    field: 'streaming.kafkaVersion',
    read: (s) => [['streaming', s.streaming.kafkaVersion.endsWith('.kraft') ? 'KRaft' : 'ZooKeeper']],
    kind: 'fixed',
    why: 'MSK fixes the metadata mode (KRaft or ZooKeeper) when a cluster is created',
  },
  {
    field: 'streaming.storagePerBrokerGiB',
    read: (s) => [['streaming', s.streaming.storagePerBrokerGiB]],
    kind: 'never-shrinks',
    why: 'MSK broker storage can only grow',
  },
  {
    field: 'streaming.topics[].partitions',
    read: (s) => s.streaming.topics.map((t) => [t.name, t.partitions] as const),
    kind: 'never-shrinks',
    why: 'Kafka cannot remove partitions from a topic, and keys would move',
  },
  {
    field: 'slo.dailyUsers',
    read: (s) => [['slo', s.slo.dailyUsers]],
    kind: 'never-shrinks',
    why: 'each phase serves more users than the one before',
  },
  {
    field: 'compute.gateway',
    read: (s) => [['gateway', s.compute.gateway !== undefined]],
    kind: 'never-turns-off',
    why: 'clients call the API Gateway endpoint once it exists; removing it breaks them',
  },
  {
    field: 'compute.eks',
    read: (s) => [['eks', s.compute.eks !== undefined]],
    kind: 'never-turns-off',
    why: 'once the services run on Kubernetes, a later phase does not go back to EC2',
  },
  {
    field: 'compute.eventSourcing',
    read: (s) => [['eventSourcing', s.compute.eventSourcing !== undefined]],
    kind: 'never-turns-off',
    why: 'order reads come from the event log\'s projection once it is on, and a log left off misses every change made meanwhile',
  },
  {
    field: 'compute.eks.services[].maxReplicas',
    read: (s) => (s.compute.eks?.services ?? []).map((p) => [p.name, p.maxReplicas] as const),
    kind: 'never-shrinks',
    why: 'a service\'s HPA ceiling never shrinks',
  },
  {
    field: 'compute.eks.services[].minReplicas',
    read: (s) => (s.compute.eks?.services ?? []).map((p) => [p.name, p.minReplicas] as const),
    kind: 'never-shrinks',
    why: 'a service\'s HPA floor never shrinks',
  },
  {
    field: 'compute.eks.nodeGroups[].desiredNodes',
    // Keyed by the group and its instance types: a group whose types change is replaced, and starts anew.
    read: (s) => (s.compute.eks?.nodeGroups ?? []).map((g) => [`${g.id} (${g.instanceTypes.join(', ')})`, g.desiredNodes] as const),
    kind: 'fixed',
    why: 'EKS resizes a node group whenever its desired size changes in the template, undoing what the cluster autoscaler chose',
  },
  {
    field: 'compute.eks.nodeGroups[].maxNodes',
    read: (s) => (s.compute.eks?.nodeGroups ?? []).map((g) => [g.id, g.maxNodes] as const),
    kind: 'never-shrinks',
    why: 'node capacity never shrinks',
  },
];

function checkMonotonic(spec: PhaseSpec, previous: PhaseSpec): Violation[] {
  const found: Violation[] = [];
  for (const row of MONOTONIC_FIELDS) {
    const now = new Map(row.read(spec));
    for (const [key, before] of row.read(previous)) {
      const after = now.get(key);
      const field = row.field.replace('[]', `[${key}]`);
      const prefix = `phase ${previous.name} had ${JSON.stringify(before)}`;
      if (row.kind === 'never-turns-off' && before === true && after !== true) {
        found.push(violation(field, after ?? null, `${prefix}; ${row.why}`));
      } else if (row.kind === 'fixed' && after !== undefined && after !== before) {
        found.push(violation(field, after, `${prefix}; it must stay the same: ${row.why}`));
      } else if (row.kind === 'never-shrinks' && typeof before === 'number' && (after === undefined || (after as number) < before)) {
        found.push(violation(field, after ?? null, `${prefix}; it must not shrink: ${row.why}`));
      }
    }
  }
  return found;
}

/** The rules, each with its own test. */
export const RULES: readonly ValidationRule[] = [
  {
    id: 'read-model-lag-alarm',
    check: (s) => {
      const lag = s.compute.eventSourcing?.readModelLagAlarmSeconds;
      return lag === undefined || (Number.isInteger(lag) && lag >= 1 && lag <= 3600)
        ? []
        : [violation('compute.eventSourcing.readModelLagAlarmSeconds', lag, 'must be a whole number of seconds from 1 to 3600')];
    },
  },
  {
    id: 'one-primary-region',
    check: (s) => {
      const primaries = s.regions.filter((r) => r.role === 'primary').map((r) => r.region);
      if (s.homeRegion === undefined) {
        return primaries.length === 1 && s.regions[0]?.role === 'primary'
          ? []
          : [violation('regions[].role', primaries, 'exactly one region must be primary, and it must be listed first')];
      }
      const regions = s.regions.map((r) => r.region);
      if (!regions.includes(s.homeRegion) || s.homeRegion === regions[0]) {
        return [violation('homeRegion', s.homeRegion, `must be one of the phase's regions other than the first (${regions.slice(1).join(', ')}): the region a failover moved the writes to`)];
      }
      return primaries.length === 1 && primaries[0] === s.homeRegion
        ? []
        : [violation('regions[].role', primaries, `exactly one region must be primary: homeRegion ${s.homeRegion}`)];
    },
  },
  {
    id: 'role-change-declared',
    check: (s, previous) => {
      if (!previous || s.homeRegion !== undefined) return [];
      const before = new Map(previous.regions.map((r) => [r.region, r.role]));
      return s.regions
        .filter((r) => before.has(r.region) && before.get(r.region) !== r.role)
        .map((r) =>
          violation(
            `regions[${r.region}].role`,
            r.role,
            `phase ${previous.name} had ${JSON.stringify(before.get(r.region))}; a phase move never changes which region takes the writes: that is a regional failover, ` +
              'and after one the new home is declared with -c homeRegion=REGION (phases/home.ts)',
          ),
        );
    },
  },
  {
    id: 'three-azs',
    check: (s) =>
      s.regions.flatMap((r) => {
        const bad = r.availabilityZones.length !== AZ_COUNT || new Set(r.availabilityZones).size !== AZ_COUNT;
        const foreign = r.availabilityZones.filter((az) => !az.startsWith(r.region) || !/^[a-z]$/.test(az.slice(r.region.length)));
        return [
          ...(bad ? [violation(`regions[${r.region}].availabilityZones`, r.availabilityZones, `must list exactly ${AZ_COUNT} distinct AZs`)] : []),
          ...(foreign.length ? [violation(`regions[${r.region}].availabilityZones`, foreign, `each AZ must be in ${r.region} (e.g. ${r.region}a)`)] : []),
        ];
      }),
  },
  {
    id: 'distinct-vpc-cidrs',
    check: (s) => {
      const cidrs = s.regions.map((r) => r.vpcCidr);
      const bad = s.regions.filter((r) => !/^10\.\d{1,3}\.0\.0\/16$/.test(r.vpcCidr));
      return [
        ...bad.map((r) => violation(`regions[${r.region}].vpcCidr`, r.vpcCidr, 'must be a /16 inside 10.0.0.0/8 of the form 10.N.0.0/16')),
        ...(new Set(cidrs).size !== cidrs.length ? [violation('regions[].vpcCidr', cidrs, 'each region needs its own CIDR so that VPCs can be peered')] : []),
      ];
    },
  },
  {
    id: 'nat-gateways',
    check: (s) =>
      s.regions
        .filter((r) => !Number.isInteger(r.natGateways) || r.natGateways < 1 || r.natGateways > AZ_COUNT)
        .map((r) => violation(`regions[${r.region}].natGateways`, r.natGateways, `must be a whole number from 1 to ${AZ_COUNT} (at most one per AZ)`)),
  },
  {
    id: 'msk-brokers-multiple-of-azs',
    check: (s) =>
      s.streaming.brokersPerRegion % AZ_COUNT === 0 && s.streaming.brokersPerRegion > 0
        ? []
        : [
            violation(
              'streaming.brokersPerRegion',
              s.streaming.brokersPerRegion,
              `must be a positive multiple of the ${AZ_COUNT} AZs: MSK places the same number of brokers in each AZ (use ${Math.max(AZ_COUNT, Math.floor(s.streaming.brokersPerRegion / AZ_COUNT) * AZ_COUNT)} or ${(Math.floor(s.streaming.brokersPerRegion / AZ_COUNT) + 1) * AZ_COUNT})`,
            ),
          ],
  },
  {
    id: 'msk-broker-type-known',
    check: (s) =>
      MSK_PARTITIONS_PER_BROKER[s.streaming.brokerType] !== undefined
        ? []
        : [violation('streaming.brokerType', s.streaming.brokerType, `must be one of ${Object.keys(MSK_PARTITIONS_PER_BROKER).join(', ')}`)],
  },
  {
    id: 'msk-partitions-per-broker',
    check: (s) => {
      const limit = MSK_PARTITIONS_PER_BROKER[s.streaming.brokerType];
      const perBroker = partitionsPerBroker(s);
      return limit === undefined || perBroker <= limit
        ? []
        : [
            violation(
              'streaming.topics',
              `${perBroker} partitions per broker`,
              `${s.streaming.brokerType} is recommended for at most ${limit} partitions per broker (leaders and followers); add brokers, a larger broker type or fewer partitions`,
            ),
          ];
    },
  },
  {
    id: 'topic-replication',
    check: (s) =>
      s.streaming.topics
        .filter((t) => t.replicationFactor > s.streaming.brokersPerRegion || t.replicationFactor < 1 || t.partitions < 1)
        .map((t) =>
          violation(
            `streaming.topics[${t.name}]`,
            { partitions: t.partitions, replicationFactor: t.replicationFactor },
            `needs at least 1 partition and a replication factor from 1 to the ${s.streaming.brokersPerRegion} brokers`,
          ),
        ),
  },
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
    id: 'secondary-regions-replicate-kafka',
    check: (s) => {
      const secondaries = s.regions.filter((r) => r.role === 'secondary').length;
      const mm = s.streaming.mirrorMaker;
      if (secondaries === 0) {
        return mm ? [violation('streaming.mirrorMaker', mm, 'must be absent in a single-region phase: there is nothing to mirror to')] : [];
      }
      const found: Violation[] = [];
      if (!mm) found.push(violation('streaming.mirrorMaker', null, 'must be set when the phase has secondary regions: their Kafka receives the primary\'s topics through MirrorMaker 2'));
      if (!s.compute.eks) found.push(violation('compute.eks', null, 'must be set when the phase has secondary regions: MirrorMaker 2 runs on EKS there'));
      if (!s.compute.gateway) found.push(violation('compute.gateway', null, 'must be set when the phase has secondary regions: they forward writes to the primary region\'s internal load balancer'));
      if (mm) {
        for (const [field, value] of [['tasksMax', mm.tasksMax], ['cpuMillis', mm.cpuMillis], ['memoryMiB', mm.memoryMiB]] as const) {
          if (!Number.isInteger(value) || value < 1) found.push(violation(`streaming.mirrorMaker.${field}`, value, 'must be a whole number of at least 1'));
        }
        if (mm.memoryMiB < 1024) found.push(violation('streaming.mirrorMaker.memoryMiB', mm.memoryMiB, 'must be at least 1024: MirrorMaker\'s JVM, producers and consumers need room beside the heap'));
      }
      return found;
    },
  },
  {
    id: 'edge',
    check: (s) => {
      const e = s.compute.gateway?.edge;
      if (!e) return [];
      return [
        ...(e.expectedHitPercent >= 0 && e.expectedHitPercent <= 100 ? [] : [violation('compute.gateway.edge.expectedHitPercent', e.expectedHitPercent, 'must be from 0 to 100')]),
        ...(Number.isInteger(e.maxTtlSeconds) && e.maxTtlSeconds >= 1 && e.maxTtlSeconds <= 31_536_000
          ? []
          : [violation('compute.gateway.edge.maxTtlSeconds', e.maxTtlSeconds, 'must be a whole number of seconds from 1 to 31536000 (CloudFront\'s limit)')]),
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
  {
    id: 'dns-health-check',
    check: (s) => {
      const h = s.dns.healthCheck;
      return [
        ...([10, 30].includes(h.intervalSeconds) ? [] : [violation('dns.healthCheck.intervalSeconds', h.intervalSeconds, 'must be 10 or 30: the intervals Route 53 health checks offer')]),
        ...(Number.isInteger(h.failureThreshold) && h.failureThreshold >= 1 && h.failureThreshold <= 10
          ? []
          : [violation('dns.healthCheck.failureThreshold', h.failureThreshold, 'must be a whole number from 1 to 10 (Route 53)')]),
        ...(Number.isInteger(s.dns.ttlSeconds) && s.dns.ttlSeconds >= 1 && s.dns.ttlSeconds <= 300
          ? []
          : [violation('dns.ttlSeconds', s.dns.ttlSeconds, 'must be a whole number of seconds from 1 to 300: it bounds how long users keep reaching a failed region')]),
      ];
    },
  },
  {
    id: 'dns-geolocation-regions',
    check: (s) => {
      const r = s.dns.routing;
      if (r.policy !== 'geolocation') return [];
      const regions = s.regions.map((x) => x.region as string);
      const rule = `must be one of the phase's regions (${regions.join(', ')})`;
      return [
        ...Object.entries(r.continents)
          .filter(([, region]) => !regions.includes(region as string))
          .map(([continent, region]) => violation(`dns.routing.continents.${continent}`, region, rule)),
        ...(regions.includes(r.defaultRegion) ? [] : [violation('dns.routing.defaultRegion', r.defaultRegion, rule)]),
      ];
    },
  },
  ...COMPUTE_RULES,
  ...FLAG_RULES,
  {
    id: 'no-shrink-or-downgrade',
    check: (s, previous) => (previous ? checkMonotonic(s, previous) : []),
  },
];

/**
 * Checks a spec against every rule (and against the phase before it, when given) and throws one
 * error that lists every violation.
 */
export function validatePhase(spec: PhaseSpec, previous?: PhaseSpec): void {
  const violations = RULES.flatMap((rule) => rule.check(spec, previous));
  if (violations.length > 0) throw new PhaseSpecError(spec.name, violations);
}
