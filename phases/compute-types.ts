/**
 * Compute, delivery and monitoring parts of the phase spec.
 *
 * Each phase says which compute it runs as optional sections: `monolith` (Nginx and app
 * servers), `gateway` (API Gateway and the internal load balancer that routes by path),
 * `ec2Services` (one Auto Scaling group per service) and `eks` (Kubernetes). `lib/` builds what
 * is present and nothing else; a move between phases is a spec in which the old and the new
 * sections are both present and `gateway.weights` splits the traffic.
 */

import type { PhaseSpec } from './types';
import type { ValidationRule, Violation } from './validate';

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
  /**
   * Average CPU the target-tracking policy holds the group at, in percent.
   * @default 60
   */
  readonly targetCpuPercent: number;
  /**
   * Root volume size in GiB (gp3, KMS-encrypted).
   * @default 20
   */
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
  /**
   * Connections one worker process holds (client plus upstream).
   * @default 4096
   */
  readonly workerConnections: number;
  /**
   * Requests per second one client address may make before Nginx answers 429.
   * @default 20
   */
  readonly requestsPerSecondPerClient: number;
  /**
   * Requests above the rate that are queued instead of refused.
   * @default 40
   */
  readonly burstRequests: number;
  /**
   * Largest request body accepted, in KiB.
   * @default 256
   */
  readonly clientMaxBodyKiB: number;
  /**
   * Idle keep-alive connections each worker keeps open to the local Node process.
   * @default 32
   */
  readonly upstreamKeepaliveConnections: number;
  /**
   * How long Nginx waits for the Node process to answer, in seconds.
   * @default 30
   */
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
  /**
   * Steady-state requests per second the stage accepts before throttling.
   * @default 1000
   */
  readonly throttleRatePerSecond: number;
  /**
   * Requests the stage accepts in a burst.
   * @default 2000
   */
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
  /**
   * Root volume size in GiB (gp3, KMS-encrypted).
   * @default 50
   */
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
  /**
   * CPU utilisation the HPA holds the pods at, in percent of the request.
   * @default 60
   */
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

/** Monitoring: the roadmap's rollback thresholds and next-phase triggers, as alarms. */
export interface MonitoringSpec {
  /**
   * Error rate (5xx over requests) that calls for a rollback, in percent.
   * @default 1
   */
  readonly errorRatePercent: number;
  /**
   * p99 response time before a change, in milliseconds. Measure it with the load test and set
   * it here; until then it is the phase's checkout target.
   */
  readonly baselineResponseMs: number;
  /**
   * Multiple of the baseline at which response time calls for a rollback.
   * @default 2
   */
  readonly responseTimeFactor: number;
  /**
   * Read-replica lag that calls for a rollback, in seconds.
   * @default 5
   */
  readonly replicationLagSeconds: number;
  /**
   * Unavailability that calls for a rollback, in seconds.
   * @default 60
   */
  readonly unavailableSeconds: number;
  /**
   * Database CPU at peak that triggers the next phase, in percent.
   * @default 70
   */
  readonly databaseCpuPercent: number;
  /**
   * Share of the phase's daily users at which to plan the next phase, in percent.
   * @default 80
   */
  readonly capacityTriggerPercent: number;
  /**
   * Days Amazon Managed Service for Prometheus keeps samples.
   * @default 150
   */
  readonly metricsRetentionDays: number;
  /**
   * Minutes the p99 response time must stay above the phase's checkout target
   * (`slo.checkoutResponseMs`) before the target alarm fires: a warning well below the
   * rollback threshold.
   * @default 15
   */
  readonly responseTargetMinutes: number;
  /**
   * Connections to one database instance (PostgreSQL or DocumentDB) that call for attention, in
   * percent of the instance's connection limit (PostgreSQL's `max_connections`, DocumentDB's
   * limit per instance class).
   * @default 80
   */
  readonly databaseConnectionsPercent: number;
  /**
   * Free storage of a PostgreSQL instance that calls for attention, in percent of its allocated
   * storage (`storageGiB`). Below storage autoscaling's own 10% trigger, so it fires only when
   * autoscaling cannot help: at `maxStorageGiB`, or within its 6 hours between two growths.
   * @default 5
   */
  readonly databaseFreeStoragePercent: number;
  /**
   * Memory a cache node uses (`DatabaseMemoryUsagePercentage`, of its `maxmemory`) that calls
   * for more shards, in percent.
   * @default 80
   */
  readonly cacheMemoryPercent: number;
  /**
   * Evictions per minute in one cache shard that, sustained for 5 minutes, mean the cache is
   * full. 0 alarms on any sustained eviction: the services expect what they cache to stay.
   * @default 0
   */
  readonly cacheEvictionsPerMinute: number;
  /**
   * Disk used by the fullest MSK broker's data logs (`KafkaDataLogsDiskUsed`), in percent. MSK
   * storage does not grow by itself here: past this, raise `streaming.storagePerBrokerGiB`
   * (MSK grows volumes in place, at most once every 6 hours) or shorten retention.
   * @default 80
   */
  readonly kafkaDiskUsedPercent: number;
  /**
   * Minutes during which any partition may stay under-replicated before the alarm fires:
   * a broker restart (MSK patching rolls brokers one by one) leaves some for a few minutes.
   * @default 10
   */
  readonly kafkaUnderReplicatedMinutes: number;
}

