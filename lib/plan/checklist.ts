import { PhaseSpec, previousPhase } from '../../phases';
import { SideBySideError, sideBySide } from '../compute/migration';
import { REGION_CODES } from '../naming';
import { Restart } from '../review/restarts';
import { RollbackTrigger } from './rollback-triggers';

/** One item of the roadmap's migration checklist, with this move's commands. */
export interface ChecklistItem {
  /** The roadmap's words. */
  readonly task: string;
  readonly commands: readonly string[];
  readonly note?: string;
}

/** The roadmap's migration checklist filled in for one move. */
export interface Checklist {
  readonly pre: readonly ChecklistItem[];
  readonly during: readonly ChecklistItem[];
  readonly post: readonly ChecklistItem[];
  /** The traffic steps, when the move runs old and new compute side by side; else why not. */
  readonly shift: { readonly percents: readonly number[] } | { readonly unavailable: string };
  /** How to roll back when a trigger fires. */
  readonly rollback: readonly string[];
}

/** The roadmap's gradual traffic migration. */
const SHIFT_STEPS = [10, 50, 100] as const;

const monitoringPrefix = (region: string) => `orders-${REGION_CODES[region as keyof typeof REGION_CODES]}-monitoring`;

function shiftOf(from: PhaseSpec, to: PhaseSpec): Checklist['shift'] {
  if (previousPhase(to.name)?.name !== from.name) {
    return { unavailable: `-c shift=PERCENT moves into ${to.name} from ${previousPhase(to.name)?.name ?? 'nothing'}; move one phase at a time to shift traffic gradually` };
  }
  try {
    sideBySide(to, from, 0);
    return { percents: SHIFT_STEPS };
  } catch (error) {
    if (error instanceof SideBySideError) return { unavailable: error.message };
    throw error;
  }
}

/**
 * The roadmap's checklist (pre-, during and post-migration) with this move's commands: snapshots,
 * the staging run, the preflight, the side-by-side traffic steps (`-c shift=`) or the deploy
 * order, the alarms to watch, and the rollback.
 */
