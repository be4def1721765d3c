import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeGlobalClustersCommand, DocDBClient, FailoverGlobalClusterCommand } from '@aws-sdk/client-docdb';
import { DescribeGlobalReplicationGroupsCommand, ElastiCacheClient, FailoverGlobalReplicationGroupCommand } from '@aws-sdk/client-elasticache';
import { DescribeDBInstancesCommand, PromoteReadReplicaCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { PhaseSpec, RegionName } from '../../phases';
import { regionalStackName } from '../naming';
import { FailoverStep, HOME_REGION_PARAMETER, afterReturn, failoverPlan } from './plan';
import { FAILOVER_TARGETS_OUTPUT, FailoverTargets } from './targets';

/** The AWS clients of one region. */
export interface RegionClients {
  readonly cloudFormation: CloudFormationClient;
  readonly rds: RDSClient;
  readonly docdb: DocDBClient;
  readonly elastiCache: ElastiCacheClient;
  readonly ssm: SSMClient;
}

/** Clients for a region with the SDK's default credential chain, retries and endpoint settings. */
export function defaultClients(region: RegionName): RegionClients {
  const config = { region };
  return {
    cloudFormation: new CloudFormationClient(config),
    rds: new RDSClient(config),
    docdb: new DocDBClient(config),
    elastiCache: new ElastiCacheClient(config),
    ssm: new SSMClient(config),
  };
}

/** Options of {@link runFailover}. */
export interface FailoverOptions {
  readonly spec: PhaseSpec;
  readonly to: string;
  /** Print the plan and what each step would do; change nothing. */
  readonly dryRun?: boolean;
  /** Do not ask before acting. */
  readonly yes?: boolean;
  /** Start at this step (the one a failed run named). */
  readonly fromStep?: string;
  /** Asks the operator; resolves true to go on. */
  readonly confirm: (question: string) => Promise<boolean>;
  readonly log: (line: string) => void;
  readonly clients: (region: RegionName) => RegionClients;
  /** Time between checks while waiting for the stores (default 15 s). */
  readonly pollMs?: number;
  /** Longest wait for the stores (default 30 min). */
  readonly waitTimeoutMs?: number;
}

/** A step failed: names it, so the operator can resume there. */
export class FailoverStepError extends Error {
  constructor(
    readonly step: FailoverStep,
    readonly resume: string,
    cause: unknown,
  ) {
    super(`step ${step.id} failed: ${cause instanceof Error ? cause.message : String(cause)}\nFix the cause, then resume from it: ${resume}`);
    this.name = 'FailoverStepError';
  }
}

/** What a run did. */
export interface FailoverResult {
  /** Steps run, each with what it did (`done` or why it had nothing to do). */
  readonly steps: ReadonlyArray<{ readonly id: string; readonly outcome: string }>;
  readonly aborted: boolean;
}

/** Reads the target region's failover targets from its data stack's output. */
async function readTargets(clients: RegionClients, region: RegionName): Promise<FailoverTargets> {
  const stackName = regionalStackName(region, 'data');
  const out = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const value = out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === FAILOVER_TARGETS_OUTPUT)?.OutputValue;
  if (!value) throw new Error(`stack ${stackName} in ${region} has no ${FAILOVER_TARGETS_OUTPUT} output: is the phase deployed there?`);
  const t = JSON.parse(value) as FailoverTargets;
  if (!Array.isArray(t.postgres) || !t.documentDb?.clusterArn || !t.cache?.replicationGroupId) throw new Error(`stack ${stackName}: ${FAILOVER_TARGETS_OUTPUT} is incomplete: ${value}`);
  return t;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each step's action: resolves with what it did. Every action reads the state first and does nothing twice. */
function actions(o: FailoverOptions, targets: FailoverTargets) {
  const target = o.clients(o.to as RegionName);
  const backupDays = new Map(o.spec.postgres.instances.map((i) => [i.id, i.backupRetentionDays]));
  const maxBackupDays = Math.max(...backupDays.values());

  const postgresState = async (id: string) => {
    const db = (await target.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
    if (!db) throw new Error(`DB instance ${id} not found in ${o.to}`);
    return { standalone: !db.ReadReplicaSourceDBInstanceIdentifier, status: db.DBInstanceStatus ?? 'unknown' };
  };
  const documentDbState = async () => {
    const g = (await target.docdb.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: targets.documentDb.globalClusterIdentifier }))).GlobalClusters?.[0];
    if (!g) throw new Error(`DocumentDB global cluster ${targets.documentDb.globalClusterIdentifier} not found`);
    const member = g.GlobalClusterMembers?.find((m) => m.DBClusterArn === targets.documentDb.clusterArn);
    if (!member) throw new Error(`${targets.documentDb.clusterArn} is not a member of global cluster ${targets.documentDb.globalClusterIdentifier}`);
    return { writer: member.IsWriter === true, status: g.Status ?? 'unknown' };
  };
  const cacheState = async () => {
    const g = (
      await target.elastiCache.send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: targets.cache.globalReplicationGroupId, ShowMemberInfo: true }))
    ).GlobalReplicationGroups?.[0];
    if (!g) throw new Error(`Global Datastore ${targets.cache.globalReplicationGroupId} not found`);
    const member = g.Members?.find((m) => m.ReplicationGroupId === targets.cache.replicationGroupId);
    if (!member) throw new Error(`${targets.cache.replicationGroupId} is not a member of Global Datastore ${targets.cache.globalReplicationGroupId}`);
    return { primary: member.Role?.toUpperCase() === 'PRIMARY', status: g.Status ?? 'unknown' };
  };

  return {
    async 'promote-postgres'(): Promise<string> {
      const done: string[] = [];
      for (const id of targets.postgres) {
        const s = await postgresState(id);
        if (s.standalone) continue;
        // A replica already being promoted is `modifying` or `rebooting`: the wait step follows it.
        if (s.status !== 'available') continue;
        await target.rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: id, BackupRetentionPeriod: maxBackupDays }));
        done.push(id);
      }
      return done.length > 0 ? `promotion started: ${done.join(', ')}` : 'nothing to do: every replica is promoted or being promoted';
    },
    async 'failover-documentdb'(): Promise<string> {
      const s = await documentDbState();
      if (s.writer) return 'nothing to do: this region\'s cluster is the writer';
      if (s.status === 'failing-over') return 'nothing to do: a failover is under way';
      await target.docdb.send(
        new FailoverGlobalClusterCommand({ GlobalClusterIdentifier: targets.documentDb.globalClusterIdentifier, TargetDbClusterIdentifier: targets.documentDb.clusterArn, AllowDataLoss: true }),
      );
      return 'failover started';
    },
    async 'failover-cache'(): Promise<string> {
      const s = await cacheState();
      if (s.primary) return 'nothing to do: this region\'s member is the primary';
      // Asked whatever the group's status: with its primary member lost the group may never be
      // `available` again, and a refusal fails this step with AWS's reason, to resume from.
      await target.elastiCache.send(
        new FailoverGlobalReplicationGroupCommand({ GlobalReplicationGroupId: targets.cache.globalReplicationGroupId, PrimaryRegion: o.to, PrimaryReplicationGroupId: targets.cache.replicationGroupId }),
      );
      return 'failover started';
    },
    async 'wait-stores'(): Promise<string> {
      const deadline = Date.now() + (o.waitTimeoutMs ?? 30 * 60_000);
      for (;;) {
        const pending: string[] = [];
        for (const id of targets.postgres) {
          const s = await postgresState(id);
          if (!s.standalone || s.status !== 'available') pending.push(`${id} (${s.status}${s.standalone ? '' : ', replica'})`);
        }
        const d = await documentDbState();
        if (!d.writer || d.status !== 'available') pending.push(`DocumentDB (${d.status}${d.writer ? '' : ', reader'})`);
        const c = await cacheState();
        if (!c.primary || c.status !== 'available') pending.push(`cache (${c.status}${c.primary ? '' : ', secondary'})`);
        if (pending.length === 0) return 'every store is writable here';
        if (Date.now() > deadline) throw new Error(`still waiting for ${pending.join(', ')}`);
        o.log(`    waiting for ${pending.join(', ')}`);
        await sleep(o.pollMs ?? 15_000);
      }
    },
    async 'point-home'(region: RegionName): Promise<string> {
      const ssm = o.clients(region).ssm;
      const current = await ssm.send(new GetParameterCommand({ Name: HOME_REGION_PARAMETER })).then(
        (r) => r.Parameter?.Value,
        (e: unknown) => {
          if ((e as { name?: string }).name === 'ParameterNotFound') return undefined;
          throw e;
        },
      );
      if (current === o.to) return `nothing to do: ${region} already names ${o.to}`;
      await ssm.send(new PutParameterCommand({ Name: HOME_REGION_PARAMETER, Value: o.to, Type: 'String', Overwrite: true, Description: 'The home (primary) region the order services write in' }));
      return `set (was ${current ?? 'unset: the deployed primary'})`;
    },
  };
}

