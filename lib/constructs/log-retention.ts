import { Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { acknowledge } from '../nag';

/**
 * How long the logs AWS services write for the data stores and the cluster are kept (RDS
 * PostgreSQL and upgrade logs, DocumentDB audit and profiler logs, EKS control-plane logs). Those
 * services create their log groups themselves, never expiring, so the platform sets the retention
 * through aws-cdk-lib's log-retention handler, which also works on groups that already exist.
 */
export const SERVICE_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

/** The singleton function aws-cdk-lib adds to a stack that sets a log group's retention. */
const HANDLER_ID = 'LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a';

/** Acknowledges, on the stack's log-retention handler (if it has one), what it needs and why. */
export function acknowledgeLogRetentionHandler(scope: IConstruct): void {
  const handler = Stack.of(scope).node.tryFindChild(HANDLER_ID);
  if (!handler) return;
  acknowledge(
    handler,
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'aws-cdk-lib\'s log-retention handler writes only its own logs with this AWS-managed policy; it runs at deploy time.',
  );
  acknowledge(
    handler,
    'IAM5[Resource::*]',
    'The log-retention handler sets the retention of log groups that AWS services create, by name, at deploy time; their ARNs are not known to the template.',
  );
}
