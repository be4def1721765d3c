import * as eksl1 from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Where a {@link podIdentityRole} is assumed: one Kubernetes service account of one cluster. */
export interface PodIdentityTarget {
  readonly cluster: eks.ICluster;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/**
 * An IAM role that one Kubernetes service account assumes through EKS Pod Identity: the role
 * (`<id>Role`) and its association (`<id>Identity`), both in `scope`. The caller grants the role
 * what the pods need.
 */
export function podIdentityRole(scope: Construct, id: string, target: PodIdentityTarget): iam.Role {
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com').withSessionTags(),
    description: `Pod Identity role of ${target.namespace}/${target.serviceAccount}`,
  });
  new eksl1.CfnPodIdentityAssociation(scope, `${id}Identity`, {
    clusterName: target.cluster.clusterName,
    namespace: target.namespace,
    serviceAccount: target.serviceAccount,
    roleArn: role.roleArn,
  });
  return role;
}
