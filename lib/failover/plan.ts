import { PhaseSpec, RegionName, RegionSpec } from '../../phases';
import { regionalStackName } from '../naming';
import { CATALOG_GLOBAL_CLUSTER } from '../constructs/documentdb';

/**
 * A regional failover, step by step: what the `npm run failover` command does, what the Step
 * Functions promotion machine does, and what the failover budget adds up. One list, so the three
 * cannot disagree.
 */

/**
 * The SSM parameter that names the home (primary) region: one per phase, in the failover region
 * (the first secondary), which a failover writes in and every region's services read
 * (HOME_REGION_SOURCE=ssm:<region>:<name>). It lives where it is written, so a failover needs no
 * call to any other region, and a lost primary that returns reads it and stops by itself.
 */
export const HOME_REGION_PARAMETER = '/orders/platform/home-region';

/** The region that holds the home pointer and becomes the primary in a failover: the first secondary. */
function failoverRegion(spec: PhaseSpec): RegionName | undefined {
  return spec.regions.find((r) => r.role === 'secondary')?.region;
}

/**
 * The region that holds the home pointer: the failover region, which keeps it after a failover
 * made it the home (`spec.homeRegion`), so that the pointer never moves.
 */
export function homePointerRegion(spec: PhaseSpec): RegionName | undefined {
  return spec.homeRegion ?? failoverRegion(spec);
}

/** The primary region: the origin (listed first), or the home a failover moved the writes to. */
export function primaryRegion(spec: PhaseSpec): RegionName {
  return spec.homeRegion ?? spec.regions[0].region;
}

/** Seconds between the services' reads of the home parameter (HOME_REGION_POLL_MS). */
export const HOME_POLL_SECONDS = 10;

/** What one step does. */
export type StepKind = 'promote-postgres' | 'failover-documentdb' | 'failover-cache' | 'wait-stores' | 'point-home';

/** One step of a failover to a region. */
export interface FailoverStep {
  /** Stable ID: `--from-step` names it. */
  readonly id: string;
  readonly kind: StepKind;
  /** The region whose APIs the step calls. */
  readonly region: RegionName;
  /** What the command prints before it acts. */
  readonly title: string;
}

/**
 * How long each part takes, in seconds, from AWS's documentation (planning figures: the drill,
 * `npm run drill:region-loss`, measures the local equivalent). Store promotions run in parallel.
 */
export const DURATIONS = {
  /** RDS: "the promotion process can take several minutes or longer, depending on the size of the read replica"; a replica that keeps up with its source is small in backlog. */
  postgresPromotion: { seconds: 180, source: 'RDS user guide, promoting a read replica: several minutes (planning figure 3 min)' },
  /** DocumentDB global clusters: "a typical Recovery Time Objective (RTO) of under a minute". */
  documentDbFailover: { seconds: 60, source: 'DocumentDB developer guide, global clusters: typical RTO under a minute' },
  /** ElastiCache Global Datastore: promoting a secondary cluster to primary takes about a minute. */
  cacheFailover: { seconds: 60, source: 'ElastiCache user guide, Global Datastore failover: about a minute' },
  /** A service process drains in-flight requests, exits, and its container starts again in the new role. */
  serviceRestart: { seconds: 30, source: 'services/shared/shutdown.ts drain plus a container start (measured by the drill)' },
} as const;

/** The phase's regions other than `lost`, in spec order. */
function survivors(spec: PhaseSpec, lost: RegionName): RegionSpec[] {
  return spec.regions.filter((r) => r.region !== lost);
}

/**
 * Checks the target of a failover: a secondary region of the phase, and the first of them in the
 * spec's order, which is the failover order. A region's services know the internal addresses of
 * the regions listed before it only (a region deploys after the ones before it), so the first
 * secondary is the one every other survivor can send its writes to.
 */
function checkTarget(spec: PhaseSpec, to: string): RegionSpec {
  const target = spec.regions.find((r) => r.region === to);
  const regions = spec.regions.map((r) => r.region).join(', ');
  if (!target) throw new Error(`--to ${to}: not a region of phase ${spec.name} (${regions})`);
  if (target.role === 'primary') throw new Error(`--to ${to}: it is already the primary region of phase ${spec.name}`);
  const first = spec.regions.find((r) => r.role === 'secondary')!;
  if (first.region !== target.region) {
    throw new Error(`--to ${to}: the failover order is the spec's region order (${regions}); fail over to ${first.region}, the first secondary, which every other region can reach`);
  }
  return target;
}

