import { spawnSync } from 'child_process';
import * as path from 'path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeGlobalClustersCommand, DocDBClient, FailoverGlobalClusterCommand } from '@aws-sdk/client-docdb';
import { DescribeGlobalReplicationGroupsCommand, ElastiCacheClient, FailoverGlobalReplicationGroupCommand } from '@aws-sdk/client-elasticache';
import { DescribeDBInstancesCommand, PromoteReadReplicaCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { PHASES, PhaseName, RegionName } from '../../phases';
import { HOME_REGION_PARAMETER } from '../../lib/failover/plan';
import { FailoverOptions, FailoverStepError, RegionClients, runFailover } from '../../lib/failover/runner';
import { FailoverTargets } from '../../lib/failover/targets';
import { ROOT } from './support/synth';

const LOST: RegionName = 'us-east-1';
const TO: RegionName = 'us-west-2';
const ACCOUNT = '123456789012';
const GLOBAL_CLUSTER = 'orders-catalog';
const GLOBAL_DATASTORE = 'ldgnf-orders-cache';
const TARGET_CLUSTER_ARN = `arn:aws:rds:${TO}:${ACCOUNT}:cluster:orders-usw2-data-documentdbsecondary-1a2b3c`;
const MUTATING = ['PromoteReadReplica', 'FailoverGlobalCluster', 'FailoverGlobalReplicationGroup', 'PutParameter'];

/** The physical identifier of a replica, as CloudFormation names it. */
const replicaId = (instance: string) => `orders-usw2-data-postgresreplicas${instance.toLowerCase()}-x7k2`;

/** The FailoverTargets output of orders-usw2-data, as the deployed stack returns it. */
function deployedTargets(phase: PhaseName): FailoverTargets {
  return {
    postgres: PHASES[phase].postgres.instances.map((i) => replicaId(i.id)),
    documentDb: { globalClusterIdentifier: GLOBAL_CLUSTER, clusterIdentifier: 'orders-usw2-data-documentdbsecondary-1a2b3c', clusterArn: TARGET_CLUSTER_ARN },
    cache: { globalReplicationGroupId: GLOBAL_DATASTORE, replicationGroupId: 'orders-usw2-data-cache-9z8y' },
  };
}

/** A store that settles one describe after an action: the describe in between still shows the action under way. */
interface Settling<T> {
  state: T;
  next?: T;
}
const settle = <T>(s: Settling<T>): T => {
  const shown = s.state;
  if (s.next) [s.state, s.next] = [s.next, undefined];
  return shown;
};

/**
 * Recorded AWS answers for one failover: every region has its own mocked clients, each call is
 * logged in order as `<region> <Command>`, and the actions change the state the next describe
 * returns as AWS does (a promotion shows `modifying` once, then the instance is standalone).
 */
class RecordedAws {
  readonly calls: string[] = [];
  readonly inputs: { region: RegionName; command: string; input: any }[] = [];
  /** Regions whose clients the command asked for. */
  readonly asked = new Set<RegionName>();
  readonly postgres = new Map<string, Settling<{ status: string; source?: string }>>();
  readonly documentDb: Settling<{ status: string; writer: string }> = { state: { status: 'available', writer: `arn:aws:rds:${LOST}:${ACCOUNT}:cluster:orders-use1-catalog` } };
  readonly cache: Settling<{ status: string; primary: string }> = { state: { status: 'available', primary: 'orders-use1-data-cache-4d5e' } };
  /** The home parameter per region; absent = never set (the deployed primary). */
  readonly home = new Map<RegionName, string>();
  outputs: { OutputKey: string; OutputValue: string }[];
  /** Calls that fail, by command name: the error they throw (once). */
  readonly failures = new Map<string, Error>();
  private readonly clients = new Map<RegionName, RegionClients>();

  constructor(readonly phase: PhaseName) {
    const targets = deployedTargets(phase);
    for (const id of targets.postgres) this.postgres.set(id, { state: { status: 'available', source: `arn:aws:rds:${LOST}:${ACCOUNT}:db:${id.replace('usw2', 'use1')}` } });
    this.outputs = [
      { OutputKey: 'ExportsOutputRefKeys', OutputValue: 'irrelevant' },
      { OutputKey: 'FailoverTargets', OutputValue: JSON.stringify(targets) },
    ];
    for (const region of PHASES[phase].regions.map((r) => r.region)) this.clients.set(region, this.regionClients(region));
  }

  /** The `clients` option of runFailover: the same mocked instances for a region every time. */
  readonly factory = (region: RegionName): RegionClients => {
    this.asked.add(region);
    const c = this.clients.get(region);
    if (!c) throw new Error(`no clients for ${region}`);
    return c;
  };

  /** Everything already failed over to us-west-2 and pointed home there. */
  promoted(): this {
    for (const s of this.postgres.values()) s.state = { status: 'available' };
    this.documentDb.state = { status: 'available', writer: TARGET_CLUSTER_ARN };
    this.cache.state = { status: 'available', primary: deployedTargets(this.phase).cache.replicationGroupId };
    for (const r of PHASES[this.phase].regions.filter((x) => x.region !== LOST)) this.home.set(r.region, TO);
    return this;
  }

  mutations(): string[] {
    return this.calls.filter((c) => MUTATING.includes(c.split(' ')[1]));
  }

  inputsOf(command: string): any[] {
    return this.inputs.filter((i) => i.command === command).map((i) => i.input);
  }

  private regionClients(region: RegionName): RegionClients {
    const config = { region, credentials: { accessKeyId: 'AKIDRECORDED', secretAccessKey: 'recorded' } };
    const clients: RegionClients = {
      cloudFormation: new CloudFormationClient(config),
      rds: new RDSClient(config),
      docdb: new DocDBClient(config),
      elastiCache: new ElastiCacheClient(config),
      ssm: new SSMClient(config),
    };
    const instance = (id: string) => {
      const s = this.postgres.get(id);
      if (!s) throw Object.assign(new Error(`DBInstance ${id} not found.`), { name: 'DBInstanceNotFoundFault' });
      return s;
    };
    // One mock per client instance: the regions never share a stub.
    const mocks = new Map<object, ReturnType<typeof mockClient>>(Object.values(clients).map((c) => [c, mockClient(c as never)]));
    /** Answers one command in this region: logs the call, throws a planned failure once, or answers. */
    const on = (client: object, command: { name: string }, answer: (input: any) => unknown) => {
      const name = command.name.replace(/Command$/, '');
      mocks.get(client)!.on(command as never).callsFake((input: unknown) => {
        this.calls.push(`${region} ${name}`);
        this.inputs.push({ region, command: name, input });
        const failure = this.failures.get(name);
        this.failures.delete(name);
        // A promise, as the SDK's send returns: a failure rejects, it never throws.
        return failure ? Promise.reject(failure) : Promise.resolve(input).then(answer);
      });
    };
    on(clients.cloudFormation, DescribeStacksCommand, (input: { StackName: string }) => ({
      Stacks: [{ StackName: input.StackName, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date('2026-11-01T00:00:00Z'), Outputs: this.outputs }],
    }));
    on(clients.rds, DescribeDBInstancesCommand, (input: { DBInstanceIdentifier: string }) => {
      const s = settle(instance(input.DBInstanceIdentifier));
      return { DBInstances: [{ DBInstanceIdentifier: input.DBInstanceIdentifier, DBInstanceStatus: s.status, ReadReplicaSourceDBInstanceIdentifier: s.source }] };
    });
    on(clients.rds, PromoteReadReplicaCommand, (input: { DBInstanceIdentifier: string }) => {
      const s = instance(input.DBInstanceIdentifier);
      s.state = { ...s.state, status: 'modifying' };
      s.next = { status: 'available' };
      return { DBInstance: { DBInstanceIdentifier: input.DBInstanceIdentifier, DBInstanceStatus: 'modifying' } };
    });
    on(clients.docdb, DescribeGlobalClustersCommand, (input: { GlobalClusterIdentifier: string }) => {
      const s = settle(this.documentDb);
      const members = [`arn:aws:rds:${LOST}:${ACCOUNT}:cluster:orders-use1-catalog`, TARGET_CLUSTER_ARN];
      return {
        GlobalClusters: [
          { GlobalClusterIdentifier: input.GlobalClusterIdentifier, Status: s.status, GlobalClusterMembers: members.map((DBClusterArn) => ({ DBClusterArn, IsWriter: DBClusterArn === s.writer })) },
        ],
      };
    });
    on(clients.docdb, FailoverGlobalClusterCommand, (input: { TargetDbClusterIdentifier: string }) => {
      this.documentDb.state = { ...this.documentDb.state, status: 'failing-over' };
      this.documentDb.next = { status: 'available', writer: input.TargetDbClusterIdentifier };
      return { GlobalCluster: { GlobalClusterIdentifier: GLOBAL_CLUSTER, Status: 'failing-over' } };
    });
    on(clients.elastiCache, DescribeGlobalReplicationGroupsCommand, (input: { GlobalReplicationGroupId: string }) => {
      const s = settle(this.cache);
      const groups: [RegionName, string][] = [
        [LOST, 'orders-use1-data-cache-4d5e'],
        [TO, deployedTargets(this.phase).cache.replicationGroupId],
      ];
      return {
        GlobalReplicationGroups: [
          {
            GlobalReplicationGroupId: input.GlobalReplicationGroupId,
            Status: s.status,
            // ElastiCache answers with lower-case roles.
            Members: groups.map(([ReplicationGroupRegion, ReplicationGroupId]) => ({ ReplicationGroupId, ReplicationGroupRegion, Role: ReplicationGroupId === s.primary ? 'primary' : 'secondary', Status: 'associated' })),
          },
        ],
      };
    });
    on(clients.elastiCache, FailoverGlobalReplicationGroupCommand, (input: { PrimaryReplicationGroupId: string }) => {
      this.cache.state = { ...this.cache.state, status: 'modifying' };
      this.cache.next = { status: 'available', primary: input.PrimaryReplicationGroupId };
      return { GlobalReplicationGroup: { GlobalReplicationGroupId: GLOBAL_DATASTORE, Status: 'modifying' } };
    });
    on(clients.ssm, GetParameterCommand, (input: { Name: string }) => {
      const value = this.home.get(region);
      if (value === undefined) throw new ParameterNotFound({ $metadata: { httpStatusCode: 400 }, message: '' });
      return { Parameter: { Name: input.Name, Type: 'String', Value: value, Version: 1 } };
    });
    on(clients.ssm, PutParameterCommand, (input: { Value: string }) => {
      this.home.set(region, input.Value);
      return { Version: 2, Tier: 'Standard' };
    });
    return clients;
  }
}

/** Runs the command's logic against recorded answers; confirms unless told otherwise. */
function failover(aws: RecordedAws, options: Partial<FailoverOptions> = {}) {
  const log: string[] = [];
  const confirm = jest.fn((_question: string) => Promise.resolve(true));
  const outcome = runFailover({ spec: PHASES[aws.phase], to: TO, confirm, log: (line) => log.push(line), clients: aws.factory, pollMs: 1, ...options });
  return { outcome, log, confirm };
}

const stores = (aws: RecordedAws) => [
  ...deployedTargets(aws.phase).postgres.map(() => `${TO} DescribeDBInstances`),
  `${TO} DescribeGlobalClusters`,
  `${TO} DescribeGlobalReplicationGroups`,
];
const pointHome = (...regions: RegionName[]) => regions.flatMap((r) => [`${r} GetParameter`, `${r} PutParameter`]);

describe('npm run failover, against recorded AWS answers', () => {
  test('70k to us-west-2: reads the targets, promotes each replica, fails DocumentDB and the cache over, waits until every store is writable, then points us-west-2 home', async () => {
    const aws = new RecordedAws('70k');
    const { outcome, log, confirm } = failover(aws);
    const result = await outcome;
    expect(aws.calls).toEqual([
      `${TO} DescribeStacks`,
      ...deployedTargets('70k').postgres.flatMap(() => [`${TO} DescribeDBInstances`, `${TO} PromoteReadReplica`]),
      `${TO} DescribeGlobalClusters`,
      `${TO} FailoverGlobalCluster`,
      `${TO} DescribeGlobalReplicationGroups`,
      `${TO} FailoverGlobalReplicationGroup`,
      // The first look finds every store still changing, the second finds them writable.
      ...stores(aws),
      ...stores(aws),
      ...pointHome(TO),
    ]);
    expect(aws.inputsOf('DescribeStacks')).toEqual([{ StackName: 'orders-usw2-data' }]);
    expect(aws.inputsOf('PromoteReadReplica')).toEqual(deployedTargets('70k').postgres.map((id) => ({ DBInstanceIdentifier: id, BackupRetentionPeriod: 21 })));
    expect(aws.inputsOf('FailoverGlobalCluster')).toEqual([{ GlobalClusterIdentifier: GLOBAL_CLUSTER, TargetDbClusterIdentifier: TARGET_CLUSTER_ARN, AllowDataLoss: true }]);
    expect(aws.inputsOf('FailoverGlobalReplicationGroup')).toEqual([
      { GlobalReplicationGroupId: GLOBAL_DATASTORE, PrimaryRegion: TO, PrimaryReplicationGroupId: 'orders-usw2-data-cache-9z8y' },
    ]);
    expect(aws.inputsOf('GetParameter')).toEqual([{ Name: HOME_REGION_PARAMETER }]);
    expect(aws.inputsOf('PutParameter')).toEqual([expect.objectContaining({ Name: '/orders/platform/home-region', Value: TO, Type: 'String', Overwrite: true })]);
    // Nothing is asked of the lost region.
    expect([...aws.asked]).toEqual([TO]);
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(result).toEqual({
      aborted: false,
      steps: [
        { id: 'promote-postgres', outcome: `promotion started: ${deployedTargets('70k').postgres.join(', ')}` },
        { id: 'failover-documentdb', outcome: 'failover started' },
        { id: 'failover-cache', outcome: 'failover started' },
        { id: 'wait-stores', outcome: 'every store is writable here' },
        { id: 'point-home', outcome: 'set (was unset: the deployed primary)' },
      ],
    });
    expect(log.filter((l) => l.includes('waiting for'))).toHaveLength(1);
    expect(log.find((l) => l.includes('waiting for'))).toContain('DocumentDB (failing-over, reader)');
    expect(log.at(-1)).toContain(`Done: ${TO} is the primary region.`);
  });

  test('1m to us-west-2: the one home parameter is set in us-west-2 only, which every region reads; nothing is asked of the other regions', async () => {
    const aws = new RecordedAws('1m');
    const result = await failover(aws).outcome;
    expect(aws.calls.slice(-2)).toEqual(pointHome(TO));
    expect(aws.inputs.filter((i) => i.command === 'PutParameter').map((i) => [i.region, i.input.Value])).toEqual([[TO, TO]]);
    expect(result.steps.at(-1)).toEqual({ id: 'point-home', outcome: 'set (was unset: the deployed primary)' });
    expect([...aws.asked]).toEqual([TO]);
    expect(aws.inputsOf('PromoteReadReplica').map((i) => i.BackupRetentionPeriod)).toEqual(PHASES['1m'].postgres.instances.map(() => 35));
  });

  test('a second run, with everything already promoted and pointed home, reads the state and changes nothing', async () => {
    const aws = new RecordedAws('1m');
    await failover(aws).outcome;
    expect(aws.mutations().length).toBeGreaterThan(0);
    aws.calls.length = 0;
    const again = await failover(aws).outcome;
    expect(aws.mutations()).toEqual([]);
    expect(again.steps.map((s) => s.outcome)).toEqual([
      'nothing to do: every replica is promoted or being promoted',
      "nothing to do: this region's cluster is the writer",
      "nothing to do: this region's member is the primary",
      'every store is writable here',
      `nothing to do: ${TO} already names ${TO}`,
    ]);
    // A state set up as already failed over gives the same.
    const fresh = new RecordedAws('1m').promoted();
    await failover(fresh).outcome;
    expect(fresh.calls.length).toBeGreaterThan(0);
    expect(fresh.mutations()).toEqual([]);
  });

  test('a run that finds promotions under way starts none again and waits for them', async () => {
    const aws = new RecordedAws('70k');
    for (const s of aws.postgres.values()) [s.state, s.next] = [{ status: 'modifying', source: s.state.source }, { status: 'available' }];
    [aws.documentDb.state, aws.documentDb.next] = [{ ...aws.documentDb.state, status: 'failing-over' }, { status: 'available', writer: TARGET_CLUSTER_ARN }];
    const result = await failover(aws).outcome;
    expect(aws.mutations()).toEqual([`${TO} FailoverGlobalReplicationGroup`, `${TO} PutParameter`]);
    expect(result.steps.slice(0, 2).map((s) => s.outcome)).toEqual(['nothing to do: every replica is promoted or being promoted', 'nothing to do: a failover is under way']);
  });

  test('a failing step stops the run, names the step and the command that resumes there; the rerun from it skips the earlier steps\' calls', async () => {
    const aws = new RecordedAws('70k');
    aws.failures.set('FailoverGlobalCluster', Object.assign(new Error('Global cluster orders-catalog is not in a valid state'), { name: 'InvalidGlobalClusterStateFault' }));
    const first = failover(aws);
    const error = await first.outcome.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FailoverStepError);
    expect((error as FailoverStepError).step.id).toBe('failover-documentdb');
    expect((error as FailoverStepError).resume).toBe('npm run failover -- --phase 70k --to us-west-2 --from-step failover-documentdb');
    expect((error as Error).message).toBe(
      'step failover-documentdb failed: Global cluster orders-catalog is not in a valid state\n' +
        'Fix the cause, then resume from it: npm run failover -- --phase 70k --to us-west-2 --from-step failover-documentdb',
    );
    // Nothing after the failed step ran.
    expect(aws.calls.at(-1)).toBe(`${TO} FailoverGlobalCluster`);
    expect(aws.calls.filter((c) => c.endsWith('GlobalReplicationGroups') || c.endsWith('Parameter'))).toEqual([]);

    aws.calls.length = 0;
    const resumed = failover(aws, { fromStep: 'failover-documentdb' });
    const result = await resumed.outcome;
    expect(aws.calls.slice(0, 5)).toEqual([
      `${TO} DescribeStacks`,
      `${TO} DescribeGlobalClusters`,
      `${TO} FailoverGlobalCluster`,
      `${TO} DescribeGlobalReplicationGroups`,
      `${TO} FailoverGlobalReplicationGroup`,
    ]);
    expect(aws.calls).not.toContain(`${TO} PromoteReadReplica`);
    expect(result.steps.map((s) => s.id)).toEqual(['failover-documentdb', 'failover-cache', 'wait-stores', 'point-home']);
    expect(resumed.log).toContainEqual(expect.stringMatching(/^ +1\. \(done before\) \[promote-postgres\]/));
    expect(aws.home.get(TO)).toBe(TO);
  });

  test('stores that never become writable fail the wait step, which is the one to resume from', async () => {
    const aws = new RecordedAws('70k');
    aws.failures.set('FailoverGlobalReplicationGroup', new Error('Throttling: Rate exceeded'));
    const cacheFailed = await failover(aws).outcome.catch((e: unknown) => e);
    expect((cacheFailed as FailoverStepError).step.id).toBe('failover-cache');
    // The first look sees the promotions under way; every later one only the cache that never failed over.
    const error = await failover(aws, { fromStep: 'wait-stores', waitTimeoutMs: 1000 }).outcome.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FailoverStepError);
    expect((error as Error).message).toMatch(/^step wait-stores failed: still waiting for cache \(available, secondary\)\n/);
    expect((error as FailoverStepError).resume).toBe('npm run failover -- --phase 70k --to us-west-2 --from-step wait-stores');
  });

  test('an unknown --from-step names the steps there are, before any call', async () => {
    const aws = new RecordedAws('70k');
    await expect(failover(aws, { fromStep: 'promote-kafka' }).outcome).rejects.toThrow(
      '--from-step promote-kafka: not a step of this failover (promote-postgres, failover-documentdb, failover-cache, wait-stores, point-home)',
    );
    expect(aws.calls).toEqual([]);
  });

  test('a dry run prints every step and what remains afterwards, asks nothing and calls nothing', async () => {
    const aws = new RecordedAws('1m');
    const { outcome, log, confirm } = failover(aws, { dryRun: true });
    expect(await outcome).toEqual({ steps: [], aborted: false });
    expect(aws.calls).toEqual([]);
    expect(aws.asked.size).toBe(0);
    expect(confirm).not.toHaveBeenCalled();
    expect(log.filter((l) => /^ +\d+\. \[/.test(l)).map((l) => l.match(/\[(.+?)\]/)![1])).toEqual([
      'promote-postgres',
      'failover-documentdb',
      'failover-cache',
      'wait-stores',
      'point-home',
    ]);
    expect(log).toContain('Afterwards:');
    expect(log.at(-1)).toBe('Dry run: nothing was changed.');
  });

  test('declining the question changes nothing and calls nothing; --yes does not ask', async () => {
    const aws = new RecordedAws('70k');
    const declined = failover(aws, { confirm: () => Promise.resolve(false) });
    expect(await declined.outcome).toEqual({ steps: [], aborted: true });
    expect(declined.log.at(-1)).toBe('Nothing was changed.');
    expect(aws.calls).toEqual([]);

    const asked = failover(aws);
    await asked.outcome;
    expect(asked.confirm).toHaveBeenCalledWith('Run steps 1-5 now? Writes acknowledged in us-east-1 but not yet replicated are lost.');
    const unasked = failover(new RecordedAws('70k'), { yes: true });
    await unasked.outcome;
    expect(unasked.confirm).not.toHaveBeenCalled();
  });

  test.each([
    ['70k', 'mars-1', '--to mars-1: not a region of phase 70k (us-east-1, us-west-2)'],
    ['70k', 'us-east-1', '--to us-east-1: it is already the primary region of phase 70k'],
    [
      '1m',
      'eu-central-1',
      "--to eu-central-1: the failover order is the spec's region order (us-east-1, us-west-2, eu-central-1); fail over to us-west-2, the first secondary, which every other region can reach",
    ],
  ] as const)('phase %s --to %s fails before any call: %s', async (phase, to, message) => {
    const aws = new RecordedAws(phase);
    const run = failover(aws, { to });
    await expect(run.outcome).rejects.toThrow(message);
    expect(aws.calls).toEqual([]);
    expect(run.confirm).not.toHaveBeenCalled();
  });

  test('a data stack without the FailoverTargets output fails with what to check, before any change', async () => {
    const aws = new RecordedAws('70k');
    aws.outputs = aws.outputs.filter((o) => o.OutputKey !== 'FailoverTargets');
    await expect(failover(aws).outcome).rejects.toThrow('stack orders-usw2-data in us-west-2 has no FailoverTargets output: is the phase deployed there?');
    expect(aws.calls).toEqual([`${TO} DescribeStacks`]);
  });
});

