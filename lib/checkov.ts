import { Aspects, CfnResource, IAspect } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * checkov (an independent scanner, run over every phase's templates in the tests) reads skips from
 * a resource's CloudFormation metadata: `Metadata.checkov.skip[] = { id, comment }`. Each skip here
 * carries its own reason, beside the decision that causes the finding, like the cdk-nag
 * acknowledgements in lib/nag.ts.
 */
export function checkovSkip(scope: IConstruct, check: string, reason: string): void {
  const resource = CfnResource.isCfnResource(scope) ? scope : scope.node.defaultChild;
  if (!resource || !CfnResource.isCfnResource(resource)) throw new Error(`checkovSkip(${check}): ${scope.node.path} is not a CloudFormation resource`);
  const existing = (resource.getMetadata('checkov') as { skip?: { id: string; comment: string }[] } | undefined)?.skip ?? [];
  if (existing.some((s) => s.id === check)) return;
  resource.addMetadata('checkov', { skip: [...existing, { id: check, comment: reason }] });
}

/** Findings on resources aws-cdk-lib makes for itself (custom-resource handlers and their logs). */
interface LibraryRule {
  readonly type: string;
  /** Matches the construct path of the resources aws-cdk-lib owns. */
  readonly path: RegExp;
  readonly checks: Readonly<Record<string, string>>;
}

/** The custom-resource handlers aws-cdk-lib adds: AwsCustomResource, log retention, CfnUtils, the default-SG restriction, the EKS kubectl provider. */
const HANDLER = /(AWS679f53fac002430cb0da5b7982bd2287|LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a|AWSCDKCfnUtilsProvider|Custom::VpcRestrictDefaultSGCustomResourceProvider|KubectlProvider)/;

const LIBRARY_RULES: readonly LibraryRule[] = [
  {
    type: 'AWS::Lambda::Function',
    path: HANDLER,
    checks: {
      CKV_AWS_115:
        'An aws-cdk-lib custom-resource handler runs only while CloudFormation deploys, one call per resource: a reserved concurrency would only risk throttling a deployment.',
      CKV_AWS_116: 'CloudFormation invokes this custom-resource handler synchronously and fails the deployment on an error: there is no lost event to keep in a dead-letter queue.',
      CKV_AWS_117:
        'This aws-cdk-lib handler calls only AWS APIs (the kubectl handler, which reaches the private cluster endpoint, does run in the VPC); nothing in the VPC is reachable from it.',
      CKV_AWS_173: 'The handler\'s environment holds configuration only (no secret); Lambda encrypts it at rest with its service key.',
    },
  },
  {
    type: 'AWS::Logs::LogGroup',
    path: HANDLER,
    checks: {
      CKV_AWS_158: 'The log group of an aws-cdk-lib custom-resource handler holds deploy-time call logs, no customer data; CloudWatch Logs encrypts it at rest with its service key.',
    },
  },
  {
    type: 'AWS::IAM::Policy',
    path: /LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a/,
    checks: {
      CKV_AWS_111:
        'aws-cdk-lib\'s log-retention handler sets the retention of log groups that AWS services create at run time (RDS, DocumentDB, EKS), by name: their ARNs are not known to the template.',
    },
  },
  {
    type: 'AWS::IAM::Policy',
    path: /AlbController/,
    checks: {
      CKV_AWS_111:
        'The AWS Load Balancer Controller\'s published policy: it creates and tags target groups, rules and security groups at run time, whose ARNs are unknown in advance; mutating statements carry the controller\'s tag conditions.',
    },
  },
];

/** Adds the {@link LIBRARY_RULES} skips to the resources aws-cdk-lib makes. */
class LibraryResourceSkips implements IAspect {
  visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) return;
    for (const rule of LIBRARY_RULES) {
      if (node.cfnResourceType !== rule.type || !rule.path.test(node.node.path)) continue;
      for (const [check, reason] of Object.entries(rule.checks)) checkovSkip(node, check, reason);
    }
  }
}

/** Applies the library skips to every stack of the app. */
export function addCheckovSkips(scope: IConstruct): void {
  Aspects.of(scope).add(new LibraryResourceSkips());
}
