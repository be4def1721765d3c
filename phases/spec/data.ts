/** The databases of a phase: PostgreSQL on RDS and DocumentDB. */

/** A PostgreSQL DB instance (and its read replicas) on Amazon RDS. */
export interface PostgresInstanceSpec {
  /**
   * Construct ID, part of the public contract: it fixes the instance's logical ID.
   * Never derived from a size, a count or the phase.
   */
  readonly id: string;
  /** What the instance stores. Orders may be split over several shard instances. */
  readonly role: 'users' | 'orders' | 'inventory';
  /** For an orders shard, its index; buckets map to shard indexes. */
  readonly shardIndex?: number;
  /** The database created in the instance. Create-only. */
  readonly databaseName: string;
  /** RDS instance class without the `db.` prefix, e.g. `t4g.small`. */
  readonly instanceClass: string;
  /** A standby in a second AZ with automatic failover. */
  readonly multiAz: boolean;
  /** Allocated gp3 storage in GiB. Never shrinks. */
  readonly storageGiB: number;
  /** Storage autoscaling ceiling in GiB. */
  readonly maxStorageGiB: number;
  /** Read replicas of this instance in the same region. */
  readonly readReplicas: number;
  /** Days of automated backups, which also gives point-in-time recovery (1 to 35). */
  readonly backupRetentionDays: number;
}

/** PostgreSQL on RDS. */
export interface PostgresSpec {
  /** The engine's full version; the local test server runs the same major version. */
  readonly engineVersion: string;
  /** The instances, including every orders shard. Shard 0 is the original orders instance. */
  readonly instances: readonly PostgresInstanceSpec[];
  /** Logical order buckets; customers hash to buckets, buckets map to shards. Fixed for the life of the data. */
  readonly orderBuckets: number;
  /** Days between automatic rotations of each master password. */
  readonly secretRotationDays: number;
}

/** Amazon DocumentDB, the roadmap's MongoDB. */
export interface DocumentDbSpec {
  /** Instance-based cluster (the product catalogue from the first phase). */
  readonly instanceCluster: {
    /** Instances: one writer plus replicas. */
    readonly instances: number;
    /** Instance class without the `db.` prefix. */
    readonly instanceClass: string;
    /** Days of automated backups (1 to 35). */
    readonly backupRetentionDays: number;
  };
  /**
   * Elastic cluster for sharded collections, added beside the instance-based cluster.
   * Absent before sharding starts.
   */
  readonly elasticCluster?: {
    /** Shards (2 to 32). */
    readonly shardCount: number;
    /** vCPUs per shard: 2, 4, 8, 16 or 32. */
    readonly shardCapacity: number;
    /** Instances per shard, including the writer (1 to 16). */
    readonly shardInstanceCount: number;
    /** Days of automated backups (1 to 35). */
    readonly backupRetentionDays: number;
  };
}
