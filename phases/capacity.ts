import { partitionsPerBroker } from './rules/streaming';
import { FleetSpec, NodeGroupSpec, PhaseSpec, PodServiceSpec, SERVICE_NAMES, ServiceName } from './spec';

/**
 * The capacity model: daily users → peak requests per second → what the phase's compute,
 * databases and Kafka can carry, and the headroom left. Each assumption is named here, once.
 */

/** How daily users turn into load. */
export const TRAFFIC_MODEL = {
  /** API requests an active user makes in a day: browse, search, cart, checkout, order status. */
  requestsPerUserPerDay: 40,
  /** Share of a day's requests in its busiest hour (a retail evening peak). */
  peakHourShare: 0.12,
  /** Second-level bursts over the busiest hour's mean. */
  burstFactor: 2,
  /** Orders placed per active user per day (a 4% conversion). */
  ordersPerUserPerDay: 0.04,
  /**
   * Share of requests that write (checkout, cart, payments, stock and user changes); the rest are
   * reads a secondary region serves from its own replicas and cache.
   */
  writeShareOfRequests: 0.1,
} as const;

/** Share of requests each service serves (sums to 1). */
export const SERVICE_TRAFFIC_SHARE: Readonly<Record<ServiceName, number>> = {
  product: 0.45,
  user: 0.15,
  order: 0.15,
  inventory: 0.12,
  payment: 0.04,
  shipping: 0.04,
  notification: 0.03,
  analytics: 0.02,
};

/**
 * Requests per second one vCPU of a service sustains within the latency target. Conservative
 * against the checkout benchmark (bench/checkout.ts, the heaviest request), which measures more.
 */
export const RPS_PER_VCPU = 150;

/** vCPUs of the instance types the specs use. */
const INSTANCE_VCPUS: Readonly<Record<string, number>> = {
  't4g.small': 2,
  't4g.medium': 2,
  't4g.large': 2,
  'm7g.large': 2,
  'm6g.large': 2,
  'm7g.xlarge': 4,
  'm6g.xlarge': 4,
  'c7g.xlarge': 4,
  'c6g.xlarge': 4,
};

/** Memory of RDS instance classes in GiB; RDS for PostgreSQL sets max_connections from it. */
const RDS_MEMORY_GIB: Readonly<Record<string, number>> = {
  't4g.small': 2,
  't4g.medium': 4,
  'm7g.large': 8,
  'm7g.xlarge': 16,
  'r7g.large': 16,
  'r7g.xlarge': 32,
};

/** Connections each service process opens to each database it uses (services' DB_POOL_MAX). */
const DB_POOL_PER_PROCESS = 10;

/**
 * CPU each EKS node keeps for itself: the kubelet's reservation on AL2023 (about 70-80 millicores
 * on 2-4 vCPUs) and the daemon pods every node runs (VPC CNI, kube-proxy, the Pod Identity agent).
 */
const NODE_RESERVED_MILLICORES = 300;

/**
 * CPU the cluster's own add-ons request once, wherever they run: CoreDNS (2), the AWS Load
 * Balancer Controller (2), the Cluster Autoscaler, metrics-server.
 */
const CLUSTER_ADDON_MILLICORES = 800;

/**
 * CPU each of KEDA's three components (operator, metrics API server, admission webhooks) requests,
 * in millicores, where a phase scales pods ahead of demand (`compute.eks.predictiveScaling`).
 */
export const KEDA_COMPONENT_MILLICORES = 100;

/**
 * Requests per second one pod of a service serves at its HPA's CPU target: the rate at which the
 * predictive triggers ask for one more pod, and the unit of the compute capacity on EKS.
 */
export function podRpsAtTarget(pod: Pick<PodServiceSpec, 'cpuMillis' | 'targetCpuPercent'>): number {
  return (pod.cpuMillis / 1000) * RPS_PER_VCPU * (pod.targetCpuPercent / 100);
}

/** Share of allocatable CPU pods can fill: requests never pack nodes perfectly. */
const NODE_PACKING = 0.9;

/** The share of capacity at which the roadmap says to plan the next phase. */
export const PLANNING_THRESHOLD = 0.8;

/** RDS for PostgreSQL's default max_connections: LEAST(DBInstanceClassMemory / 9531392, 5000). */
export function rdsMaxConnections(instanceClass: string): number {
  const gib = RDS_MEMORY_GIB[instanceClass];
  if (gib === undefined) throw new Error(`capacity: no memory size for RDS class ${instanceClass}; add it to RDS_MEMORY_GIB`);
  return Math.min(Math.floor((gib * 1024 ** 3) / 9_531_392), 5_000);
}

