import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { MonitoringSpec, SloSpec } from '../../phases';
import { AlarmTopics } from './alarm-topics';

/** Namespace of the business metrics the services publish to CloudWatch. */
export const BUSINESS_NAMESPACE = 'OrderPlatform/Business';

/**
 * The services' count of distinct visitors over the last 24 hours, published to CloudWatch
 * (namespace {@link BUSINESS_NAMESPACE}, no dimensions) every minute by the process hosting
 * analytics (services/shared/business-metrics.ts).
 */
export const DAILY_USERS_METRIC = 'DailyActiveUsers';

/** A target group whose emptiness means the service is down. */
export interface WatchedTargetGroup {
  /** Literal ID used in the alarm's construct ID, e.g. `Monolith`, `OrderEc2`, `OrderEks`. */
  readonly id: string;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The load balancer the group is behind (the metric's LoadBalancer dimension). */
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
}

/**
 * The smallest healthy-target count of a group over each minute. The dimensions are the two
 * resources' own attributes, so that another stack reads them as plain outputs.
 */
export function healthyHostCount(watched: WatchedTargetGroup, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/ApplicationELB',
    metricName: 'HealthyHostCount',
    dimensionsMap: { LoadBalancer: watched.loadBalancer.loadBalancerFullName, TargetGroup: watched.targetGroup.targetGroupFullName },
    statistic: 'Minimum',
    period: Duration.minutes(1),
    ...options,
  });
}

/** What the alarms watch in one region. */
export interface WatchedResources {
  /** The public load balancer of the monolith phases. */
  readonly publicLoadBalancer?: elbv2.IApplicationLoadBalancer;
  /** The API Gateway HTTP API of the services phases. */
  readonly api?: apigw.IHttpApi;
  /** Target groups that must never be empty. */
  readonly targetGroups: readonly WatchedTargetGroup[];
  /** PostgreSQL primaries (by spec ID) and their read replicas; only in the region holding them. */
  readonly databases: ReadonlyMap<string, { readonly instance: rds.IDatabaseInstance; readonly replicas: readonly rds.IDatabaseInstance[] }>;
  /** In a secondary region: the cross-region replica of each PostgreSQL primary, by the primary's spec ID. */
  readonly crossRegionReplicas?: ReadonlyMap<string, rds.IDatabaseInstance>;
}

/** Props for {@link RoadmapAlarms}. */
export interface RoadmapAlarmsProps {
  readonly spec: MonitoringSpec;
  readonly slo: SloSpec;
  /** The topics every alarm notifies. */
  readonly topics: AlarmTopics;
  readonly watched: WatchedResources;
  /** Whether this region publishes the users metric (the primary region). */
  readonly capacity: boolean;
}

/**
 * The roadmap's rollback thresholds (error rate, response time against the baseline,
 * replication lag, unavailability), its response-time target (the phase's checkout p99) and
 * next-phase triggers (database CPU at peak, users at a share of the phase's capacity) as
 * CloudWatch alarms that notify the alarm topics on alarm and on recovery.
 */
export class RoadmapAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, private readonly props: RoadmapAlarmsProps) {
    super(scope, id);
    const { spec, watched } = props;
    const minute = Duration.minutes(1);
    const responseLimitMs = spec.baselineResponseMs * spec.responseTimeFactor;
    const rollback = 'Roll back: deploy the previous step of the move (docs/compute.md, Rollback), stop further deploys, then investigate.';
    const plan = 'Plan the next phase (docs/compute.md): this is one of the roadmap\'s triggers.';
    const targetMs = props.slo.checkoutResponseMs;
    const targetMinutes = spec.responseTargetMinutes;
    const targetAdvice =
      `Not a rollback by itself (that is ${spec.responseTimeFactor}x the baseline): find the slow path in the dashboard and Grafana (p99 per service), ` +
      'then check database CPU, connections and the cache; if it lasts, scale the slow service or plan the next phase.';
    const unavailableMinutes = spec.unavailableSeconds / 60;