/** Nginx settings every monolith phase starts from. */
export const NGINX_DEFAULTS: NginxSpec = {
  workerConnections: 4096,
  requestsPerSecondPerClient: 20,
  burstRequests: 40,
  clientMaxBodyKiB: 256,
  upstreamKeepaliveConnections: 32,
  upstreamTimeoutSeconds: 30,
};

/** The roadmap's rollback thresholds and next-phase triggers, with the phase's checkout target as the first baseline. */
export function roadmapMonitoring(checkoutResponseMs: number): MonitoringSpec {
  return {
    errorRatePercent: 1,
    baselineResponseMs: checkoutResponseMs,
    responseTimeFactor: 2,
    replicationLagSeconds: 5,
    unavailableSeconds: 60,
    databaseCpuPercent: 70,
    capacityTriggerPercent: 80,
    metricsRetentionDays: 150,
    responseTargetMinutes: 15,
    databaseConnectionsPercent: 80,
    databaseFreeStoragePercent: 5,
    cacheMemoryPercent: 80,
    cacheEvictionsPerMinute: 0,
    kafkaDiskUsedPercent: 80,
    kafkaUnderReplicatedMinutes: 10,
  };
}

/** Every service on its own group: `busy` services get `busyFleet`, the others `fleet`. */
export function ec2Services(fleet: FleetSpec, busy: readonly ServiceName[], busyFleet: FleetSpec): Ec2ServicesSpec {
  return { services: SERVICE_NAMES.map((name) => ({ name, fleet: busy.includes(name) ? busyFleet : fleet })) };
}

/** Every service as pods: `busy` services get `busyPods`, the others `pods`. */
export function podServices(
  pods: Omit<PodServiceSpec, 'name'>,
  busy: readonly ServiceName[],
  busyPods: Omit<PodServiceSpec, 'name'>,
): PodServiceSpec[] {
  return SERVICE_NAMES.map((name) => ({ name, ...(busy.includes(name) ? busyPods : pods) }));
}

/** Kubernetes versions the platform's EKS constructs and kubectl layer are built for. */
const KUBERNETES_VERSIONS: readonly string[] = ['1.35'];

function v(field: string, value: unknown, rule: string): Violation {
  return { field, value, rule };
}

