/** Rules over `compute`: a front door, the gateway's backends and weights, fleets, Nginx, EKS, scaling ahead of demand, the edge, event sourcing. */

import { FleetSpec, NginxSpec, SERVICE_NAMES, SPOT_JOBS, TrafficWeights } from '../spec';
import { NoShrinkRow, ValidationRule, Violation, violation } from './rule';

/** Kubernetes versions the platform's EKS constructs and kubectl layer are built for. */
const KUBERNETES_VERSIONS: readonly string[] = ['1.35'];

function fleetViolations(field: string, f: FleetSpec): Violation[] {
  return [
    ...(Number.isInteger(f.minInstances) && f.minInstances >= 2
      ? []
      : [violation(`${field}.minInstances`, f.minInstances, 'must be a whole number of at least 2, so that losing one AZ leaves a server')]),
    ...(f.minInstances <= f.maxInstances
      ? []
      : [violation(`${field}.maxInstances`, { min: f.minInstances, max: f.maxInstances }, 'must be at least minInstances')]),
    ...(f.targetCpuPercent >= 10 && f.targetCpuPercent <= 90
      ? []
      : [violation(`${field}.targetCpuPercent`, f.targetCpuPercent, 'must be from 10 to 90: below wastes servers, above leaves no room for a spike')]),
    ...(f.rootVolumeGiB >= 8 ? [] : [violation(`${field}.rootVolumeGiB`, f.rootVolumeGiB, 'must be at least 8 GiB (the Amazon Linux 2023 image)')]),
  ];
}

function everyServiceOnce(field: string, names: readonly string[]): Violation[] {
  const missing = SERVICE_NAMES.filter((n) => !names.includes(n));
  const extra = names.filter((n, i) => !(SERVICE_NAMES as readonly string[]).includes(n) || names.indexOf(n) !== i);
  return [
    ...(missing.length ? [violation(field, names, `must list every service once; missing ${missing.join(', ')}`)] : []),
    ...(extra.length ? [violation(field, names, `must list every service once; unknown or repeated ${extra.join(', ')}`)] : []),
  ];
}