function vcpus(instanceType: string): number {
  const n = INSTANCE_VCPUS[instanceType];
  if (n === undefined) throw new Error(`capacity: no vCPU count for ${instanceType}; add it to INSTANCE_VCPUS`);
  return n;
}

/**
 * The most requests per second each service can serve in one region, how many processes it may
 * run (each with its own database pools), and how many of them consume from Kafka.
 */
interface ServiceCapacity {
  readonly rps: number;
  readonly maxProcesses: number;
  readonly maxConsumers: number;
}

/**
 * An EC2 group's capacity at its largest, `share` of it for this service. App servers run a worker
 * process per vCPU (PROCESSES=auto), each with its own pools; only the first consumes from
 * Kafka (services/supervisor.ts).
 */
function fleetCapacity(fleet: FleetSpec, share = 1): ServiceCapacity {
  const processes = fleet.maxInstances * vcpus(fleet.instanceType);
  return { rps: processes * RPS_PER_VCPU * (fleet.targetCpuPercent / 100) * share, maxProcesses: processes, maxConsumers: fleet.maxInstances };
}

/** What the phase's compute can serve in one region, by service (the kind that carries traffic last in the move). */
function serviceCapacity(spec: PhaseSpec): Record<ServiceName, ServiceCapacity> {
  const { eks, ec2Services, monolith } = spec.compute;
  const result = {} as Record<ServiceName, ServiceCapacity>;
  for (const name of SERVICE_NAMES) {
    if (eks) {
      const pods = eks.services.find((s) => s.name === name)!;
      result[name] = { rps: pods.maxReplicas * podRpsAtTarget(pods), maxProcesses: pods.maxReplicas, maxConsumers: pods.maxReplicas };
    } else if (ec2Services) {
      result[name] = fleetCapacity(ec2Services.services.find((s) => s.name === name)!.fleet);
    } else if (monolith) {
      // Every module shares the monolith's servers: each gets its share of the fleet's capacity.
      result[name] = fleetCapacity(monolith.fleet, SERVICE_TRAFFIC_SHARE[name]);
    } else {
      result[name] = { rps: 0, maxProcesses: 0, maxConsumers: 0 };
    }
  }
  return result;
}

/** The capacity model's result for one phase. */
export interface CapacityReport {
  readonly phase: string;
  /** Requests per second at the burst of the busiest hour, all regions together. */
  readonly peakRps: number;
  /** Orders per second at that burst. */
  readonly peakOrdersPerSecond: number;
  /** Requests per second one region must serve: all of it, or its share when one region is lost. */
  readonly regionalDesignRps: number;
  /** Requests per second one region's compute can serve, limited by its tightest service. */
  readonly regionalCapacityRps: number;
  /** The service that limits it. */
  readonly bottleneck: ServiceName;
  /** regionalCapacityRps / regionalDesignRps: at least 1 / PLANNING_THRESHOLD leaves the roadmap's margin. */
  readonly computeHeadroom: number;
  /** Connections the orders service may open to one orders shard, against what the shard accepts. */
  readonly ordersShardConnections: { readonly peak: number; readonly max: number };
  /** Partitions per topic against the most consumers one service may run (extra consumers sit idle). */
  readonly partitions: { readonly perTopic: number; readonly maxConsumers: number; readonly perBroker: number };
  /**
   * Where the peak's requests are served, per region, when latency routing spreads users evenly:
   * every region serves its reads locally; writes entering a secondary region are forwarded to the
   * primary, which serves all of them.
   */
  readonly regions: readonly RegionalLoad[];
  /**
   * On EKS: the CPU every pod that must run on demand requests with each HPA at its maximum (plus
   * MirrorMaker, KEDA and the cluster's add-ons) against what the ON_DEMAND node groups can hold
   * at their maxima; the spot groups' taint keeps these pods off spot nodes. The cluster
   * autoscaler can only add nodes up to the groups' maxima: if the requests do not fit, HPA
   * replicas stay Pending.
   */
  readonly nodes?: NodeCapacity;
  /**
   * On EKS with spot capacity: the same for the services placed on spot (`compute.eks.spot`)
   * against the SPOT groups. When spot capacity is short they run on the on-demand nodes instead.
   */
  readonly spotNodes?: NodeCapacity;
}

/** CPU requested against CPU the node groups can schedule, in one region. */
export interface NodeCapacity {
  readonly requestedMillicores: number;
  readonly schedulableMillicores: number;
}