function fleetViolations(field: string, f: FleetSpec): Violation[] {
  return [
    ...(Number.isInteger(f.minInstances) && f.minInstances >= 2
      ? []
      : [v(`${field}.minInstances`, f.minInstances, 'must be a whole number of at least 2, so that losing one AZ leaves a server')]),
    ...(f.minInstances <= f.maxInstances
      ? []
      : [v(`${field}.maxInstances`, { min: f.minInstances, max: f.maxInstances }, 'must be at least minInstances')]),
    ...(f.targetCpuPercent >= 10 && f.targetCpuPercent <= 90
      ? []
      : [v(`${field}.targetCpuPercent`, f.targetCpuPercent, 'must be from 10 to 90: below wastes servers, above leaves no room for a spike')]),
    ...(f.rootVolumeGiB >= 8 ? [] : [v(`${field}.rootVolumeGiB`, f.rootVolumeGiB, 'must be at least 8 GiB (the Amazon Linux 2023 image)')]),
  ];
}

function everyServiceOnce(field: string, names: readonly string[]): Violation[] {
  const missing = SERVICE_NAMES.filter((n) => !names.includes(n));
  const extra = names.filter((n, i) => !(SERVICE_NAMES as readonly string[]).includes(n) || names.indexOf(n) !== i);
  return [
    ...(missing.length ? [v(field, names, `must list every service once; missing ${missing.join(', ')}`)] : []),
    ...(extra.length ? [v(field, names, `must list every service once; unknown or repeated ${extra.join(', ')}`)] : []),
  ];
}

