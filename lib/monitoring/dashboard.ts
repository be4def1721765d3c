import { Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { BUSINESS_NAMESPACE, DAILY_USERS_METRIC, WatchedResources, healthyHostCount } from './alarms';

/** Props for {@link PlatformDashboard}. */
export interface PlatformDashboardProps {
  readonly watched: WatchedResources;
  /** The EC2 groups of the region, by literal ID. */
  readonly fleets: ReadonlyMap<string, autoscaling.AutoScalingGroup>;
  /** Alarms shown at the top. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The data stores' alarms, shown below them. */
  readonly dataStoreAlarms?: readonly cloudwatch.IAlarm[];
  /** The region, in the dashboard's name. */
  readonly regionCode: string;
}

/**
 * One CloudWatch dashboard per region with the roadmap's four groups of metrics: application
 * (request rate, error rate, p50/p95/p99), database (CPU, connections, replication lag,
 * storage), infrastructure (CPU, healthy hosts, network) and business (orders per second,
 * conversion, revenue, daily users). Grafana shows the same from Prometheus, per service.
 */
export class PlatformDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PlatformDashboardProps) {
    super(scope, id);
    const { watched } = props;
    const period = Duration.minutes(1);
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: `orders-${props.regionCode}`,
      defaultInterval: Duration.hours(6),
    });
    const header = (text: string) => new cloudwatch.TextWidget({ markdown: `## ${text}`, width: 24, height: 1 });
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 12, height: 6 });

    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Rollback thresholds and next-phase triggers', alarms: [...props.alarms], width: 24, height: 4 }));
    if (props.dataStoreAlarms?.length) {
      this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Data stores', alarms: [...props.dataStoreAlarms], width: 24, height: 6 }));
    }

    const app: cloudwatch.IWidget[] = [];
    if (watched.publicLoadBalancer) {
      const m = watched.publicLoadBalancer.metrics;
      app.push(
        graph('Front door: requests and 5xx', [m.requestCount({ period, statistic: 'Sum' })], [m.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: 'Sum' })]),
        graph('Front door: response time (s)', ['p50', 'p95', 'p99'].map((statistic) => m.targetResponseTime({ period, statistic }))),
      );
    }
    if (watched.api) {
      app.push(
        graph('API: requests and 5xx', [watched.api.metricCount({ period, statistic: 'Sum' })], [watched.api.metricServerError({ period, statistic: 'Sum' })]),
        graph('API: latency (ms)', ['p50', 'p95', 'p99'].map((statistic) => watched.api!.metricLatency({ period, statistic }))),
      );
    }
    this.dashboard.addWidgets(header('Application'), ...app);

    const db: cloudwatch.IWidget[] = [];
    if (watched.databases.size > 0) {
      const all = [...watched.databases.entries()];
      db.push(
        graph('CPU (%)', all.map(([, d]) => d.instance.metricCPUUtilization({ period: Duration.minutes(5) }))),
        graph('Connections', all.map(([, d]) => d.instance.metricDatabaseConnections({ period: Duration.minutes(5) }))),
        graph('Replica lag (s)', all.flatMap(([, d]) => d.replicas.map((r) => r.metric('ReplicaLag', { period, statistic: 'Maximum' })))),
        graph('Free storage (bytes)', all.map(([, d]) => d.instance.metricFreeStorageSpace({ period: Duration.minutes(5) }))),
      );
      this.dashboard.addWidgets(header('Database'), ...db);
    }

    const infra: cloudwatch.IWidget[] = [];
    if (props.fleets.size > 0) {
      const cpu = [...props.fleets.entries()].map(
        ([name, group]) =>
          new cloudwatch.Metric({
            namespace: 'AWS/EC2',
            metricName: 'CPUUtilization',
            dimensionsMap: { AutoScalingGroupName: group.autoScalingGroupName },
            statistic: 'Average',
            period,
            label: name,
          }),
      );
      infra.push(graph('App servers: CPU (%)', cpu));
    }
    if (watched.targetGroups.length > 0) {
      infra.push(graph('Healthy targets', watched.targetGroups.map((t) => healthyHostCount(t, { label: t.id }))));
    }
    if (infra.length > 0) this.dashboard.addWidgets(header('Infrastructure'), ...infra);

    const business = (metricName: string, statistic = 'Sum') => new cloudwatch.Metric({ namespace: BUSINESS_NAMESPACE, metricName, statistic, period });
    this.dashboard.addWidgets(
      header('Business'),
      graph('Orders and checkout attempts per minute', [business('OrdersPlaced'), business('CheckoutAttempts')]),
      graph('Revenue (cents per minute) and daily users', [business('RevenueCents')], [business(DAILY_USERS_METRIC, 'Maximum')]),
    );
  }
}