/** The steps of a failover of `spec` to region `to` (its primary region lost), in order. */
export function failoverPlan(spec: PhaseSpec, to: string): FailoverStep[] {
  const target = checkTarget(spec, to).region;
  const primary = spec.regions[0].region;
  const databases = spec.postgres.instances.map((i) => i.id).join(', ');
  const steps: FailoverStep[] = [
    { id: 'promote-postgres', kind: 'promote-postgres', region: target, title: `Promote the PostgreSQL replicas in ${target} (${databases}) to standalone, writable instances` },
    { id: 'failover-documentdb', kind: 'failover-documentdb', region: target, title: `Fail the DocumentDB global cluster over to ${target}'s cluster (allowing the loss of what ${primary} had not replicated)` },
    { id: 'failover-cache', kind: 'failover-cache', region: target, title: `Fail the cache's Global Datastore over to ${target}'s member` },
    { id: 'wait-stores', kind: 'wait-stores', region: target, title: `Wait until ${target}'s PostgreSQL instances are standalone and available, its DocumentDB cluster is the writer and its cache the primary` },
  ];
  const followers = survivors(spec, primary).filter((r) => r.region !== target).map((r) => r.region);
  steps.push({
    id: 'point-home',
    kind: 'point-home',
    region: target,
    title:
      `Set ${HOME_REGION_PARAMETER} in ${target} to ${target}: ${target}'s services restart as the primary (relay and saga on)` +
      (followers.length > 0 ? `, and ${followers.join(' and ')}'s forward their writes to ${target}` : ''),
  });
  return steps;
}

/**
 * What is left once the lost region returns, in order: not run by the command, printed by it
 * (and alone with `--rebuild`). The lost region rejoins as a secondary of `to`; its old stores
 * are kept until their last writes are reconciled (README, "Bringing the old primary back").
 */
export function afterReturn(spec: PhaseSpec, to: string): string[] {
  const lost = spec.regions[0].region;
  checkTarget(spec, to);
  const deploy = `npx cdk deploy -c phase=${spec.name} -c homeRegion=${to}`;
  const stack = regionalStackName;
  const others = survivors(spec, lost).filter((r) => r.region !== to).map((r) => r.region);
  return [
    `When ${lost} answers again, its services read ${HOME_REGION_PARAMETER} in ${to}, stop taking writes and stay stopped: ${lost} serves nobody ` +
      `and its health check keeps it out of DNS. Its databases are still writable: keep every client away from them.`,
    `Snapshot ${lost}'s PostgreSQL instances, DocumentDB cluster and cache (${stack(lost, 'data')}): they hold the writes ${to} never received (the RPO), to be reconciled.`,
    `If ${lost}'s DocumentDB cluster or cache is still listed in the global cluster ${CATALOG_GLOBAL_CLUSTER} or the cache's Global Datastore, detach it in ${to} ` +
      '(aws docdb remove-from-global-cluster; aws elasticache disassociate-global-replication-group): a global group has one member per region, ' +
      `and ${lost} rejoins with new ones.`,
    `${deploy} --exclusively ${stack(to as RegionName, 'failover')}: the home pointer stays in ${to} and names it; the promotion machine goes (${to} is no longer a failover target), which frees the data stack's exports it read.`,
    `${deploy} --all: ${to}'s replicas are written as the standalone instances they are (the template drops their source: promoted in place, no replacement); ` +
      `${stack(lost, 'rejoin')} builds ${lost}'s new members: a read replica of every promoted PostgreSQL instance, a DocumentDB cluster in the global cluster and a cache in the Global Datastore, each a full copy from ${to}` +
      (others.length > 0 ? `; ${others.map((r) => stack(r, 'rejoin')).join(' and ')} builds new PostgreSQL replicas from ${to} (${others.join(' and ')}'s old ones replicated from ${lost})` : '') +
      `; ${to}'s services run as the primary and ${lost}'s as a secondary that forwards its writes to ${to}; MirrorMaker 2 runs in ${lost}, copying ${to}'s topics.`,
    `Reconcile ${lost}'s snapshots with ${to} (README, "Bringing the old primary back"), then delete ${lost}'s old stores deliberately: they stay in ${stack(lost, 'data')}, deletion-protected, until then.`,
  ];
}
