/**
 * The compute part of the phase spec: which compute runs the services, and how it scales.
 *
 * Each phase says which compute it runs as optional sections: `monolith` (Nginx and app
 * servers), `gateway` (API Gateway and the internal load balancer that routes by path),
 * `ec2Services` (one Auto Scaling group per service) and `eks` (Kubernetes). `lib/` builds what
 * is present and nothing else; a move between phases is a spec in which the old and the new
 * sections are both present and `gateway.weights` splits the traffic.
 */

/** The eight services, in the order the services codebase declares its domains. */
export const SERVICE_NAMES = ['user', 'product', 'order', 'inventory', 'payment', 'shipping', 'notification', 'analytics'] as const;

/** One of the eight services. */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** An EC2 Auto Scaling group of identical instances. */
export interface FleetSpec {
  /** EC2 instance type, e.g. `t4g.small` (Graviton: the bundles are plain JavaScript). */
  readonly instanceType: string;
  /** Instances the group never goes below and starts with: the roadmap's server count. */
  readonly minInstances: number;
  /** Instances the group never goes above. */
  readonly maxInstances: number;
  /** Average CPU the target-tracking policy holds the group at, in percent. */
  readonly targetCpuPercent: number;
  /** Root volume size in GiB (gp3, KMS-encrypted). */
  readonly rootVolumeGiB: number;
  /**
   * An EC2 Auto Scaling predictive scaling policy beside the target-tracking one, forecasting
   * the group's CPU from its own history and holding it at `targetCpuPercent`.
   * @default - reactive target tracking only
   */
  readonly predictiveScaling?: FleetPredictiveScalingSpec;
}

/**
 * EC2 Auto Scaling predictive scaling: a forecast of the group's load for the next 48 hours from
 * up to 14 days of its CloudWatch history (24 hours at least before the first forecast), and
 * capacity launched ahead of each forecast hour. Auto Scaling keeps the larger of the predictive
 * and the target-tracking capacity.
 */
export interface FleetPredictiveScalingSpec {
  /** `ForecastOnly` publishes the forecast without acting on it; `ForecastAndScale` also launches for it. */
  readonly mode: 'ForecastOnly' | 'ForecastAndScale';
  /**
   * Minutes before each forecast hour that instances are launched, so that they are past boot,
   * the bundle download and their readiness check when the load arrives (1 to 60).
   */
  readonly schedulingBufferMinutes: number;
}

/** Nginx on every app server, in front of the Node process on the same host. */
export interface NginxSpec {
  /** Connections one worker process holds (client plus upstream). */
  readonly workerConnections: number;
  /** Requests per second one client address may make before Nginx answers 429. */
  readonly requestsPerSecondPerClient: number;
  /** Requests above the rate that are queued instead of refused. */
  readonly burstRequests: number;
  /** Largest request body accepted, in KiB. */
  readonly clientMaxBodyKiB: number;
  /** Idle keep-alive connections each worker keeps open to the local Node process. */
  readonly upstreamKeepaliveConnections: number;
  /** How long Nginx waits for the Node process to answer, in seconds. */
  readonly upstreamTimeoutSeconds: number;
}

/** The monolith: every service in one Node process per app server, Nginx in front of it. */
export interface MonolithSpec {
  /** The app servers. */
  readonly fleet: FleetSpec;
  /** Nginx settings, rendered into nginx.conf. */
  readonly nginx: NginxSpec;
}

/** One service on its own EC2 Auto Scaling group. */
export interface Ec2ServiceSpec {
  /** The service. */
  readonly name: ServiceName;
  /** Its group, scaled by its own policy. */
  readonly fleet: FleetSpec;
}

/** Each service on its own Auto Scaling group behind the internal load balancer. */
export interface Ec2ServicesSpec {
  /** One entry per service; every service appears once. */
  readonly services: readonly Ec2ServiceSpec[];
}

/** The share of each service path's traffic each backend receives, in percent; present backends sum to 100. */
export interface TrafficWeights {
  /** The monolith's app servers (during the move to services). */
  readonly monolith?: number;
  /** The per-service EC2 groups. */
  readonly ec2Services?: number;
  /** The EKS Deployments. */
  readonly eks?: number;
}

