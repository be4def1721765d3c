import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { PhaseSpec, RegionSpec } from '../../phases';
import { HOME_REGION_PARAMETER, primaryRegion } from '../failover/plan';
import { PromotionMachine, promotionLog } from '../failover/state-machine';
import { AlarmTopics } from '../monitoring/alarm-topics';
import { DataStack } from './data-stack';

/** Props for {@link FailoverStack}. */
export interface FailoverStackProps extends StackProps {
  readonly spec: PhaseSpec;
  readonly region: RegionSpec;
  /** This region's data stack: the replicas and members a failover promotes. */
  readonly data: DataStack;
  /** This region's alarm topic, and an existing one given with `-c alarmTopicArn=`. */
  readonly alarmTopic: sns.ITopic;
  readonly externalAlarmTopicArn?: string;
}

/**
 * The failover region's orchestration (lib/failover), in the first secondary region: the phase's
 * home pointer (an SSM parameter every region's services read; CloudFormation sets it to the
 * spec's primary once and never again while its value in the template stays the same, so a
 * failover's value survives later deploys), the Step Functions machine that makes this region the
 * primary, and alarms when the machine fails or times out. After a failover made this region the
 * home (`spec.homeRegion`), the stack keeps the pointer, now naming this region, and no machine.
 */
export class FailoverStack extends Stack {
  readonly machine?: PromotionMachine;

  constructor(scope: Construct, id: string, props: FailoverStackProps) {
    super(scope, id, props);
    const targets = props.data.failoverTargets;
    if (!targets && props.spec.homeRegion !== props.region.region) throw new Error(`FailoverStack ${id}: ${props.region.region} is not a secondary region`);
    new ssm.StringParameter(this, 'HomeRegion', {
      parameterName: HOME_REGION_PARAMETER,
      stringValue: primaryRegion(props.spec),
      description: 'The order platform\'s home (primary) region: every region\'s services read it; a failover (npm run failover, or the orders-failover machine) sets it',
    });
    if (!targets) {
      // The log of the failovers this region's machine ran stays, at the machine's path.
      promotionLog(new Construct(this, 'Promotion'), props.data.keys.key('Logs'));
      return;
    }
    const machine = new PromotionMachine(this, 'Promotion', { spec: props.spec, region: props.region.region, targets, logKey: props.data.keys.key('Logs') });
    this.machine = machine;
    const topics = new AlarmTopics(props.alarmTopic, props.externalAlarmTopicArn ? sns.Topic.fromTopicArn(this, 'ExternalAlarmTopic', props.externalAlarmTopicArn) : undefined);
    for (const [id, metric, what] of [
      ['FailoverFailed', machine.stateMachine.metricFailed({ period: Duration.minutes(1) }), 'failed'],
      ['FailoverTimedOut', machine.stateMachine.metricTimedOut({ period: Duration.minutes(1) }), 'timed out'],
    ] as const) {
      topics.notify(
        new cloudwatch.Alarm(this, id, {
          alarmDescription: `The failover machine orders-failover ${what} in ${props.region.region}: open its execution, fix the failed step's cause, then finish with npm run failover -- --phase ${props.spec.name} --to ${props.region.region} (every step is idempotent).`,
          metric,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
  }
}