describe('scripts/failover.ts as a process', () => {
  /** Runs the command with no terminal, and with every AWS endpoint pointed at a closed local port. */
  const command = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/failover.ts'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 60_000,
      env: { ...process.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'AKIDNOTREAL', AWS_SECRET_ACCESS_KEY: 'not-real', AWS_EC2_METADATA_DISABLED: 'true' },
    });

  test('--dry-run prints the steps and exits 0; without a terminal and without --yes it exits 2 saying why; --budget prints the rows', () => {
    const dry = command('--phase', '70k', '--to', 'us-west-2', '--dry-run');
    expect([dry.status, dry.stderr]).toEqual([0, '']);
    expect(dry.stdout).toContain('Failover of phase 70k: us-east-1 is lost, us-west-2 becomes the primary region.');
    expect(dry.stdout).toContain('[point-home]');
    expect(dry.stdout).toContain('Dry run: nothing was changed.');

    const noTerminal = command('--phase', '70k', '--to', 'us-west-2');
    expect(noTerminal.status).toBe(2);
    expect(noTerminal.stderr).toBe('failover: no terminal to ask on: pass --yes to act without asking, or --dry-run\n');

    const budget = command('--phase', '1m', '--to', 'us-west-2', '--budget');
    expect(budget.status).toBe(0);
    const lines = budget.stdout.trim().split('\n');
    expect(lines).toHaveLength(9);
    expect(lines[0]).toMatch(/^\* {3}30 s {2}Detection: Route 53 health checks fail/);
    expect(lines.at(-1)).toMatch(/^ {3}290 s {2}until checkouts succeed in the new primary for every user/);
  });
});