/** Rules over `compute`. */
export const COMPUTE_RULES: readonly ValidationRule[] = [
  {
    id: 'compute-front-door',
    check: (s) =>
      s.compute.monolith || s.compute.gateway
        ? []
        : [violation('compute', Object.keys(s.compute), 'needs a front door: compute.monolith (Nginx and app servers) or compute.gateway (API Gateway)')],
  },
  {
    id: 'compute-gateway-backends',
    check: (s) => {
      const g = s.compute.gateway;
      if (!g) return [];
      const present = { monolith: !!s.compute.monolith, ec2Services: !!s.compute.ec2Services, eks: !!s.compute.eks };
      const found: Violation[] = [];
      if (!present.ec2Services && !present.eks) {
        found.push(violation('compute.gateway', 'no service backend', 'API Gateway routes to services: add compute.ec2Services or compute.eks'));
      }
      for (const [backend, weight] of Object.entries(g.weights) as [keyof TrafficWeights, number | undefined][]) {
        if (weight === undefined) continue;
        if (!present[backend]) found.push(violation(`compute.gateway.weights.${backend}`, weight, `compute.${backend} is absent, so it cannot take traffic`));
        if (!Number.isInteger(weight) || weight < 0 || weight > 100) found.push(violation(`compute.gateway.weights.${backend}`, weight, 'must be a whole percentage from 0 to 100'));
      }
      const sum = (Object.values(g.weights) as (number | undefined)[]).reduce<number>((a, w) => a + (w ?? 0), 0);
      if (sum !== 100) found.push(violation('compute.gateway.weights', g.weights, `must add up to 100 (they add up to ${sum})`));
      if (!Number.isInteger(g.throttleRatePerSecond) || g.throttleRatePerSecond < 1 || g.throttleBurst < g.throttleRatePerSecond) {
        found.push(
          violation('compute.gateway.throttleBurst', { rate: g.throttleRatePerSecond, burst: g.throttleBurst }, 'needs a positive whole rate and a burst at least as large'),
        );
      }
      return found;
    },
  },
  {
    id: 'compute-fleets',
    check: (s) => [
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
    check: (s) => {
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
        .map((k) => violation(`compute.monolith.nginx.${k}`, n[k], 'must be a positive whole number'));
    },
  },
  {
    id: 'compute-eks',
    check: (s) => {
      const e = s.compute.eks;
      if (!e) return [];
      const ids = e.nodeGroups.map((g) => g.id);
      return [
        ...(KUBERNETES_VERSIONS.includes(e.kubernetesVersion)
          ? []
          : [violation('compute.eks.kubernetesVersion', e.kubernetesVersion, `must be one of ${KUBERNETES_VERSIONS.join(', ')}`)]),
        ...(e.nodeGroups.length ? [] : [violation('compute.eks.nodeGroups', [], 'needs at least one node group')]),
        ...(new Set(ids).size === ids.length ? [] : [violation('compute.eks.nodeGroups[].id', ids, 'node group IDs must be unique')]),
        ...(e.nodeGroups.some((g) => g.capacityType === 'ON_DEMAND' && g.minNodes >= 3)
          ? []
          : [violation('compute.eks.nodeGroups', ids, 'needs an ON_DEMAND group with at least 3 nodes (one per AZ) so that system pods survive spot reclaims')]),
        ...e.nodeGroups.flatMap((g) => [
          ...(g.minNodes >= 0 && g.minNodes <= g.desiredNodes && g.desiredNodes <= g.maxNodes && g.maxNodes >= 1
            ? []
            : [
                violation(
                  `compute.eks.nodeGroups[${g.id}].desiredNodes`,
                  { min: g.minNodes, desired: g.desiredNodes, max: g.maxNodes },
                  'must satisfy 0 <= minNodes <= desiredNodes <= maxNodes and maxNodes >= 1',
                ),
              ]),
          ...(g.instanceTypes.length ? [] : [violation(`compute.eks.nodeGroups[${g.id}].instanceTypes`, [], 'needs at least one instance type')]),
          ...(g.diskGiB >= 20 ? [] : [violation(`compute.eks.nodeGroups[${g.id}].diskGiB`, g.diskGiB, 'must be at least 20 GiB for images and logs')]),
        ]),
        ...everyServiceOnce('compute.eks.services', e.services.map((p) => p.name)),
        ...e.services.flatMap((p) => [
          ...(Number.isInteger(p.minReplicas) && p.minReplicas >= 2 && p.minReplicas <= p.maxReplicas
            ? []
            : [
                violation(
                  `compute.eks.services[${p.name}].minReplicas`,
                  { min: p.minReplicas, max: p.maxReplicas },
                  'must be a whole number from 2 (a PodDisruptionBudget keeps one up during node drains) to maxReplicas',
                ),
              ]),
          ...(p.cpuMillis >= 50 && p.memoryMiB >= 128
            ? []
            : [violation(`compute.eks.services[${p.name}]`, { cpuMillis: p.cpuMillis, memoryMiB: p.memoryMiB }, 'needs at least 50 millicores and 128 MiB')]),
          ...(p.targetCpuPercent >= 10 && p.targetCpuPercent <= 90
            ? []
            : [violation(`compute.eks.services[${p.name}].targetCpuPercent`, p.targetCpuPercent, 'must be from 10 to 90')]),
        ]),
      ];
    },
  },
  {
    id: 'compute-eks-spot',
    check: (s) => {
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
          ? [violation('compute.eks.spot', placed, 'places work on spot capacity, so compute.eks.nodeGroups needs a group with capacityType SPOT')]
          : []),
        ...(named.length === 0
          ? spotGroups.map((g) =>
              violation(
                `compute.eks.nodeGroups[${g.id}].capacityType`,
                g.capacityType,
                'SPOT groups are tainted so that only interruptible work lands there: name that work in compute.eks.spot, or make the group ON_DEMAND',
              ),
            )
          : []),
        ...badServices.map((n) => violation('compute.eks.spot.services', n, 'must name a service of compute.eks.services, each once')),
        ...badJobs.map((j) =>
          violation('compute.eks.spot.jobs', j, `must be one of ${SPOT_JOBS.join(', ')}, each once: the schema and topic Jobs hold up a deploy when interrupted`),
        ),
      ];
    },
  },
  {
    id: 'compute-predictive-scaling',
    check: (s) => {
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
            : [violation(`${field}.predictiveScaling.mode`, p.mode, 'must be ForecastOnly or ForecastAndScale')]),
          ...(Number.isInteger(p.schedulingBufferMinutes) && p.schedulingBufferMinutes >= 1 && p.schedulingBufferMinutes <= 60
            ? []
            : [violation(`${field}.predictiveScaling.schedulingBufferMinutes`, p.schedulingBufferMinutes, 'must be a whole number of minutes from 1 to 60 (EC2 Auto Scaling launches at most an hour ahead)')]),
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
          : [violation(`${field}.lookaheadMinutes`, p.lookaheadMinutes, 'must be a whole number of minutes from 5 (a new node and a ready pod) to 60')]),
        ...(Number.isInteger(p.trendWindowMinutes) && p.trendWindowMinutes >= p.lookaheadMinutes && p.trendWindowMinutes <= 360
          ? []
          : [
              violation(
                `${field}.trendWindowMinutes`,
                { trendWindowMinutes: p.trendWindowMinutes, lookaheadMinutes: p.lookaheadMinutes },
                'must be a whole number of minutes from lookaheadMinutes to 360: a trend fitted over less history than it projects is noise',
              ),
            ]),
        ...p.seasonalOffsetsDays
          .filter((d, i) => !Number.isInteger(d) || d < 1 || d >= retention || p.seasonalOffsetsDays.indexOf(d) !== i)
          .map((d) => violation(`${field}.seasonalOffsetsDays`, d, `must be distinct whole days from 1 to below monitoring.metricsRetentionDays (${retention}): older samples are gone`)),
      ];
    },
  },
  {
    id: 'edge',
    check: (s) => {
      const e = s.compute.gateway?.edge;
      if (!e) return [];
      return [
        ...(e.expectedHitPercent >= 0 && e.expectedHitPercent <= 100 ? [] : [violation('compute.gateway.edge.expectedHitPercent', e.expectedHitPercent, 'must be from 0 to 100')]),
        ...(Number.isInteger(e.maxTtlSeconds) && e.maxTtlSeconds >= 1 && e.maxTtlSeconds <= 31_536_000
          ? []
          : [violation('compute.gateway.edge.maxTtlSeconds', e.maxTtlSeconds, 'must be a whole number of seconds from 1 to 31536000 (CloudFront\'s limit)')]),
      ];
    },
  },
  {
    id: 'read-model-lag-alarm',
    check: (s) => {
      const lag = s.compute.eventSourcing?.readModelLagAlarmSeconds;
      return lag === undefined || (Number.isInteger(lag) && lag >= 1 && lag <= 3600)
        ? []
        : [violation('compute.eventSourcing.readModelLagAlarmSeconds', lag, 'must be a whole number of seconds from 1 to 3600')];
    },
  },
];