/** The command that resumes a run at `step`. */
function resumeCommand(o: FailoverOptions, step: FailoverStep): string {
  return `npm run failover -- --phase ${o.spec.name} --to ${o.to} --from-step ${step.id}`;
}

/**
 * Fails the phase over to region `to`: prints the plan, asks (unless `yes`), then runs each step;
 * every step first reads the state and skips what is already done, so a second run is harmless.
 * A failed step stops the run with {@link FailoverStepError}, which names the step to resume from.
 */
export async function runFailover(o: FailoverOptions): Promise<FailoverResult> {
  const plan = failoverPlan(o.spec, o.to);
  const start = o.fromStep === undefined ? 0 : plan.findIndex((s) => s.id === o.fromStep);
  if (start < 0) throw new Error(`--from-step ${o.fromStep}: not a step of this failover (${plan.map((s) => s.id).join(', ')})`);
  o.log(`Failover of phase ${o.spec.name}: ${o.spec.regions[0].region} is lost, ${o.to} becomes the primary region.`);
  plan.forEach((s, i) => o.log(`  ${String(i + 1).padStart(2)}. ${i < start ? '(done before) ' : ''}[${s.id}] ${s.title}`));
  o.log('Afterwards:');
  for (const line of afterReturn(o.spec, o.to)) o.log(`  - ${line}`);
  if (o.dryRun) {
    o.log('Dry run: nothing was changed.');
    return { steps: [], aborted: false };
  }
  if (!o.yes && !(await o.confirm(`Run steps ${start + 1}-${plan.length} now? Writes acknowledged in ${o.spec.regions[0].region} but not yet replicated are lost.`))) {
    o.log('Nothing was changed.');
    return { steps: [], aborted: true };
  }
  const targets = await readTargets(o.clients(o.to as RegionName), o.to as RegionName);
  const act = actions(o, targets);
  const steps: { id: string; outcome: string }[] = [];
  for (const [i, step] of plan.entries()) {
    if (i < start) continue;
    o.log(`[${i + 1}/${plan.length}] ${step.title}`);
    try {
      const outcome = step.kind === 'point-home' ? await act['point-home'](step.region) : await act[step.kind]();
      o.log(`    ${outcome}`);
      steps.push({ id: step.id, outcome });
    } catch (error) {
      throw new FailoverStepError(step, resumeCommand(o, step), error);
    }
  }
  o.log(
    `Done: ${o.to} is the primary region. Its services restart within a poll of ${HOME_REGION_PARAMETER}; watch its health check and checkouts. ` +
      `From now on deploy with -c homeRegion=${o.to}; when ${o.spec.regions[0].region} answers again, rebuild it as a secondary: ` +
      `npm run failover -- --phase ${o.spec.name} --to ${o.to} --rebuild prints the steps.`,
  );
  return { steps, aborted: false };
}