/** Rules over `compute` and `monitoring`, part of the phase rules table. */
export const COMPUTE_RULES: readonly ValidationRule[] = [
  {
    id: 'compute-front-door',
    check: (s: PhaseSpec) =>
      s.compute.monolith || s.compute.gateway
        ? []
        : [v('compute', Object.keys(s.compute), 'needs a front door: compute.monolith (Nginx and app servers) or compute.gateway (API Gateway)')],
  },
  {
    id: 'compute-gateway-backends',
    check: (s: PhaseSpec) => {
      const g = s.compute.gateway;
      if (!g) return [];
      const present = { monolith: !!s.compute.monolith, ec2Services: !!s.compute.ec2Services, eks: !!s.compute.eks };
      const found: Violation[] = [];
      if (!present.ec2Services && !present.eks) {
        found.push(v('compute.gateway', 'no service backend', 'API Gateway routes to services: add compute.ec2Services or compute.eks'));
      }
      for (const [backend, weight] of Object.entries(g.weights) as [keyof TrafficWeights, number | undefined][]) {
        if (weight === undefined) continue;
        if (!present[backend]) found.push(v(`compute.gateway.weights.${backend}`, weight, `compute.${backend} is absent, so it cannot take traffic`));
        if (!Number.isInteger(weight) || weight < 0 || weight > 100) found.push(v(`compute.gateway.weights.${backend}`, weight, 'must be a whole percentage from 0 to 100'));
      }
      const sum = (Object.values(g.weights) as (number | undefined)[]).reduce<number>((a, w) => a + (w ?? 0), 0);
      if (sum !== 100) found.push(v('compute.gateway.weights', g.weights, `must add up to 100 (they add up to ${sum})`));
      if (!Number.isInteger(g.throttleRatePerSecond) || g.throttleRatePerSecond < 1 || g.throttleBurst < g.throttleRatePerSecond) {
        found.push(
          v('compute.gateway.throttleBurst', { rate: g.throttleRatePerSecond, burst: g.throttleBurst }, 'needs a positive whole rate and a burst at least as large'),
        );
      }
      return found;
    },
  },
  {
    id: 'compute-fleets',
    check: (s: PhaseSpec) => [
      ...(s.compute.monolith ? fleetViolations('compute.monolith.fleet', s.compute.monolith.fleet) : []),
      ...(s.compute.ec2Services
        ? [
            ...everyServiceOnce('compute.ec2Services.services', s.compute.ec2Services.services.map((x) => x.name)),
            ...s.compute.ec2Services.services.flatMap((x) => fleetViolations(`compute.ec2Services.services[${x.name}].fleet`, x.fleet)),
          ]
        : []),
    ],
  },
  {
    id: 'compute-nginx',
    check: (s: PhaseSpec) => {
      const n = s.compute.monolith?.nginx;
      if (!n) return [];
      const positive: (keyof NginxSpec)[] = [
        'workerConnections',
        'requestsPerSecondPerClient',
        'burstRequests',
        'clientMaxBodyKiB',
        'upstreamKeepaliveConnections',
        'upstreamTimeoutSeconds',
      ];
      return positive
        .filter((k) => !Number.isInteger(n[k]) || n[k] < 1)
        .map((k) => v(`compute.monolith.nginx.${k}`, n[k], 'must be a positive whole number'));
    },
  },
  {
    id: 'compute-eks',
    check: (s: PhaseSpec) => {
      const e = s.compute.eks;
      if (!e) return [];
      const ids = e.nodeGroups.map((g) => g.id);
      return [
        ...(KUBERNETES_VERSIONS.includes(e.kubernetesVersion)
          ? []
          : [v('compute.eks.kubernetesVersion', e.kubernetesVersion, `must be one of ${KUBERNETES_VERSIONS.join(', ')}`)]),
        ...(e.nodeGroups.length ? [] : [v('compute.eks.nodeGroups', [], 'needs at least one node group')]),
        ...(new Set(ids).size === ids.length ? [] : [v('compute.eks.nodeGroups[].id', ids, 'node group IDs must be unique')]),
        ...(e.nodeGroups.some((g) => g.capacityType === 'ON_DEMAND' && g.minNodes >= 3)
          ? []
          : [v('compute.eks.nodeGroups', ids, 'needs an ON_DEMAND group with at least 3 nodes (one per AZ) so that system pods survive spot reclaims')]),
        ...e.nodeGroups.flatMap((g) => [
          ...(g.minNodes >= 0 && g.minNodes <= g.desiredNodes && g.desiredNodes <= g.maxNodes && g.maxNodes >= 1
            ? []
            : [
                v(
                  `compute.eks.nodeGroups[${g.id}].desiredNodes`,
                  { min: g.minNodes, desired: g.desiredNodes, max: g.maxNodes },
                  'must satisfy 0 <= minNodes <= desiredNodes <= maxNodes and maxNodes >= 1',
                ),
              ]),
          ...(g.instanceTypes.length ? [] : [v(`compute.eks.nodeGroups[${g.id}].instanceTypes`, [], 'needs at least one instance type')]),
          ...(g.diskGiB >= 20 ? [] : [v(`compute.eks.nodeGroups[${g.id}].diskGiB`, g.diskGiB, 'must be at least 20 GiB for images and logs')]),
        ]),
        ...everyServiceOnce('compute.eks.services', e.services.map((p) => p.name)),
        ...e.services.flatMap((p) => [
          ...(Number.isInteger(p.minReplicas) && p.minReplicas >= 2 && p.minReplicas <= p.maxReplicas
            ? []
            : [
                v(
                  `compute.eks.services[${p.name}].minReplicas`,
                  { min: p.minReplicas, max: p.maxReplicas },
                  'must be a whole number from 2 (a PodDisruptionBudget keeps one up during node drains) to maxReplicas',
                ),
              ]),
          ...(p.cpuMillis >= 50 && p.memoryMiB >= 128
            ? []
            : [v(`compute.eks.services[${p.name}]`, { cpuMillis: p.cpuMillis, memoryMiB: p.memoryMiB }, 'needs at least 50 millicores and 128 MiB')]),
          ...(p.targetCpuPercent >= 10 && p.targetCpuPercent <= 90
            ? []
            : [v(`compute.eks.services[${p.name}].targetCpuPercent`, p.targetCpuPercent, 'must be from 10 to 90')]),
        ]),
      ];
    },
  },
  {
    id: 'compute-eks-spot',
    check: (s: PhaseSpec) => {
      const e = s.compute.eks;
      if (!e) return [];
      const spotGroups = e.nodeGroups.filter((g) => g.capacityType === 'SPOT');
      const placed = e.spot;
      const named = placed ? [...placed.services, ...placed.jobs] : [];
      const services = e.services.map((p) => p.name as string);
      const badServices = (placed?.services ?? []).filter((n, i, all) => !services.includes(n) || all.indexOf(n) !== i);
      const badJobs = (placed?.jobs ?? []).filter((j, i, all) => !(SPOT_JOBS as readonly string[]).includes(j) || all.indexOf(j) !== i);
      return [
        ...(named.length > 0 && spotGroups.length === 0
          ? [v('compute.eks.spot', placed, 'places work on spot capacity, so compute.eks.nodeGroups needs a group with capacityType SPOT')]
          : []),
        ...(named.length === 0
          ? spotGroups.map((g) =>
              v(
                `compute.eks.nodeGroups[${g.id}].capacityType`,
                g.capacityType,
                'SPOT groups are tainted so that only interruptible work lands there: name that work in compute.eks.spot, or make the group ON_DEMAND',
              ),
            )
          : []),
        ...badServices.map((n) => v('compute.eks.spot.services', n, 'must name a service of compute.eks.services, each once')),
        ...badJobs.map((j) =>
          v('compute.eks.spot.jobs', j, `must be one of ${SPOT_JOBS.join(', ')}, each once: the schema and topic Jobs hold up a deploy when interrupted`),
        ),
      ];
    },
  },
  {
    id: 'compute-predictive-scaling',
    check: (s: PhaseSpec) => {
      const fleets: [string, FleetSpec][] = [
        ...(s.compute.monolith ? [['compute.monolith.fleet', s.compute.monolith.fleet] as [string, FleetSpec]] : []),
        ...(s.compute.ec2Services?.services ?? []).map((x): [string, FleetSpec] => [`compute.ec2Services.services[${x.name}].fleet`, x.fleet]),
      ];
      const found = fleets.flatMap(([field, f]) => {
        const p = f.predictiveScaling;
        if (!p) return [];
        return [
          ...(p.mode === 'ForecastOnly' || p.mode === 'ForecastAndScale'
            ? []
            : [v(`${field}.predictiveScaling.mode`, p.mode, 'must be ForecastOnly or ForecastAndScale')]),
          ...(Number.isInteger(p.schedulingBufferMinutes) && p.schedulingBufferMinutes >= 1 && p.schedulingBufferMinutes <= 60
            ? []
            : [v(`${field}.predictiveScaling.schedulingBufferMinutes`, p.schedulingBufferMinutes, 'must be a whole number of minutes from 1 to 60 (EC2 Auto Scaling launches at most an hour ahead)')]),
        ];
      });
      const p = s.compute.eks?.predictiveScaling;
      if (!p) return found;
      const field = 'compute.eks.predictiveScaling';
      const retention = s.monitoring.metricsRetentionDays;
      return [
        ...found,
        ...(Number.isInteger(p.lookaheadMinutes) && p.lookaheadMinutes >= 5 && p.lookaheadMinutes <= 60
          ? []
          : [v(`${field}.lookaheadMinutes`, p.lookaheadMinutes, 'must be a whole number of minutes from 5 (a new node and a ready pod) to 60')]),
        ...(Number.isInteger(p.trendWindowMinutes) && p.trendWindowMinutes >= p.lookaheadMinutes && p.trendWindowMinutes <= 360
          ? []
          : [
              v(
                `${field}.trendWindowMinutes`,
                { trendWindowMinutes: p.trendWindowMinutes, lookaheadMinutes: p.lookaheadMinutes },
                'must be a whole number of minutes from lookaheadMinutes to 360: a trend fitted over less history than it projects is noise',
              ),
            ]),
        ...p.seasonalOffsetsDays
          .filter((d, i) => !Number.isInteger(d) || d < 1 || d >= retention || p.seasonalOffsetsDays.indexOf(d) !== i)
          .map((d) => v(`${field}.seasonalOffsetsDays`, d, `must be distinct whole days from 1 to below monitoring.metricsRetentionDays (${retention}): older samples are gone`)),
      ];
    },
  },
  {
    id: 'monitoring-thresholds',
    check: (s: PhaseSpec) => {
      const m = s.monitoring;
      return [
        ...(m.errorRatePercent > 0 && m.errorRatePercent <= 100 ? [] : [v('monitoring.errorRatePercent', m.errorRatePercent, 'must be above 0 and at most 100')]),
        ...(m.baselineResponseMs > 0 ? [] : [v('monitoring.baselineResponseMs', m.baselineResponseMs, 'must be positive')]),
        ...(m.responseTimeFactor > 1 ? [] : [v('monitoring.responseTimeFactor', m.responseTimeFactor, 'must be above 1: the alarm fires above a multiple of the baseline')]),
        ...(m.replicationLagSeconds > 0 ? [] : [v('monitoring.replicationLagSeconds', m.replicationLagSeconds, 'must be positive')]),
        ...(m.unavailableSeconds >= 60 && m.unavailableSeconds % 60 === 0
          ? []
          : [v('monitoring.unavailableSeconds', m.unavailableSeconds, 'must be a whole number of minutes (CloudWatch evaluates load balancer health per minute)')]),
        ...(m.databaseCpuPercent > 0 && m.databaseCpuPercent < 100 ? [] : [v('monitoring.databaseCpuPercent', m.databaseCpuPercent, 'must be from 1 to 99')]),
        ...(m.capacityTriggerPercent > 0 && m.capacityTriggerPercent <= 100
          ? []
          : [v('monitoring.capacityTriggerPercent', m.capacityTriggerPercent, 'must be from 1 to 100')]),
        ...(Number.isInteger(m.metricsRetentionDays) && m.metricsRetentionDays >= 1 && m.metricsRetentionDays <= 1095
          ? []
          : [v('monitoring.metricsRetentionDays', m.metricsRetentionDays, 'must be a whole number of days from 1 to 1095')]),
        ...(Number.isInteger(m.responseTargetMinutes) && m.responseTargetMinutes >= 1 && m.responseTargetMinutes <= 60
          ? []
          : [v('monitoring.responseTargetMinutes', m.responseTargetMinutes, 'must be a whole number of minutes from 1 to 60')]),
        ...(m.databaseConnectionsPercent > 0 && m.databaseConnectionsPercent < 100
          ? []
          : [v('monitoring.databaseConnectionsPercent', m.databaseConnectionsPercent, 'must be from 1 to 99: at 100 the database already refuses connections')]),
        ...(m.databaseFreeStoragePercent > 0 && m.databaseFreeStoragePercent < 10
          ? []
          : [
              v(
                'monitoring.databaseFreeStoragePercent',
                m.databaseFreeStoragePercent,
                'must be above 0 and below 10: storage autoscaling grows an instance when less than 10% is free, and this alarm is for when it cannot',
              ),
            ]),
        ...(m.cacheMemoryPercent > 0 && m.cacheMemoryPercent < 100 ? [] : [v('monitoring.cacheMemoryPercent', m.cacheMemoryPercent, 'must be from 1 to 99')]),
        ...(Number.isInteger(m.cacheEvictionsPerMinute) && m.cacheEvictionsPerMinute >= 0
          ? []
          : [v('monitoring.cacheEvictionsPerMinute', m.cacheEvictionsPerMinute, 'must be a whole number, 0 or more')]),
        ...(m.kafkaDiskUsedPercent > 0 && m.kafkaDiskUsedPercent < 100
          ? []
          : [v('monitoring.kafkaDiskUsedPercent', m.kafkaDiskUsedPercent, 'must be from 1 to 99: a broker with a full disk stops')]),
        ...(Number.isInteger(m.kafkaUnderReplicatedMinutes) && m.kafkaUnderReplicatedMinutes >= 1 && m.kafkaUnderReplicatedMinutes <= 60
          ? []
          : [v('monitoring.kafkaUnderReplicatedMinutes', m.kafkaUnderReplicatedMinutes, 'must be a whole number of minutes from 1 to 60')]),
      ];
    },
  },
];