/** What a phase move may not do to `compute`. */
export const COMPUTE_NO_SHRINK: readonly NoShrinkRow[] = [
  {
    field: 'compute.gateway',
    read: (s) => [['gateway', s.compute.gateway !== undefined]],
    kind: 'never-turns-off',
    why: 'clients call the API Gateway endpoint once it exists; removing it breaks them',
  },
  {
    field: 'compute.eks',
    read: (s) => [['eks', s.compute.eks !== undefined]],
    kind: 'never-turns-off',
    why: 'once the services run on Kubernetes, a later phase does not go back to EC2',
  },
  {
    field: 'compute.eventSourcing',
    read: (s) => [['eventSourcing', s.compute.eventSourcing !== undefined]],
    kind: 'never-turns-off',
    why: 'order reads come from the event log\'s projection once it is on, and a log left off misses every change made meanwhile',
  },
  {
    field: 'compute.eks.services[].maxReplicas',
    read: (s) => (s.compute.eks?.services ?? []).map((p) => [p.name, p.maxReplicas] as const),
    kind: 'never-shrinks',
    why: 'a service\'s HPA ceiling never shrinks',
  },
  {
    field: 'compute.eks.services[].minReplicas',
    read: (s) => (s.compute.eks?.services ?? []).map((p) => [p.name, p.minReplicas] as const),
    kind: 'never-shrinks',
    why: 'a service\'s HPA floor never shrinks',
  },
  {
    field: 'compute.eks.nodeGroups[].desiredNodes',
    // Keyed by the group and its instance types: a group whose types change is replaced, and starts anew.
    read: (s) => (s.compute.eks?.nodeGroups ?? []).map((g) => [`${g.id} (${g.instanceTypes.join(', ')})`, g.desiredNodes] as const),
    kind: 'fixed',
    why: 'EKS resizes a node group whenever its desired size changes in the template, undoing what the cluster autoscaler chose',
  },
  {
    field: 'compute.eks.nodeGroups[].maxNodes',
    read: (s) => (s.compute.eks?.nodeGroups ?? []).map((g) => [g.id, g.maxNodes] as const),
    kind: 'never-shrinks',
    why: 'node capacity never shrinks',
  },
];