/** One region's share of the peak. */
export interface RegionalLoad {
  readonly region: string;
  readonly role: 'primary' | 'secondary';
  /** Reads served from the region's own databases, replicas and cache. */
  readonly readRps: number;
  /** Writes the region serves (the primary: every region's). */
  readonly writeRps: number;
  /** Writes entering the region that it forwards to the primary (one cross-region round trip each). */
  readonly forwardedWriteRps: number;
}

/** CPU the groups can schedule at their maxima; a group of several types may get its smallest. */
function schedulableMillicores(groups: readonly NodeGroupSpec[]): number {
  return groups.reduce((sum, g) => sum + g.maxNodes * (Math.min(...g.instanceTypes.map(vcpus)) * 1000 - NODE_RESERVED_MILLICORES), 0) * NODE_PACKING;
}

/** CPU the services request with each HPA at its maximum. */
function podMillicores(services: readonly PodServiceSpec[]): number {
  return services.reduce((sum, p) => sum + p.maxReplicas * p.cpuMillis, 0);
}

/** The on-demand pods' CPU requests at the HPA maxima against the ON_DEMAND groups' CPU at their maxima, in one region. */
function nodeCapacity(spec: PhaseSpec): CapacityReport['nodes'] {
  const eks = spec.compute.eks;
  if (!eks) return undefined;
  const onSpot = new Set<string>(eks.spot?.services ?? []);
  const pods = podMillicores(eks.services.filter((p) => !onSpot.has(p.name)));
  const mirror = spec.streaming.mirrorMaker?.cpuMillis ?? 0;
  const keda = eks.predictiveScaling ? 3 * KEDA_COMPONENT_MILLICORES : 0;
  return {
    requestedMillicores: pods + mirror + keda + CLUSTER_ADDON_MILLICORES,
    schedulableMillicores: schedulableMillicores(eks.nodeGroups.filter((g) => g.capacityType === 'ON_DEMAND')),
  };
}

/** The spot-placed services' CPU requests at the HPA maxima against the SPOT groups' CPU at their maxima, in one region. */
function spotNodeCapacity(spec: PhaseSpec): CapacityReport['spotNodes'] {
  const eks = spec.compute.eks;
  const groups = eks?.nodeGroups.filter((g) => g.capacityType === 'SPOT') ?? [];
  if (!eks || groups.length === 0) return undefined;
  const onSpot = new Set<string>(eks.spot?.services ?? []);
  return { requestedMillicores: podMillicores(eks.services.filter((p) => onSpot.has(p.name))), schedulableMillicores: schedulableMillicores(groups) };
}

/** Runs the capacity model over a phase. */
export function capacity(spec: PhaseSpec): CapacityReport {
  const t = TRAFFIC_MODEL;
  const users = spec.slo.dailyUsers;
  const peakRps = ((users * t.requestsPerUserPerDay * t.peakHourShare) / 3600) * t.burstFactor;
  const peakOrdersPerSecond = ((users * t.ordersPerUserPerDay * t.peakHourShare) / 3600) * t.burstFactor;
  // With several regions, the others must absorb a lost region's users.
  const regionalDesignRps = peakRps / Math.max(1, spec.regions.length - 1);
  const services = serviceCapacity(spec);
  const limits = SERVICE_NAMES.map((name) => [name, services[name].rps / SERVICE_TRAFFIC_SHARE[name]] as const);
  const [bottleneck, regionalCapacityRps] = limits.reduce((low, next) => (next[1] < low[1] ? next : low));
  const shard = spec.postgres.instances.find((i) => i.role === 'orders')!;
  const entering = peakRps / spec.regions.length;
  const writes = peakRps * t.writeShareOfRequests;
  const regions = spec.regions.map(
    (r): RegionalLoad => ({
      region: r.region,
      role: r.role,
      readRps: entering * (1 - t.writeShareOfRequests),
      writeRps: r.role === 'primary' ? writes : 0,
      forwardedWriteRps: r.role === 'primary' ? 0 : entering * t.writeShareOfRequests,
    }),
  );
  return {
    phase: spec.name,
    peakRps,
    peakOrdersPerSecond,
    regionalDesignRps,
    regionalCapacityRps,
    bottleneck,
    computeHeadroom: regionalCapacityRps / regionalDesignRps,
    ordersShardConnections: { peak: services.order.maxProcesses * DB_POOL_PER_PROCESS, max: rdsMaxConnections(shard.instanceClass) },
    partitions: {
      perTopic: Math.min(...spec.streaming.topics.map((topic) => topic.partitions)),
      maxConsumers: Math.max(...SERVICE_NAMES.map((name) => services[name].maxConsumers)),
      perBroker: partitionsPerBroker(spec),
    },
    regions,
    nodes: nodeCapacity(spec),
    spotNodes: spotNodeCapacity(spec),
  };
}
