/** The regions a phase runs in and each region's VPC. */

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
  /** NAT gateways; one per AZ gives AZ-independent egress. */
  readonly natGateways: number;
  /** Days that VPC flow logs are kept in CloudWatch Logs. */
  readonly flowLogRetentionDays: number;
}
