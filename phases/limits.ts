/**
 * AWS limits the phase specs are checked against (checked 2026-11; re-check before relying).
 */

/**
 * Partitions per broker (leaders and followers) that Amazon MSK recommends for each broker type.
 * Above this, MSK may refuse updates and brokers degrade.
 */
export const MSK_PARTITIONS_PER_BROKER: Readonly<Record<string, number>> = {
  'kafka.t3.small': 300,
  'kafka.m5.large': 1_000,
  'kafka.m5.xlarge': 1_000,
  'kafka.m5.2xlarge': 2_000,
  'kafka.m5.4xlarge': 4_000,
  'kafka.m7g.large': 1_000,
  'kafka.m7g.xlarge': 1_000,
  'kafka.m7g.2xlarge': 2_000,
  'kafka.m7g.4xlarge': 4_000,
};

/** Node families an ElastiCache Global Datastore accepts (M and R, current generations). */
export const GLOBAL_DATASTORE_FAMILIES: readonly string[] = ['m5', 'm6g', 'm7g', 'r5', 'r6g', 'r6gd', 'r7g'];

/** Node sizes an ElastiCache Global Datastore accepts: large or bigger. */
export const GLOBAL_DATASTORE_SIZE = /^(large|\d*xlarge)$/;

/** A Global Datastore has one primary and at most two secondary regions. */
export const MAX_CACHE_REGIONS = 3;

/** Automated backups: RDS and DocumentDB keep 1 to 35 days. */
export const BACKUP_RETENTION_DAYS = { min: 1, max: 35 } as const;

/** DocumentDB elastic clusters: shard count and the vCPUs a shard may have. */
export const DOCDB_ELASTIC = { minShards: 1, maxShards: 32, shardCapacities: [2, 4, 8, 16, 32], maxShardInstances: 16 } as const;

/** ElastiCache cluster mode: node groups (shards) per replication group, replicas per node group. */
export const ELASTICACHE = { maxShards: 500, maxReplicasPerShard: 5 } as const;

/** The VPC design places subnets in exactly three AZs, the count MSK and the data stores are spread over. */
export const AZ_COUNT = 3;

/** AppConfig's rule for a feature flag's key. */
export const FLAG_KEY_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
