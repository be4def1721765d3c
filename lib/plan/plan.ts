import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { PhaseSpec } from '../../phases';
import { CapacityReport, capacity } from '../../phases/capacity';
import { CostCategory, estimateCost } from '../cost/estimate';
import { edgeCostLines } from '../cost/edge';
import { interRegionCostLines } from '../cost/inter-region';
import { PreflightReport } from '../preflight/report-types';
import { analyzeReachability } from '../review/reachability';
import { Restart, deployOrder, restartsOf } from '../review/restarts';
import { PhaseTemplates, ResourceChange, TemplateJson, reviewUpgrade, summarize } from '../review/upgrade-review';
import { Checklist, migrationChecklist } from './checklist';
import { PARTITION_WARNING, PartitionChange, partitionChanges } from './kafka';
import { ManifestChange, manifestChanges } from './manifests';
import { RollbackTrigger, rollbackTriggers } from './rollback-triggers';

/** A phase's cost, from its templates. */
export interface PhaseCost {
  readonly byCategory: Readonly<Record<CostCategory, number>>;
  readonly totalUsd: number;
}

/** One measure of the capacity model before and after. */
export interface CapacityRow {
  readonly measure: string;
  readonly from: string;
  readonly to: string;
}

/** One stack of the deploy order, its region, and what deploying it restarts. */
export interface DeployStep {
  readonly stack: string;
  readonly region: string;
  readonly restarts: readonly Restart[];
}

/** Everything a reviewer needs to approve a move between two phases, offline (JSON-stable). */
export interface MigrationPlan {
  readonly from: string;
  readonly to: string;
  readonly review: {
    readonly counts: Readonly<Record<string, number>>;
    readonly addedStacks: readonly string[];
    readonly removedStacks: readonly string[];
    /** Stateful risks: each one makes the plan exit 1. */
    readonly errors: readonly string[];
    /** Every change, with the stack's region. */
    readonly changes: readonly (ResourceChange & { readonly region: string })[];
  };
  readonly reachability: { readonly paths: number; readonly problems: readonly string[] };
  readonly kubernetes: readonly ManifestChange[];
  readonly kafka: { readonly increases: readonly PartitionChange[]; readonly warning?: string };
  readonly cost: { readonly from: PhaseCost; readonly to: PhaseCost; readonly budgetUsd: number; readonly headroomPercent: number };
  readonly capacity: readonly CapacityRow[];
  readonly deploy: readonly DeployStep[];
  readonly checklist: Checklist;
  readonly rollbackTriggers: readonly RollbackTrigger[];
  readonly preflight?: PreflightReport;
  /** 1: a stateful risk, an unreachable endpoint or a failed preflight; 2: the preflight could not run; else 0. */
  readonly exitCode: 0 | 1 | 2;
}

function templatesOf(phase: string, assembly: CloudAssembly): PhaseTemplates {
  return { phase, stacks: new Map(assembly.stacks.map((s) => [s.stackName, s.template as TemplateJson])) };
}

function costOf(spec: PhaseSpec, assembly: CloudAssembly): PhaseCost {
  const e = estimateCost(
    assembly.stacks.map((s) => ({ stackName: s.stackName, region: s.environment.region, template: s.template as TemplateJson })),
    [...interRegionCostLines(spec), ...edgeCostLines(spec)],
  );
  return { byCategory: e.byCategory, totalUsd: e.totalUsd };
}

function capacityRows(a: CapacityReport, b: CapacityReport): CapacityRow[] {
  const row = (measure: string, f: (c: CapacityReport) => string): CapacityRow => ({ measure, from: f(a), to: f(b) });
  const vcpu = (m?: number) => (m === undefined ? '-' : (m / 1000).toFixed(1));
  return [
    row('peak requests/s', (c) => c.peakRps.toFixed(0)),
    row('peak orders/s', (c) => c.peakOrdersPerSecond.toFixed(2)),
    row('requests/s one region must carry', (c) => c.regionalDesignRps.toFixed(0)),
    row('requests/s one region can carry', (c) => c.regionalCapacityRps.toFixed(0)),
    row('bottleneck service', (c) => c.bottleneck),
    row('headroom (at least 1.25×)', (c) => `${c.computeHeadroom.toFixed(1)}×`),
    row('orders-shard connections (peak of max)', (c) => `${c.ordersShardConnections.peak} of ${c.ordersShardConnections.max}`),
    row('partitions per topic (most consumers)', (c) => `${c.partitions.perTopic} (${c.partitions.maxConsumers})`),
    row('partitions per broker', (c) => String(c.partitions.perBroker)),
    row('EKS vCPU requested / schedulable', (c) => (c.nodes ? `${vcpu(c.nodes.requestedMillicores)} / ${vcpu(c.nodes.schedulableMillicores)}` : '-')),
    row('EKS spot vCPU requested / schedulable', (c) => (c.spotNodes ? `${vcpu(c.spotNodes.requestedMillicores)} / ${vcpu(c.spotNodes.schedulableMillicores)}` : '-')),
  ];
}

/** Builds the plan of a move from both phases' synthesized assemblies (and the target's preflight, when run). */
export function buildPlan(from: PhaseSpec, to: PhaseSpec, assemblies: { from: CloudAssembly; to: CloudAssembly }, preflight?: PreflightReport): MigrationPlan {
  const before = templatesOf(from.name, assemblies.from);
  const after = templatesOf(to.name, assemblies.to);
  const review = reviewUpgrade(before, after);
  const regionOf = new Map([...assemblies.from.stacks, ...assemblies.to.stacks].map((s) => [s.stackName, s.environment.region]));
  const restarts = restartsOf(before, after);
  const order = deployOrder(after, new Map(assemblies.to.stacks.map((s) => [s.stackName, s.dependencies.map((d) => d.id)])));
  const reachability = analyzeReachability(assemblies.to);
  const triggers = rollbackTriggers([assemblies.from, assemblies.to], to.monitoring);
  const increases = partitionChanges(from, to);
  const toCost = costOf(to, assemblies.to);
  const failed = review.errors.length > 0 || reachability.problems.length > 0 || preflight?.exitCode === 1;
  return {
    from: from.name,
    to: to.name,
    review: {
      counts: summarize(review),
      addedStacks: review.addedStacks,
      removedStacks: review.removedStacks,
      errors: review.errors,
      changes: review.changes.map((c) => ({ ...c, region: regionOf.get(c.stack) ?? '' })),
    },
    reachability: { paths: reachability.paths.length, problems: reachability.problems.map((p) => p.message) },
    kubernetes: manifestChanges(assemblies.from, assemblies.to),
    kafka: { increases, warning: increases.length ? PARTITION_WARNING : undefined },
    cost: {
      from: costOf(from, assemblies.from),
      to: toCost,
      budgetUsd: to.slo.budgetUsdPerMonth,
      headroomPercent: (1 - toCost.totalUsd / to.slo.budgetUsdPerMonth) * 100,
    },
    capacity: capacityRows(capacity(from), capacity(to)),
    deploy: order.map((stack) => ({ stack, region: regionOf.get(stack) ?? '', restarts: restarts.filter((r) => r.stack === stack) })),
    checklist: migrationChecklist(from, to, order, restarts, triggers),
    rollbackTriggers: triggers,
    preflight,
    exitCode: failed ? 1 : preflight?.exitCode === 2 ? 2 : 0,
  };
}

