import { Duration, Stack } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { FlagsSpec } from '../../phases';
import { acknowledge } from '../nag';

/** The AppConfig application that holds the flags, by name: the same in every region. */
const FLAGS_APPLICATION = 'order-platform';
/** The AppConfig environment the services read, by name. */
const FLAGS_ENVIRONMENT = 'live';
/** The feature-flag configuration profile, by name. */
const FLAGS_PROFILE = 'flags';

/**
 * Where the services read the flags (their FLAGS_SOURCE): AppConfigData, by the application's,
 * environment's and profile's names, so that the compute stacks, deployed before the flags exist,
 * need none of their IDs.
 */
export const FLAGS_SOURCE = `appconfig:${FLAGS_APPLICATION}/${FLAGS_ENVIRONMENT}/${FLAGS_PROFILE}`;

/** The AppConfigData configurations the services may read: every one of the region's (the IDs are AppConfig's). */
export function flagReaderResource(stack: Stack): string {
  return stack.formatArn({ service: 'appconfig', resource: 'application', resourceName: '*/environment/*/configuration/*' });
}

/** The hosted content of an `AWS.AppConfig.FeatureFlags` profile: every flag with its value. */
export function featureFlagDocument(spec: FlagsSpec): { version: '1'; flags: Record<string, { name: string; description: string }>; values: Record<string, { enabled: boolean }> } {
  const entries = Object.entries(spec.definitions);
  return {
    version: '1',
    flags: Object.fromEntries(entries.map(([key, d]) => [key, { name: d.name, description: d.description }])),
    values: Object.fromEntries(entries.map(([key, d]) => [key, { enabled: d.enabled }])),
  };
}

/** Whether an alarm is one of the roadmap's rollback thresholds (lib/monitoring: its description starts with `Rollback:`). */
export function isRollbackAlarm(alarm: cloudwatch.Alarm): boolean {
  const description = (alarm.node.defaultChild as cloudwatch.CfnAlarm).alarmDescription;
  return typeof description === 'string' && description.startsWith('Rollback:');
}

/** Props for {@link FeatureFlags}. */
export interface FeatureFlagsProps {
  readonly spec: FlagsSpec;
  /** The region's rollback alarms: any of them firing during a rollout rolls it back. */
  readonly rollbackAlarms: readonly cloudwatch.IAlarm[];
}

/**
 * The region's feature flags in AWS AppConfig: an application, its `live` environment, a
 * feature-flag profile whose hosted version is generated from the phase spec's definitions, and
 * the deployment of that version with the spec's gradual rollout. The environment is monitored
 * by one composite alarm over the region's rollback alarms (AppConfig watches at most five), so a
 * rollback threshold crossed during a rollout or its bake time returns every process to the
 * previous values.
 */
export class FeatureFlags extends Construct {
  readonly application: appconfig.Application;
  readonly environment: appconfig.Environment;
  readonly configuration: appconfig.HostedConfiguration;
  readonly strategy: appconfig.DeploymentStrategy;
  /** Fires when any rollback alarm of the region does: the environment's monitor. */
  readonly rollbackAlarm: cloudwatch.CompositeAlarm;

  constructor(scope: Construct, id: string, props: FeatureFlagsProps) {
    super(scope, id);
    const { spec } = props;
    if (props.rollbackAlarms.length === 0) throw new Error('FeatureFlags: no rollback alarm in this region to roll a flag change back on');

    this.rollbackAlarm = new cloudwatch.CompositeAlarm(this, 'Rollback', {
      alarmRule: cloudwatch.AlarmRule.anyOf(...props.rollbackAlarms),
      alarmDescription: 'Any of this region\'s rollback alarms. AppConfig rolls back a feature-flag deployment while it is in ALARM; its members notify the alarm topics.',
    });
    const monitorRole = new iam.Role(this, 'MonitorRole', {
      assumedBy: new iam.ServicePrincipal('appconfig.amazonaws.com'),
      description: 'Lets AppConfig read the state of the rollback alarm during a feature-flag deployment',
      inlinePolicies: {
        DescribeAlarms: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] })] }),
      },
    });
    acknowledge(monitorRole, 'IAM5[Resource::*]', 'cloudwatch:DescribeAlarms takes no resource ARN; AppConfig\'s own policy for alarm monitors is this one action on every alarm, which reveals states only.');

    this.application = new appconfig.Application(this, 'Application', {
      applicationName: FLAGS_APPLICATION,
      description: 'The order services\' feature flags (phases/flags.ts)',
    });
    this.environment = new appconfig.Environment(this, 'Environment', {
      application: this.application,
      environmentName: FLAGS_ENVIRONMENT,
      description: 'What the running services read; rolled back when a rollback alarm fires',
      monitors: [appconfig.Monitor.fromCloudWatchAlarm(this.rollbackAlarm, monitorRole)],
    });
    const r = spec.rollout;
    const growth = {
      growthFactor: r.growthFactorPercent,
      deploymentDuration: Duration.minutes(r.deploymentMinutes),
      finalBakeTime: Duration.minutes(r.finalBakeMinutes),
    };
    this.strategy = new appconfig.DeploymentStrategy(this, 'Rollout', {
      description: `${r.growth.toLowerCase()} from ${r.growthFactorPercent}% over ${r.deploymentMinutes} min, then ${r.finalBakeMinutes} min of bake time`,
      rolloutStrategy: r.growth === 'LINEAR' ? appconfig.RolloutStrategy.linear(growth) : appconfig.RolloutStrategy.exponential(growth),
    });
    this.configuration = new appconfig.HostedConfiguration(this, 'Flags', {
      application: this.application,
      name: FLAGS_PROFILE,
      description: 'Feature flags, generated from phases/flags.ts',
      type: appconfig.ConfigurationType.FEATURE_FLAGS,
      content: appconfig.ConfigurationContent.fromInlineJson(JSON.stringify(featureFlagDocument(spec))),
      deploymentStrategy: this.strategy,
      deployTo: [this.environment],
    });
  }
}