export function migrationChecklist(from: PhaseSpec, to: PhaseSpec, order: readonly string[], restarts: readonly Restart[], triggers: readonly RollbackTrigger[]): Checklist {
  const regions = from.regions.map((r) => r.region);
  const newRegions = to.regions.map((r) => r.region);
  const alarmsNow = regions.map((r) => `aws cloudwatch describe-alarms --region ${r} --alarm-name-prefix ${monitoringPrefix(r)} --state-value ALARM --query 'MetricAlarms[].AlarmName'`);
  const alarmsAfter = newRegions.map((r) => `aws cloudwatch describe-alarms --region ${r} --alarm-name-prefix ${monitoringPrefix(r)} --state-value ALARM --query 'MetricAlarms[].AlarmName'`);
  const snapshot = from.postgres.instances.map(
    (i) =>
      `aws rds create-db-snapshot --region ${regions[0]} --db-snapshot-identifier before-${to.name}-${i.id.toLowerCase()} --db-instance-identifier "$(aws cloudformation describe-stack-resources --region ${regions[0]} --stack-name orders-${REGION_CODES[from.regions[0].region]}-data --query "StackResources[?ResourceType=='AWS::RDS::DBInstance' && starts_with(LogicalResourceId, 'Postgres${i.id}') && !contains(LogicalResourceId, 'Replica')].PhysicalResourceId | [0]" --output text)"`,
  );
  const shift = shiftOf(from, to);
  const traffic: ChecklistItem =
    'percents' in shift
      ? {
          task: `Gradual traffic migration (${shift.percents.join('% → ')}%)`,
          commands: [
            `npx cdk deploy -c phase=${to.name} -c shift=0 --all`,
            ...shift.percents.map((p) => `npx cdk deploy -c phase=${to.name} -c shift=${p} --all`),
            `npx cdk deploy -c phase=${to.name} --all`,
          ],
          note: `shift=0 builds ${to.name}'s compute beside ${from.name}'s with no traffic; each step sends that share of every service path to it (watch at least an hour before the next); the last command removes ${from.name}'s compute`,
        }
      : {
          task: 'Gradual traffic migration (10% → 50% → 100%)',
          commands: order.map((stack) => `npx cdk deploy -c phase=${to.name} --exclusively ${stack}`),
          note: `no side-by-side step: ${shift.unavailable}. Deploy one stack at a time in this order instead, watching the alarms after each`,
        };
  const watched = triggers.reduce((n, t) => n + t.alarms.reduce((m, a) => m + a.names.length, 0), 0);
  const rollback =
    'percents' in shift
      ? [
          `npx cdk deploy -c phase=${to.name} -c shift=0 --all   # all traffic back to ${from.name}'s compute within a listener-rule update (or the previous step's percentage)`,
          'stop further deploys; alert the on-call team (the alarm topic already has)',
          'investigate (logs, the alarm\'s metric), fix in staging, and retry from the step that failed',
        ]
      : [
          `npx cdk deploy -c phase=${from.name} --exclusively ${order.filter((s) => s.endsWith('-compute') && regions.some((r) => s.startsWith(`orders-${REGION_CODES[r]}-`))).join(' ')}   # ${from.name}'s compute again; data stacks keep ${to.name}'s additions (nothing stateful is removed by going back this way)`,
          'stop further deploys; alert the on-call team (the alarm topic already has)',
          'investigate (logs, the alarm\'s metric), fix in staging, and retry',
        ];
  return {
    pre: [
      { task: 'Review current system metrics', commands: alarmsNow, note: 'and the Grafana dashboard of each region; note checkout\'s p99 for the new baseline' },
      { task: 'Identify bottlenecks', commands: ['npm run capacity', `npm run cost -- ${from.name} ${to.name}`] },
      { task: 'Create migration plan', commands: [`npm run plan -- ${from.name} ${to.name} --format markdown --preflight`] },
      { task: 'Set up staging environment', commands: [`AWS_PROFILE=staging npx cdk deploy -c phase=${from.name} --all`], note: 'a staging account running the current phase' },
      {
        task: 'Prepare rollback plan',
        commands: [...snapshot, ...restarts.flatMap((r) => (r.avoid ? [`# ${r.stack}/${r.logicalId}: ${r.avoid}`] : []))],
        note: 'manual snapshots of every PostgreSQL primary (the roadmap\'s "full backups before migration"); and the outages to avoid first',
      },
      { task: 'Notify stakeholders', commands: [], note: `the move to ${to.name}, its deploy window and the rollback triggers below` },
    ],
    during: [
      { task: 'Deploy to staging', commands: [`AWS_PROFILE=staging npm run preflight -- ${to.name}`, `AWS_PROFILE=staging npx cdk deploy -c phase=${to.name} --all`] },
      { task: 'Run load tests', commands: ['npx autocannon -d 600 -c 64 "$STAGING_API_URL/products"'], note: `at ${to.name}'s peak from npm run capacity; checkout p99 under ${to.slo.checkoutResponseMs} ms` },
      { task: 'Verify functionality', commands: [`npm run reachability -- ${to.name}`, ...(to.compute.eks ? ['kubectl -n orders get deploy,hpa,pdb,jobs'] : [])] },
      { task: 'Monitor metrics', commands: alarmsAfter, note: 'after every deploy below, and the Grafana dashboards' },
      traffic,
      { task: 'Monitor for issues', commands: [], note: `roll back when any of the ${watched} rollback alarms below fires` },
    ],
    post: [
      { task: 'Verify all metrics', commands: alarmsAfter },
      { task: 'Monitor for 1 week', commands: [], note: 'the alarms above, and the next-phase triggers (`CapacityTrigger`, `<db>Cpu`)' },
      { task: 'Document lessons learned', commands: [] },
      { task: 'Optimize based on metrics', commands: [], note: `set monitoring.baselineResponseMs of ${to.name} to the measured checkout p99; tune HPA bounds and node groups` },
      {
        task: 'Plan next phase',
        commands: [],
        note: to.slo.nextPhaseTriggerDailyUsers ? `CapacityTrigger fires at ${to.monitoring.capacityTriggerPercent}% of ${to.slo.dailyUsers.toLocaleString('en-US')} daily users` : 'the last phase of the roadmap',
      },
    ],
    shift,
    rollback,
  };
}
