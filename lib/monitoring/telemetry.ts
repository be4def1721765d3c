import * as fs from 'fs';
import * as path from 'path';
import { Duration, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as grafana from 'aws-cdk-lib/aws-grafana';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { EventSourcingSpec, MonitoringSpec, SloSpec } from '../../phases';
import { acknowledge } from '../nag';
import { GRAFANA_DIR, grafanaDashboard } from './grafana-dashboard';
import { renderAlertRules } from './prometheus-rules';

/** Props for {@link Telemetry}. */
export interface TelemetryProps {
  readonly spec: MonitoringSpec;
  readonly slo: SloSpec;
  /** Event sourcing, when the phase has it on: its read model's lag alarm. Absent: no read-model rule. */
  readonly eventSourcing?: EventSourcingSpec;
  /** Whether this region hosts the Grafana workspace (one for all regions). */
  readonly grafana: boolean;
  /** Every region of the phase, for the Grafana dashboard's region choice. */
  readonly regions: readonly string[];
  /**
   * Addresses subscribed to the alarm topic, one subscription each; every address confirms it
   * once from the email SNS sends.
   * @default - none
   */
  readonly alarmEmails?: readonly string[];
}

/** The Amazon Managed Grafana version the workspace runs. */
const GRAFANA_VERSION = '10.4';

/**
 * Where a region's metrics and notifications go: the alarm topic (SNS, KMS-encrypted, TLS
 * only), an Amazon Managed Service for Prometheus workspace that every app server's agent and
 * the EKS scraper write to, and, in the region that hosts it, the Amazon Managed Grafana
 * workspace that reads Prometheus and CloudWatch in every region.
 */
export class Telemetry extends Construct {
  /** Alarms and Prometheus alerts notify this topic. */
  readonly topic: sns.Topic;
  readonly workspace: aps.CfnWorkspace;
  readonly grafana?: grafana.CfnWorkspace;

  constructor(scope: Construct, id: string, props: TelemetryProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const key = new kms.Key(this, 'TopicKey', {
      description: 'Order platform: alarm notifications',
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
    for (const service of ['cloudwatch.amazonaws.com', 'aps.amazonaws.com']) {
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
    }
    this.topic = new sns.Topic(this, 'Alarms', {
      displayName: 'Order platform alarms',
      masterKey: key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('aps.amazonaws.com')],
        actions: ['sns:Publish', 'sns:GetTopicAttributes'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    for (const email of props.alarmEmails ?? []) this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    this.workspace = new aps.CfnWorkspace(this, 'Prometheus', {
      alias: 'orders',
      workspaceConfiguration: { retentionPeriodInDays: props.spec.metricsRetentionDays },
      alertManagerDefinition: alertManagerDefinition(this.topic.topicArn, stack.region),
    });

    new aps.CfnRuleGroupsNamespace(this, 'AlertRules', {
      workspace: this.workspace.attrArn,
      name: 'roadmap',
      data: renderAlertRules(props.spec, props.slo, props.eventSourcing),
    });

    if (props.grafana) {
      const role = new iam.Role(this, 'GrafanaRole', {
        assumedBy: new iam.ServicePrincipal('grafana.amazonaws.com'),
        description: 'Amazon Managed Grafana: read Prometheus and CloudWatch',
      });
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['aps:ListWorkspaces', 'aps:DescribeWorkspace', 'aps:QueryMetrics', 'aps:GetLabels', 'aps:GetSeries', 'aps:GetMetricMetadata'],
          resources: ['*'],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [
            'cloudwatch:DescribeAlarmsForMetric',
            'cloudwatch:DescribeAlarmHistory',
            'cloudwatch:DescribeAlarms',
            'cloudwatch:ListMetrics',
            'cloudwatch:GetMetricData',
            'cloudwatch:GetInsightRuleReport',
            'ec2:DescribeRegions',
            'tag:GetResources',
          ],
          resources: ['*'],
        }),
      );
      acknowledge(
        role,
        'IAM5[Resource::*]',
        'Grafana lists and queries every Prometheus workspace and CloudWatch metric of the account across regions; these read-only List/Describe/Query actions do not support resource-level scoping.',
      );
      this.grafana = new grafana.CfnWorkspace(this, 'Grafana', {
        name: 'orders',
        description: 'Order platform dashboards: application, database, infrastructure, business',
        accountAccessType: 'CURRENT_ACCOUNT',
        authenticationProviders: ['AWS_SSO'],
        permissionType: 'CUSTOMER_MANAGED',
        roleArn: role.roleArn,
        dataSources: ['PROMETHEUS', 'CLOUDWATCH'],
        notificationDestinations: ['SNS'],
        grafanaVersion: GRAFANA_VERSION,
      });
      // Grafana has no CloudFormation resource for dashboards: the JSON is written beside the
      // templates for import (docs/compute.md).
      const outdir = Stage.of(this)?.outdir;
      if (outdir) {
        fs.mkdirSync(path.join(outdir, GRAFANA_DIR), { recursive: true });
        fs.writeFileSync(
          path.join(outdir, GRAFANA_DIR, 'order-platform.json'),
          `${JSON.stringify(grafanaDashboard(props.spec, props.slo, props.regions), undefined, 2)}\n`,
        );
      }
    }
  }

  /** The remote-write endpoint of the workspace. */
  get remoteWriteUrl(): string {
    return `${this.workspace.attrPrometheusEndpoint}api/v1/remote_write`;
  }

  /** Lets a role write samples to the workspace. */
  grantRemoteWrite(role: iam.IRole): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['aps:RemoteWrite'], resources: [this.workspace.attrArn] }));
  }
}

/** Alertmanager routes every alert to the SNS topic. */
function alertManagerDefinition(topicArn: string, region: string): string {
  return `alertmanager_config: |
  route:
    receiver: sns
    group_by: [alertname, service]
    group_wait: 30s
    group_interval: 5m
    repeat_interval: 4h
  receivers:
    - name: sns
      sns_configs:
        - topic_arn: ${topicArn}
          sigv4:
            region: ${region}
          attributes:
            source: prometheus
`;
}
