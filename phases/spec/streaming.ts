/** Kafka on Amazon MSK, its topics, and MirrorMaker 2 between the regions. */

/** A Kafka topic the services use, keyed by order id. */
export interface TopicSpec {
  /** Topic name. */
  readonly name: string;
  /** Partitions; topics only ever grow. */
  readonly partitions: number;
  /** Replication factor. */
  readonly replicationFactor: number;
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
