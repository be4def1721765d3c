/**
 * The phase spec: one typed value per phase of the scaling roadmap.
 *
 * Every number the roadmap gives lives here, with its unit in the field name. Constructs in
 * `lib/` read these values; they never ask which phase they are building.
 */

import type { ComputeSpec, MonitoringSpec } from './compute-types';
import type { FlagsSpec } from './flag-types';

export * from './compute-types';
export * from './flag-types';

/** The roadmap's phases, in upgrade order. */
export const PHASE_NAMES = ['1k', '10k', '30k', '50k', '70k', '1m'] as const;

/** A phase of the roadmap, named by its daily users. */
export type PhaseName = (typeof PHASE_NAMES)[number];

/** AWS regions this platform knows how to build in. */
export type RegionName = 'us-east-1' | 'us-west-2' | 'eu-central-1';

/** A region's part in a multi-region phase: where writes land, or where reads are served locally. */
export type RegionRole = 'primary' | 'secondary';

/** One region the phase runs in. */
export interface RegionSpec {
  /** The AWS region. */
  readonly region: RegionName;
  /**
   * What the region does in a phase with several regions. The `primary` region holds the writable
   * databases, cache and Kafka, and runs the outbox relay and the saga; a `secondary` region holds
   * read-only replicas of every store, serves reads from them and forwards writes to the primary.
   * Exactly one region is primary: the one listed first, or the `homeRegion` a failover moved
   * the writes to. `lib/` reads the role, never the region's name.
   */
  readonly role: RegionRole;
  /**
   * Availability zones, given as data so that synthesis needs no lookup.
   * Fixed from the first phase the region appears in: AWS cannot change a VPC's AZs in place.
   */
  readonly availabilityZones: readonly string[];
  /** The VPC's CIDR block. Create-only; distinct per region so that VPCs can be peered. */
  readonly vpcCidr: string;
  /**
   * NAT gateways; one per AZ gives AZ-independent egress.
   * @default 1
   */
  readonly natGateways: number;
  /**
   * Days that VPC flow logs are kept in CloudWatch Logs.
   * @default 90
   */
  readonly flowLogRetentionDays: number;
}

/** The roadmap's service-level targets for a phase. */
export interface SloSpec {
  /** Daily users the phase is built for. */
  readonly dailyUsers: number;
  /** The monthly infrastructure budget, in US dollars. */
  readonly budgetUsdPerMonth: number;
  /** Checkout response-time target (the roadmap's "response time for checkout"), in milliseconds. */
  readonly checkoutResponseMs: number;
  /** Uptime target, in percent. */
  readonly uptimePercent: number;
  /** Daily users at which the roadmap says to start the next phase; absent for the last phase. */
  readonly nextPhaseTriggerDailyUsers?: number;
}

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

/** ElastiCache (Valkey) in cluster mode. */
export interface CacheSpec {
  /** Engine. Create-only: fixed from the first phase. */
  readonly engine: 'valkey' | 'redis';
  /** Engine version. */
  readonly engineVersion: string;
  /** Node type, e.g. `cache.t4g.small`. */
  readonly nodeType: string;
  /** Shards (node groups) in each region. Grows online. */
  readonly shardsPerRegion: number;
  /** Replicas per shard. Create-only: fixed from the first phase, so growth is by shards. */
  readonly replicasPerShard: number;
  /**
   * Whether the regions' caches form one Global Datastore: the primary region's replication group
   * is its primary member, and every secondary region's cache is a read-only secondary member from
   * the phase in which that region first appears.
   */
  readonly globalDatastore: boolean;
  /**
   * The primary replication group's node type and shard count when it joined the Global Datastore.
   * From then on ElastiCache changes a member's node type and shards only through the global group
   * (ModifyGlobalReplicationGroup, IncreaseNodeGroupsInGlobalReplicationGroup), so the replication
   * group's own properties keep these values and the global group carries `nodeType` and
   * `shardsPerRegion`. Required when `globalDatastore` is on; fixed once set.
   */
  readonly joinedGlobalDatastoreWith?: { readonly nodeType: string; readonly shardsPerRegion: number };
  /** Days of daily snapshots kept. */
  readonly snapshotRetentionDays: number;
  /**
   * The in-process catalogue cache in front of this cache: an LRU of `entries` products in each
   * service instance, dropped on ProductChanged and never kept longer than `ttlMs`, so a change is
   * visible everywhere within `ttlMs` even when its event is late (services' LOCAL_CACHE_*).
   * Absent: off.
   */
  readonly inProcess?: { readonly entries: number; readonly ttlMs: number };
}

/** A Kafka topic the services use, keyed by order id. */
export interface TopicSpec {
  /** Topic name. */
  readonly name: string;
  /** Partitions; topics only ever grow. */
  readonly partitions: number;
  /** Replication factor. */
  readonly replicationFactor: number;
}

