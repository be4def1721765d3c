/** The alarm thresholds and metric retention of a phase. */

/** Monitoring: the roadmap's rollback thresholds and next-phase triggers, as alarms. */
export interface MonitoringSpec {
  /** Error rate (5xx over requests) that calls for a rollback, in percent. */
  readonly errorRatePercent: number;
  /**
   * p99 response time before a change, in milliseconds. Measure it with the load test and set
   * it here; until then it is the phase's checkout target.
   */
  readonly baselineResponseMs: number;
  /** Multiple of the baseline at which response time calls for a rollback. */
  readonly responseTimeFactor: number;
  /** Read-replica lag that calls for a rollback, in seconds. */
  readonly replicationLagSeconds: number;
  /** Unavailability that calls for a rollback, in seconds. */
  readonly unavailableSeconds: number;
  /** Database CPU at peak that triggers the next phase, in percent. */
  readonly databaseCpuPercent: number;
  /** Share of the phase's daily users at which to plan the next phase, in percent. */
  readonly capacityTriggerPercent: number;
  /** Days Amazon Managed Service for Prometheus keeps samples. */
  readonly metricsRetentionDays: number;
  /**
   * Minutes the p99 response time must stay above the phase's checkout target
   * (`slo.checkoutResponseMs`) before the target alarm fires: a warning well below the
   * rollback threshold.
   */
  readonly responseTargetMinutes: number;
  /**
   * Connections to one database instance (PostgreSQL or DocumentDB) that call for attention, in
   * percent of the instance's connection limit (PostgreSQL's `max_connections`, DocumentDB's
   * limit per instance class).
   */
  readonly databaseConnectionsPercent: number;
  /**
   * Free storage of a PostgreSQL instance that calls for attention, in percent of its allocated
   * storage (`storageGiB`). Below storage autoscaling's own 10% trigger, so it fires only when
   * autoscaling cannot help: at `maxStorageGiB`, or within its 6 hours between two growths.
   */
  readonly databaseFreeStoragePercent: number;
  /**
   * Memory a cache node uses (`DatabaseMemoryUsagePercentage`, of its `maxmemory`) that calls
   * for more shards, in percent.
   */
  readonly cacheMemoryPercent: number;
  /**
   * Evictions per minute in one cache shard that, sustained for 5 minutes, mean the cache is
   * full. 0 alarms on any sustained eviction: the services expect what they cache to stay.
   */
  readonly cacheEvictionsPerMinute: number;
  /**
   * Disk used by the fullest MSK broker's data logs (`KafkaDataLogsDiskUsed`), in percent. MSK
   * storage does not grow by itself here: past this, raise `streaming.storagePerBrokerGiB`
   * (MSK grows volumes in place, at most once every 6 hours) or shorten retention.
   */
  readonly kafkaDiskUsedPercent: number;
  /**
   * Minutes during which any partition may stay under-replicated before the alarm fires:
   * a broker restart (MSK patching rolls brokers one by one) leaves some for a few minutes.
   */
  readonly kafkaUnderReplicatedMinutes: number;
}
