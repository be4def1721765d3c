import { PhaseSpec } from '../../phases';

/** EC2 capacity one part of the phase launches: an app-server group or an EKS node group. */
export interface InstanceNeed {
  /** What launches it, e.g. `EKS node group Spot`. */
  readonly purpose: string;
  /** Types the group may launch; a node group may get any of them. */
  readonly instanceTypes: readonly string[];
  readonly capacityType: 'ON_DEMAND' | 'SPOT';
  /** Instances at the group's maximum. */
  readonly maxInstances: number;
  /** Instances the group starts with. */
  readonly desiredInstances: number;
}

/** What one region of a phase needs from the account, read from the spec alone. */
export interface RegionRequirements {
  readonly region: string;
  /** The spec's AZ names: every subnet, node group and data store spreads over them. */
  readonly availabilityZones: readonly string[];
  /** Every EC2 group and EKS node group; each spreads over every AZ. */
  readonly instances: readonly InstanceNeed[];
  /** Elastic IPs: one per NAT gateway. */
  readonly elasticIps: number;
  /** VPCs the phase creates in the region. */
  readonly vpcs: number;
  /** RDS for PostgreSQL: engine version, instance classes (with `db.`), and whether Multi-AZ is needed. */
  readonly postgres: { readonly engineVersion: string; readonly classes: readonly string[]; readonly multiAz: boolean };
  /** DocumentDB instance classes (with `db.`). */
  readonly documentDbClasses: readonly string[];
  /** ElastiCache node type. */
  readonly cacheNodeType: string;
  /** MSK broker type. */
  readonly brokerType: string;
}

const unique = <T>(items: readonly T[]) => [...new Set(items)];

/**
 * What each region of a phase needs from the account: the same compute and data classes run in
 * every region (a secondary holds replicas of the primary's stores, of the same classes).
 */
export function regionRequirements(spec: PhaseSpec): RegionRequirements[] {
  const c = spec.compute;
  const fleet = (purpose: string, f: { instanceType: string; minInstances: number; maxInstances: number }): InstanceNeed => ({
    purpose,
    instanceTypes: [f.instanceType],
    capacityType: 'ON_DEMAND',
    maxInstances: f.maxInstances,
    desiredInstances: f.minInstances,
  });
  const instances: InstanceNeed[] = [
    ...(c.monolith ? [fleet('app servers (monolith)', c.monolith.fleet)] : []),
    ...(c.ec2Services?.services.map((s) => fleet(`${s.name} service group`, s.fleet)) ?? []),
    ...(c.eks?.nodeGroups.map((g) => ({
      purpose: `EKS node group ${g.id}`,
      instanceTypes: g.instanceTypes,
      capacityType: g.capacityType,
      maxInstances: g.maxNodes,
      desiredInstances: g.desiredNodes,
    })) ?? []),
  ];
  return spec.regions.map((r) => ({
    region: r.region,
    availabilityZones: r.availabilityZones,
    instances,
    elasticIps: r.natGateways,
    vpcs: 1,
    postgres: {
      engineVersion: spec.postgres.engineVersion,
      classes: unique(spec.postgres.instances.map((i) => `db.${i.instanceClass}`)),
      multiAz: spec.postgres.instances.some((i) => i.multiAz),
    },
    documentDbClasses: [`db.${spec.documentDb.instanceCluster.instanceClass}`],
    cacheNodeType: spec.cache.nodeType,
    brokerType: spec.streaming.brokerType,
  }));
}

/** Every instance type a region's groups may launch, sorted. */
export function instanceTypesOf(req: RegionRequirements): string[] {
  return unique(req.instances.flatMap((i) => i.instanceTypes)).sort();
}
