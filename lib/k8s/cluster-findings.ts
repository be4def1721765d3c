import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { IConstruct } from 'constructs';
import { acknowledge } from '../nag';

/** The logical ID a CloudFormation element of the app gets, read from the element itself. */
function logicalIdOf(element: IConstruct): string {
  if (!CfnElement.isCfnElement(element)) throw new Error(`${element.node.path} is not a CloudFormation element`);
  return Stack.of(element).resolve(element.logicalId) as string;
}

/**
 * Acknowledges the findings on the parts aws-eks-v2 builds for the cluster, each for its reason.
 * The parts are found by their construct paths below the cluster, and the findings that name a
 * logical ID are written from the element found, so that a changed hash cannot leave a finding
 * unmatched.
 */
export function acknowledgeClusterFindings(cluster: eks.Cluster): void {
  acknowledge(
    cluster.node.findChild('Role'),
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]',
    'The EKS control plane\'s service role requires this AWS-managed policy; it is assumed only by eks.amazonaws.com.',
  );
  Validations.of(cluster).acknowledge({
    id: 'CloudFormation-Validate::W9009',
    reason: 'aws-eks-v2 still renders EncryptionConfig.Resources (["secrets"]), which EKS accepts; the property is set by the library, not here.',
  });
  const kubectl = cluster.node.findChild('KubectlProvider');
  for (const policy of [
    'service-role/AWSLambdaBasicExecutionRole',
    'service-role/AWSLambdaVPCAccessExecutionRole',
    'AmazonEC2ContainerRegistryReadOnly',
  ]) {
    acknowledge(
      kubectl,
      `IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`,
      'The kubectl provider that applies the manifests at deploy time runs in the VPC (the cluster endpoint is private) with the AWS-managed policies aws-eks-v2 gives it: logs, VPC network interfaces, image pulls.',
    );
  }
  const handler = kubectl.node.findChild('Handler');
  // The policy is attached only where the partition has ECR Public: a condition on the handler.
  const ecrPublicPolicy = {
    'Fn::If': [
      logicalIdOf(handler.node.findChild('HasEcrPublic')),
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly']] },
      { Ref: 'AWS::NoValue' },
    ],
  };
  acknowledge(
    kubectl,
    `IAM4[Policy::${JSON.stringify(ecrPublicPolicy)}]`,
    'In partitions with ECR Public, the kubectl provider pulls public Helm chart images with this AWS-managed read-only policy.',
  );
  acknowledge(
    kubectl,
    `IAM5[Resource::<${logicalIdOf(handler.node.defaultChild!)}.Arn>:*]`,
    'The custom resource framework invokes every version of its own kubectl handler function, and nothing else.',
  );
  acknowledge(kubectl, 'L1', 'The kubectl handler\'s runtime is fixed by aws-eks-v2 to match the kubectl layer; it is updated with aws-cdk-lib.');
  if (cluster.albController) {
    for (const resource of [
      '*',
      'arn:<AWS::Partition>:ec2:*:*:security-group/*',
      'arn:<AWS::Partition>:elasticloadbalancing:*:*:loadbalancer/app/*/*',
      'arn:<AWS::Partition>:elasticloadbalancing:*:*:loadbalancer/net/*/*',
      'arn:<AWS::Partition>:elasticloadbalancing:*:*:targetgroup/*/*',
      'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener-rule/app/*/*/*',
      'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener-rule/net/*/*/*',
      'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener/app/*/*/*',
      'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener/net/*/*/*',
    ]) {
      acknowledge(
        cluster.albController,
        `IAM5[Resource::${resource}]`,
        'The AWS Load Balancer Controller\'s published IAM policy: it registers pod IPs in target groups and manages the rules it owns, which are created at run time; mutating statements carry the controller\'s tag conditions.',
      );
    }
  }
}