/** API Gateway (HTTP API) in front of the services, through a VPC link to an internal load balancer. */
export interface GatewaySpec {
  /** Steady-state requests per second the stage accepts before throttling. */
  readonly throttleRatePerSecond: number;
  /** Requests the stage accepts in a burst. */
  readonly throttleBurst: number;
  /** How each service path's traffic is split between the backends present. */
  readonly weights: TrafficWeights;
  /** A CloudFront distribution in front of the public API; absent: clients call API Gateway directly. */
  readonly edge?: EdgeSpec;
}

/**
 * The edge cache in front of the public API. It caches only what the services' `Cache-Control`
 * allows (services/shared/http-caching.ts): catalogue reads for a short time, never checkout,
 * orders or anything about one customer.
 */
export interface EdgeSpec {
  /** Which edge locations serve: PriceClass_100 (North America, Europe), _200 (+ Asia, Middle East, Africa) or _All. */
  readonly priceClass: 'PriceClass_100' | 'PriceClass_200' | 'PriceClass_All';
  /**
   * Share of all API requests the edge answers from its cache, in percent, for the cost estimate:
   * the catalogue's share of requests times the edge hit rate the benchmark measures (bench/cache-layers.ts).
   */
  readonly expectedHitPercent: number;
  /** Longest the edge keeps an answer, whatever its `Cache-Control` says, in seconds. */
  readonly maxTtlSeconds: number;
  /**
   * Whether the API answers only requests that came through the edge: the distribution adds a
   * secret header and each region's API checks it (a cached Lambda authorizer) on every route but
   * the checkout health path, which Route 53's health checks call directly. Without it, anyone who
   * finds the API's own address bypasses the edge's caching and its throttling of origin load.
   */
  readonly originProtection: boolean;
}

/** A managed node group, spread over the region's three AZs. */
export interface NodeGroupSpec {
  /** Construct ID, part of the public contract; never derived from a size or the phase. */
  readonly id: string;
  /** Instance types; several give the cluster autoscaler and spot capacity room to choose. */
  readonly instanceTypes: readonly string[];
  /** On-demand, or spot for interruptible capacity. */
  readonly capacityType: 'ON_DEMAND' | 'SPOT';
  /** Nodes the group never goes below (a multiple of 3 keeps one per AZ). */
  readonly minNodes: number;
  /**
   * Nodes the group starts with. After that the cluster autoscaler owns the group's size: EKS
   * resizes a group only when this value changes, so it stays the same in every phase that keeps
   * the group (a later phase changing it would reset what the autoscaler chose).
   */
  readonly desiredNodes: number;
  /** Nodes the cluster autoscaler may grow the group to. */
  readonly maxNodes: number;
  /** Root volume size in GiB (gp3, KMS-encrypted). */
  readonly diskGiB: number;
}

/** One service as a Kubernetes Deployment with its autoscaler. */
export interface PodServiceSpec {
  /** The service. */
  readonly name: ServiceName;
  /** CPU each pod requests, in millicores; the HPA's utilisation is relative to this. */
  readonly cpuMillis: number;
  /** Memory each pod requests (and is limited to), in MiB. */
  readonly memoryMiB: number;
  /** Pods the HPA never goes below; at least 2, so that a PodDisruptionBudget can hold one. */
  readonly minReplicas: number;
  /** Pods the HPA never goes above. */
  readonly maxReplicas: number;
  /** CPU utilisation the HPA holds the pods at, in percent of the request. */
  readonly targetCpuPercent: number;
}

/**
 * Pods scaled ahead of demand (KEDA, on top of the CPU target): each service's ScaledObject
 * replaces its CPU HPA with one that takes the largest of three needs: CPU at
 * `targetCpuPercent`, the request rate its linear trend reaches `lookaheadMinutes` from now,
 * and the highest request rate of the coming `lookaheadMinutes` on each of the
 * `seasonalOffsetsDays` days before (the daily and weekly curve). Requests per pod come from the
 * capacity model (`podRpsAtTarget` in phases/capacity.ts); the rates from the region's managed
 * Prometheus.
 */
