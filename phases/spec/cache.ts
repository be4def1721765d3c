/** The cache: ElastiCache in every region, joined by a Global Datastore when there are several. */

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
