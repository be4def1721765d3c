/**
 * On-demand list prices in US dollars, us-east-1, Linux, as known in 2026-11. Estimates, not a
 * quote: refresh from the AWS Price List before relying on a figure. An instance type that is
 * missing here fails the estimate, so a new size cannot slip into a phase unpriced.
 */

/** Hours in the average month (AWS bills 730). */
export const HOURS_PER_MONTH = 730;

/** RDS for PostgreSQL, Single-AZ, per instance-hour. Multi-AZ (one standby) costs twice as much. */
export const RDS_POSTGRES_HOURLY: Readonly<Record<string, number>> = {
  'db.t4g.small': 0.032,
  'db.t4g.medium': 0.065,
  'db.m7g.large': 0.168,
  'db.m7g.xlarge': 0.337,
  'db.r7g.large': 0.239,
  'db.r7g.xlarge': 0.478,
};

/** RDS gp3 storage per GiB-month (Single-AZ; Multi-AZ stores it twice). */
export const RDS_GP3_GIB_MONTH = 0.115;

/** DocumentDB instance-based clusters, per instance-hour. */
export const DOCDB_HOURLY: Readonly<Record<string, number>> = {
  'db.t4g.medium': 0.078,
  'db.r6g.large': 0.249,
  'db.r6g.xlarge': 0.498,
};

/** DocumentDB elastic clusters, per vCPU-hour of shard capacity (per shard instance). */
export const DOCDB_ELASTIC_VCPU_HOURLY = 0.09;

/** ElastiCache for Valkey, per node-hour (Valkey is priced 20% below Redis OSS). */
export const ELASTICACHE_VALKEY_HOURLY: Readonly<Record<string, number>> = {
  'cache.t4g.micro': 0.0128,
  'cache.t4g.small': 0.0256,
  'cache.t4g.medium': 0.052,
  'cache.m7g.large': 0.1264,
  'cache.r7g.large': 0.1752,
  'cache.r7g.xlarge': 0.3496,
};

/** Redis OSS nodes cost this much more than Valkey nodes of the same type. */
export const REDIS_OSS_FACTOR = 1.25;

/** MSK provisioned brokers, per broker-hour. */
export const MSK_BROKER_HOURLY: Readonly<Record<string, number>> = {
  'kafka.t3.small': 0.0456,
  'kafka.m5.large': 0.21,
  'kafka.m7g.large': 0.204,
  'kafka.m7g.xlarge': 0.408,
};

/** MSK broker storage per GiB-month. */
export const MSK_STORAGE_GIB_MONTH = 0.1;

/** EC2 instances, per instance-hour (on demand; spot capacity is priced at {@link SPOT_FACTOR}). */
export const EC2_HOURLY: Readonly<Record<string, number>> = {
  't4g.micro': 0.0084,
  't4g.small': 0.0168,
  't4g.medium': 0.0336,
  't4g.large': 0.0672,
  't4g.xlarge': 0.1344,
  'm7g.medium': 0.0408,
  'm7g.large': 0.0816,
  'm7g.xlarge': 0.1632,
  'm6g.large': 0.077,
  'm6g.xlarge': 0.154,
  'c7g.large': 0.0725,
  'c7g.xlarge': 0.145,
  'c6g.large': 0.068,
  'c6g.xlarge': 0.136,
};

/** Spot capacity costs about this share of on-demand for these families. */
export const SPOT_FACTOR = 0.35;

/** EBS gp3 per GiB-month. */
export const EBS_GP3_GIB_MONTH = 0.08;

/** Fixed hourly charges. */
export const HOURLY = {
  natGateway: 0.045,
  interfaceEndpointPerAz: 0.01,
  eksCluster: 0.1,
  loadBalancer: 0.0225,
} as const;

/** Fixed monthly charges. */
export const MONTHLY = {
  kmsKey: 1,
  secret: 0.4,
  route53HealthCheck: 0.5,
  /** Each optional feature of a health check of an AWS endpoint (HTTPS, 10 s interval, string matching, latency). */
  route53HealthCheckFeature: 1,
  route53HostedZone: 0.5,
} as const;

/** Regional price levels relative to us-east-1. */
export const REGION_FACTOR: Readonly<Record<string, number>> = {
  'us-east-1': 1,
  'us-west-2': 1,
  'eu-central-1': 1.17,
};
