import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';

/**
 * The topics a region's alarms notify on alarm and on recovery: the region's own alarm topic
 * (telemetry stack), and an existing topic of the region given with `-c alarmTopicArn=`.
 * SNS cannot subscribe a topic to a topic, so the external topic is a second alarm action.
 */
export class AlarmTopics {
  readonly topics: readonly sns.ITopic[];

  constructor(own: sns.ITopic, external?: sns.ITopic) {
    this.topics = external ? [own, external] : [own];
  }

  /** Makes the alarm notify every topic when it fires and when it recovers. */
  notify(alarm: cloudwatch.Alarm): void {
    for (const topic of this.topics) {
      const action = new actions.SnsAction(topic);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}