    if (watched.publicLoadBalancer) {
      const m = watched.publicLoadBalancer.metrics;
      const errors = new cloudwatch.MathExpression({
        label: 'Error rate (%)',
        expression: '100 * (target5xx + elb5xx) / MAX([requests, 1])',
        usingMetrics: {
          target5xx: m.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: 'Sum', period: minute }),
          elb5xx: m.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { statistic: 'Sum', period: minute }),
          requests: m.requestCount({ statistic: 'Sum', period: minute }),
        },
        period: minute,
      });
      this.add('FrontDoorErrorRate', errors, spec.errorRatePercent, 5, 3, `Rollback: more than ${spec.errorRatePercent}% of requests fail (public load balancer). ${rollback}`);
      this.add(
        'FrontDoorResponseTime',
        m.targetResponseTime({ statistic: 'p99', period: minute }),
        responseLimitMs / 1000,
        5,
        3,
        `Rollback: p99 response time above ${spec.responseTimeFactor}x the ${spec.baselineResponseMs} ms baseline (public load balancer, seconds). ${rollback}`,
      );
      // Not `...ResponseTime`: that name is the rollback alarm's.
      this.add(
        'FrontDoorLatencyTarget',
        m.targetResponseTime({ statistic: 'p99', period: minute }),
        targetMs / 1000,
        targetMinutes,
        targetMinutes,
        `Target: p99 response time above the phase's ${targetMs} ms checkout target for ${targetMinutes} minutes (public load balancer, seconds). ${targetAdvice}`,
      );
    }

    if (watched.api) {
      const api = watched.api;
      const errors = new cloudwatch.MathExpression({
        label: 'Error rate (%)',
        expression: '100 * errors / MAX([requests, 1])',
        usingMetrics: {
          errors: api.metricServerError({ statistic: 'Sum', period: minute }),
          requests: api.metricCount({ statistic: 'Sum', period: minute }),
        },
        period: minute,
      });
      this.add('ApiErrorRate', errors, spec.errorRatePercent, 5, 3, `Rollback: more than ${spec.errorRatePercent}% of API requests fail. ${rollback}`);
      this.add(
        'ApiResponseTime',
        api.metricLatency({ statistic: 'p99', period: minute }),
        responseLimitMs,
        5,
        3,
        `Rollback: API p99 response time above ${spec.responseTimeFactor}x the ${spec.baselineResponseMs} ms baseline (milliseconds). ${rollback}`,
      );
      this.add(
        'ApiLatencyTarget',
        api.metricLatency({ statistic: 'p99', period: minute }),
        targetMs,
        targetMinutes,
        targetMinutes,
        `Target: API p99 response time above the phase's ${targetMs} ms checkout target for ${targetMinutes} minutes (milliseconds). ${targetAdvice}`,
      );
    }

    for (const group of watched.targetGroups) {
      const tgId = group.id;
      const healthy = healthyHostCount(group);
      const alarm = new cloudwatch.Alarm(this, `${tgId}Unavailable`, {
        alarmDescription: `Rollback: ${tgId} has had no healthy target for ${unavailableMinutes} minute(s). ${rollback}`,
        metric: healthy,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: unavailableMinutes,
        datapointsToAlarm: unavailableMinutes,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      this.notify(alarm);
    }

    for (const [dbId, db] of watched.databases) {
      this.add(
        `${dbId}Cpu`,
        db.instance.metricCPUUtilization({ statistic: 'Average', period: Duration.minutes(5) }),
        spec.databaseCpuPercent,
        3,
        3,
        `Next phase: database ${dbId} CPU above ${spec.databaseCpuPercent}% for 15 minutes. ${plan}`,
      );
      db.replicas.forEach((replica, n) => {
        this.add(
          `${dbId}Replica${n}Lag`,
          replica.metric('ReplicaLag', { statistic: 'Maximum', period: minute }),
          spec.replicationLagSeconds,
          2,
          2,
          `Rollback: read replica ${n} of ${dbId} lags more than ${spec.replicationLagSeconds} s: reads from it are stale. ${rollback}`,
        );
      });
    }

    for (const [dbId, replica] of watched.crossRegionReplicas ?? []) {
      // Replication to another region is asynchronous: its lag is what a regional failover loses.
      this.add(
        `${dbId}CrossRegionLag`,
        replica.metric('ReplicaLag', { statistic: 'Maximum', period: minute }),
        spec.replicationLagSeconds,
        2,
        2,
        `Rollback: the cross-region replica of ${dbId} lags more than ${spec.replicationLagSeconds} s (what a regional failover would lose). Hold failovers. ${rollback}`,
      );
      this.add(
        `${dbId}ReplicaCpu`,
        replica.metricCPUUtilization({ statistic: 'Average', period: Duration.minutes(5) }),
        spec.databaseCpuPercent,
        3,
        3,
        `Next phase: the cross-region replica of ${dbId}, which serves this region's reads, above ${spec.databaseCpuPercent}% CPU for 15 minutes. ${plan}`,
      );
    }

    if (props.capacity) {
      const users = new cloudwatch.Metric({
        namespace: BUSINESS_NAMESPACE,
        metricName: DAILY_USERS_METRIC,
        statistic: 'Maximum',
        period: Duration.hours(1),
      });
      this.add(
        'CapacityTrigger',
        users,
        Math.round((props.slo.dailyUsers * spec.capacityTriggerPercent) / 100),
        3,
        3,
        `Next phase: daily users above ${spec.capacityTriggerPercent}% of the phase's ${props.slo.dailyUsers} for 3 hours. ${plan}`,
        cloudwatch.TreatMissingData.NOT_BREACHING,
      );
    }
  }

  private add(
    id: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    evaluationPeriods: number,
    datapointsToAlarm: number,
    description: string,
    missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm,
      treatMissingData: missing,
    });
    this.notify(alarm);
  }

  private notify(alarm: cloudwatch.Alarm): void {
    this.props.topics.notify(alarm);
    this.alarms.push(alarm);
  }
}