export interface PodPredictiveScalingSpec {
  /**
   * How far ahead of the load pods are started, in minutes: enough for the cluster autoscaler to
   * add a node and for a pod to pass its startup and readiness probes (5 to 60).
   */
  readonly lookaheadMinutes: number;
  /** The recent history the linear trend is fitted over, in minutes; at least `lookaheadMinutes`, at most 360. */
  readonly trendWindowMinutes: number;
  /**
   * Days back at which the same time of day is read as a forecast (1: yesterday's curve, 7: last
   * week's); each within `monitoring.metricsRetentionDays`. Empty: the trend only.
   */
  readonly seasonalOffsetsDays: readonly number[];
}

/**
 * The batch Jobs that may run on spot nodes. Only the re-shard Job: it is idempotent, an
 * interrupted bucket move is finished by its next run, a reclaimed pod releases the directory's
 * lock with its connection, nothing waits for it, and it has hours to finish. The schema Jobs and
 * the topic Job are not: the new services' pods need their schema and topics, so a migration
 * reclaimed half-way holds up the deploy that started it, for a saving of minutes of one node.
 */
export const SPOT_JOBS = ['reshard'] as const;

/** A batch Job that may run on spot nodes. */
export type SpotJob = (typeof SPOT_JOBS)[number];

/**
 * The work placed on spot capacity: the roadmap's "non-critical workloads: analytics, batch
 * processing". The SPOT node groups are tainted, so nothing else lands there; what is named here
 * tolerates the taint and prefers spot nodes (preferred, not required: when spot capacity is short
 * it runs on the on-demand nodes rather than wait). EKS drains a spot node on its rebalance
 * recommendation or its two-minute notice, so each pod's shutdown must fit in two minutes.
 */
export interface SpotPlacementSpec {
  /**
   * Services whose pods run on spot nodes: services for which losing some pods for a few minutes
   * loses nothing and delays nobody's order. Analytics qualifies: its consumer resumes from the
   * committed offsets and counts each event once (processed marks), and its reads are reports.
   * The services on a customer's path (checkout, orders, payment, inventory) stay on demand.
   */
  readonly services: readonly ServiceName[];
  /** Batch Jobs that run on spot nodes (see {@link SPOT_JOBS}). */
  readonly jobs: readonly SpotJob[];
}

/** Amazon EKS. */
export interface EksSpec {
  /** Kubernetes version of the control plane and the node groups. */
  readonly kubernetesVersion: '1.35';
  /** Managed node groups; the cluster autoscaler grows and shrinks each within its bounds. */
  readonly nodeGroups: readonly NodeGroupSpec[];
  /** The eight services; every service appears once. */
  readonly services: readonly PodServiceSpec[];
  /**
   * Scaling ahead of demand from the traffic history, on top of the CPU target.
   * @default - each service's HPA on CPU only
   */
  readonly predictiveScaling?: PodPredictiveScalingSpec;
  /**
   * Work that may be interrupted, placed on the SPOT node groups (required when there is one).
   * @default - no SPOT node group, and everything on the on-demand nodes
   */
  readonly spot?: SpotPlacementSpec;
}

/** Which compute a phase runs, as optional sections: only what is present is built. */
export interface ComputeSpec {
  /** Nginx and the monolith on EC2 app servers, behind an internet-facing load balancer. */
  readonly monolith?: MonolithSpec;
  /** API Gateway and the internal load balancer that routes by path to the backends present. */
  readonly gateway?: GatewaySpec;
  /** One EC2 Auto Scaling group per service. */
  readonly ec2Services?: Ec2ServicesSpec;
  /** EKS with a Deployment, HPA and PDB per service. */
  readonly eks?: EksSpec;
  /**
   * Event sourcing and CQRS for orders (`EVENT_SOURCING` in the services): every order change is
   * appended to a log and order reads are served by its projection. Absent: off. Never turned off
   * once on: the log would miss the changes made while it is off.
   */
  readonly eventSourcing?: EventSourcingSpec;
}

/** Event sourcing and CQRS for orders: the read model's lag alarm. */
export interface EventSourcingSpec {
  /**
   * Lag of the read model behind the order log (`order_read_model_lag_seconds`, the age of the
   * oldest change not yet projected) that, held for 5 minutes, raises an alarm, in seconds.
   */
  readonly readModelLagAlarmSeconds: number;
}
