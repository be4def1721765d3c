import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { PhaseSpec, RegionName } from '../../phases';
import { acknowledge } from '../nag';
import { HOME_REGION_PARAMETER, failoverPlan } from './plan';
import { FailoverTargets } from './targets';

/** Props for {@link PromotionMachine}. */
export interface PromotionMachineProps {
  readonly spec: PhaseSpec;
  /** This (secondary) region. */
  readonly region: RegionName;
  readonly targets: FailoverTargets;
  readonly logKey: kms.IKey;
}

/** Seconds between state checks while a store is promoted. */
const POLL = Duration.seconds(20);

/**
 * The failover as AWS runs it, in the failover region (the first secondary, so that it runs
 * while the primary is lost): the same steps as `npm run failover` (lib/failover/plan.ts). It
 * promotes the PostgreSQL replicas, fails the DocumentDB global cluster and the Global Datastore
 * over (in parallel, each waiting until it is writable here) and then sets the phase's home
 * pointer, which every region's services read. Started with any input; every step tolerates
 * having run before.
 */
export class PromotionMachine extends Construct {
  readonly stateMachine!: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: PromotionMachineProps) {
    super(scope, id);
    const { targets, region } = props;
    const stack = Stack.of(this);
    // The command's plan is the reference (and refuses a region that is not the failover region).
    const plan = failoverPlan(props.spec, region);
    const parameterArn = stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: HOME_REGION_PARAMETER.slice(1) });
    const backupDays = Math.max(...props.spec.postgres.instances.map((i) => i.backupRetentionDays));
    const instanceArns = targets.postgres.map((db) => stack.formatArn({ service: 'rds', resource: 'db', resourceName: db, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
    // Global clusters and Global Datastores have no region in their ARNs.
    const globalClusterArn = stack.formatArn({ service: 'rds', region: '', resource: 'global-cluster', resourceName: targets.documentDb.globalClusterIdentifier, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const globalCacheArn = stack.formatArn({ service: 'elasticache', region: '', resource: 'globalreplicationgroup', resourceName: targets.cache.globalReplicationGroupId, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const cacheArn = stack.formatArn({ service: 'elasticache', resource: 'replicationgroup', resourceName: targets.cache.replicationGroupId, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    const pointHome = (sid: string, home: string) =>
      call(sid, 'ssm:putParameter', { Name: HOME_REGION_PARAMETER, Value: home, Type: 'String', Overwrite: true }, [parameterArn], {
        comment: `Point this region's services at the home region (${HOME_REGION_PARAMETER})`,
      });

    /** One AWS SDK call; its answer is kept at `$.state` through `select`, or dropped. */
    const call = (sid: string, action: string, parameters: Record<string, unknown>, resources: string[], o: { comment?: string; select?: Record<string, string>; iamAction?: string } = {}) => {
      const [service, name] = action.split(':');
      return new tasks.CallAwsService(this, sid, {
        comment: o.comment,
        service,
        action: name,
        iamAction: o.iamAction,
        parameters,
        iamResources: resources,
        ...(o.select ? { resultSelector: o.select, resultPath: '$.state' } : { resultPath: sfn.JsonPath.DISCARD }),
      });
    };

    /** Starts an action (its error kept, not thrown: it may have run before), then polls until `done`. */
    const startThenWait = (name: string, start: tasks.CallAwsService, describe: tasks.CallAwsService, done: sfn.Condition) => {
      const wait = new sfn.Wait(this, `${name}Wait`, { time: sfn.WaitTime.duration(POLL) });
      const finished = new sfn.Pass(this, `${name}Done`);
      // A start that AWS refuses may have run before (the describe loop then sees it done); its
      // error stays in the execution's history. Transient errors are retried first.
      start.addRetry({ errors: ['States.ALL'], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });
      start.addCatch(wait, { errors: ['States.ALL'], resultPath: '$.startError' });
      describe.addRetry({ errors: ['States.ALL'], maxAttempts: 5, interval: Duration.seconds(5), backoffRate: 2 });
      return start
        .next(wait)
        .next(describe)
        .next(new sfn.Choice(this, `${name}Writable`).when(done, finished).otherwise(wait));
    };

    const promoteOne = startThenWait(
      'Postgres',
      call('PromoteReplica', 'rds:promoteReadReplica', { DbInstanceIdentifier: sfn.JsonPath.stringAt('$.id'), BackupRetentionPeriod: backupDays }, instanceArns, { comment: plan[0].title }),
      call('DescribeReplica', 'rds:describeDBInstances', { DbInstanceIdentifier: sfn.JsonPath.stringAt('$.id') }, instanceArns, { select: { 'instance.$': '$.DbInstances[0]' } }),
      sfn.Condition.and(
        sfn.Condition.stringEquals('$.state.instance.DbInstanceStatus', 'available'),
        sfn.Condition.isNotPresent('$.state.instance.ReadReplicaSourceDBInstanceIdentifier'),
      ),
    );
    const postgres = new sfn.Map(this, 'PromotePostgres', { itemsPath: '$.postgres', maxConcurrency: 0, resultPath: sfn.JsonPath.DISCARD });
    postgres.itemProcessor(promoteOne);

    const documentDb = startThenWait(
      'DocumentDb',
      call(
        'FailoverDocumentDb',
        'docdb:failoverGlobalCluster',
        { GlobalClusterIdentifier: targets.documentDb.globalClusterIdentifier, TargetDbClusterIdentifier: targets.documentDb.clusterArn, AllowDataLoss: true },
        [globalClusterArn, targets.documentDb.clusterArn],
        { comment: plan[1].title, iamAction: 'rds:FailoverGlobalCluster' },
      ),
      call('DescribeDocumentDb', 'docdb:describeGlobalClusters', { GlobalClusterIdentifier: targets.documentDb.globalClusterIdentifier }, [globalClusterArn], {
        iamAction: 'rds:DescribeGlobalClusters',
        select: { 'writers.$': '$.GlobalClusters[0].GlobalClusterMembers[?(@.IsWriter == true)].DbClusterArn' },
      }),
      // This region's cluster is the writer (the group's own status may stay degraded while a member is lost).
      sfn.Condition.and(sfn.Condition.isPresent('$.state.writers[0]'), sfn.Condition.stringEquals('$.state.writers[0]', targets.documentDb.clusterArn)),
    );

    const cache = startThenWait(
      'Cache',
      call(
        'FailoverCache',
        'elasticache:failoverGlobalReplicationGroup',
        { GlobalReplicationGroupId: targets.cache.globalReplicationGroupId, PrimaryRegion: region, PrimaryReplicationGroupId: targets.cache.replicationGroupId },
        [globalCacheArn, cacheArn],
        { comment: plan[2].title },
      ),
      call('DescribeCache', 'elasticache:describeGlobalReplicationGroups', { GlobalReplicationGroupId: targets.cache.globalReplicationGroupId, ShowMemberInfo: true }, [globalCacheArn], {
        select: { 'primaries.$': "$.GlobalReplicationGroups[0].Members[?(@.Role == 'primary' || @.Role == 'PRIMARY')].ReplicationGroupId" },
      }),
      sfn.Condition.and(sfn.Condition.isPresent('$.state.primaries[0]'), sfn.Condition.stringEquals('$.state.primaries[0]', targets.cache.replicationGroupId)),
    );

    const stores = new sfn.Parallel(this, 'PromoteStores', { comment: plan[3].title, resultPath: sfn.JsonPath.DISCARD })
      .branch(new sfn.Pass(this, 'PostgresReplicas', { parameters: { postgres: targets.postgres.map((id) => ({ id })) } }).next(postgres))
      .branch(documentDb)
      .branch(cache);
    this.stateMachine = this.machine(props, stores.next(pointHome('PointHome', region)));
  }

  private machine(props: PromotionMachineProps, definition: sfn.IChainable): sfn.StateMachine {
    const log = promotionLog(this, props.logKey);
    const machine = new sfn.StateMachine(this, 'Resource', {
      stateMachineName: 'orders-failover',
      comment: `Make this region (${props.region}) the order platform's primary region: see README, GeoDNS and failover`,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.minutes(45),
      tracingEnabled: true,
      logs: { destination: log, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    acknowledge(
      machine,
      'IAM5[Resource::*]',
      'X-Ray tracing and log delivery (xray:PutTraceSegments, logs:CreateLogDelivery and the like) take no resource-level permissions; every store the machine acts on is named by its ARN.',
    );
    return machine;
  }
}

/** The machine's execution log, under `scope`; it outlives the machine (a failover's history). */
export function promotionLog(scope: Construct, key: kms.IKey): logs.LogGroup {
  return new logs.LogGroup(scope, 'Log', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: key });
}