/** Amazon MSK (provisioned). */
export interface StreamingSpec {
  /** Apache Kafka version; the local test broker runs the same version. */
  readonly kafkaVersion: string;
  /** Broker instance type, e.g. `kafka.m7g.large`. */
  readonly brokerType: string;
  /** Brokers in each region; a multiple of the AZ count. */
  readonly brokersPerRegion: number;
  /** EBS storage per broker in GiB. Never shrinks. */
  readonly storagePerBrokerGiB: number;
  /** Topics and their partition counts. */
  readonly topics: readonly TopicSpec[];
  /**
   * MirrorMaker 2 in each secondary region, copying the primary region's topics one way (same
   * names) with consumer-group offsets translated. Required when the phase has secondary regions.
   */
  readonly mirrorMaker?: MirrorMakerSpec;
}

/** MirrorMaker 2 (dedicated mode) on EKS in a secondary region. */
export interface MirrorMakerSpec {
  /** Connector tasks in the one MirrorMaker process: the replication connector spreads the partitions over them. */
  readonly tasksMax: number;
  /** CPU the pod requests, in millicores (its limit is twice this). */
  readonly cpuMillis: number;
  /** Memory the pod requests and is limited to, in MiB; the JVM heap is three quarters of it. */
  readonly memoryMiB: number;
}

/** Continents Route 53 geolocation records name (its two-letter continent codes). */
export type Continent = 'AF' | 'AN' | 'AS' | 'EU' | 'NA' | 'OC' | 'SA';

/**
 * How the shop's public API name (`api.<domain>`) picks a region. Latency: the region with the
 * lowest latency to the resolver. Geolocation: by the user's continent (data residency), the
 * default region for every continent not listed.
 */
export type RoutingPolicy =
  | { readonly policy: 'latency' }
  | { readonly policy: 'geolocation'; readonly continents: Readonly<Partial<Record<Continent, RegionName>>>; readonly defaultRegion: RegionName };

/**
 * GeoDNS and the health checks that take a failed region out of it. Built when the account's
 * hosted zone is given (`-c domainName= -c hostedZoneId=`).
 */
export interface DnsSpec {
  /**
   * Seconds resolvers keep the answer for `api.<domain>` (a CNAME to the chosen region's API):
   * after a failover, the longest a user keeps reaching the old region. 1 to 300.
   */
  readonly ttlSeconds: number;
  /** The routing of `api.<domain>` between the regions. Fixed once built: Route 53 cannot hold two policies for one name. */
  readonly routing: RoutingPolicy;
  /** Route 53 health check of each region's front door, on the services' checkout health path. */
  readonly healthCheck: {
    /** Seconds between checks from each checker: 10 or 30 (fixed when the check is created). */
    readonly intervalSeconds: 10 | 30;
    /** Consecutive failed checks before the region counts as unhealthy: 1 to 10. */
    readonly failureThreshold: number;
  };
}

/** A phase of the roadmap: every number that shapes its infrastructure. */
export interface PhaseSpec {
  /** The phase's name. */
  readonly name: PhaseName;
  /** A one-line description from the roadmap. */
  readonly title: string;
  /** Targets and budget. */
  readonly slo: SloSpec;
  /**
   * Regions, in the order they joined: the first is the origin, where the stores were created;
   * it is the primary until a failover moves the writes (see `homeRegion`).
   */
  readonly regions: readonly RegionSpec[];
  /**
   * Declared after a regional failover (`-c homeRegion=REGION`): the region that took the writes,
   * which is then the primary, the origin region a secondary rebuilt from it. Without it the
   * origin (listed first) is the primary, and a phase move may not change any region's role.
   */
  readonly homeRegion?: RegionName;
  /** PostgreSQL on RDS (primary region). */
  readonly postgres: PostgresSpec;
  /** DocumentDB (primary region). */
  readonly documentDb: DocumentDbSpec;
  /** ElastiCache in every region. */
  readonly cache: CacheSpec;
  /** MSK in every region. */
  readonly streaming: StreamingSpec;
  /** Which compute runs the services, in every region: app servers, API Gateway, EKS. */
  readonly compute: ComputeSpec;
  /** Alarm thresholds and metric retention, in every region. */
  readonly monitoring: MonitoringSpec;
  /** GeoDNS over the regions' front doors and its health checks. */
  readonly dns: DnsSpec;
  /** Feature flags, served to the services by AWS AppConfig in every region. */
  readonly flags: FlagsSpec;
  /**
   * Why a number differs from the roadmap's (for example an MSK broker count AWS cannot build).
   * Shown in the phase table.
   */
  readonly deviations: readonly string[];
}
