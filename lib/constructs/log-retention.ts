import { CfnResource, Reference, Stack, Tokenization } from 'aws-cdk-lib';
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

/**
 * The handler a log retention's custom resource invokes: the construct holding the function its
 * ServiceToken points at (a singleton aws-cdk-lib adds at the stack's root).
 */
function logRetentionHandler(retention: logs.LogRetention): IConstruct {
  const resource = retention.node.defaultChild;
  if (!resource || !CfnResource.isCfnResource(resource)) throw new Error(`${retention.node.path}: a log retention without its custom resource`);
  // The properties as given to the resource: aws-cdk-lib keeps them for rendering only.
  const serviceToken: unknown = (resource as unknown as { readonly _cfnProperties: { readonly ServiceToken?: unknown } })._cfnProperties.ServiceToken;
  const token = typeof serviceToken === 'string' ? Tokenization.reverseString(serviceToken).firstToken : serviceToken;
  const handler = Reference.isReference(token) ? token.target.node.scope : undefined;
  if (!handler) throw new Error(`${retention.node.path}: its ServiceToken names no function of this app`);
  return handler;
}

/** Acknowledges, on the log-retention handler of the stack (if it has one), what it needs and why. */
export function acknowledgeLogRetentionHandler(scope: IConstruct): void {
  const retentions = Stack.of(scope)
    .node.findAll()
    .filter((c): c is logs.LogRetention => c instanceof logs.LogRetention);
  for (const handler of new Set(retentions.map(logRetentionHandler))) {
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
}
