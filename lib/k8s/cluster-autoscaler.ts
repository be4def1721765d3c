import { Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';
import { podIdentityRole } from './pod-identity';

/** Cluster Autoscaler: the Helm chart release and the image matching Kubernetes 1.35. */
const CLUSTER_AUTOSCALER = { chartVersion: '9.54.0', imageTag: 'v1.35.0' } as const;

/** The autoscaler's namespace and service account. */
const NAMESPACE = 'kube-system';
const SERVICE_ACCOUNT = 'cluster-autoscaler';

/**
 * The Cluster Autoscaler, discovering the managed node groups by the tags EKS puts on them
 * (`k8s.io/cluster-autoscaler/<clusterName>`): its Pod Identity role (`ClusterAutoscalerRole`,
 * `ClusterAutoscalerIdentity` in `scope`) and its Helm chart on the cluster.
 */
export function addClusterAutoscaler(scope: Construct, cluster: eks.Cluster, clusterName: string): void {
  const role = podIdentityRole(scope, 'ClusterAutoscaler', { cluster, namespace: NAMESPACE, serviceAccount: SERVICE_ACCOUNT });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeAutoScalingInstances',
        'autoscaling:DescribeLaunchConfigurations',
        'autoscaling:DescribeScalingActivities',
        'autoscaling:DescribeTags',
        'ec2:DescribeImages',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeLaunchTemplateVersions',
        'ec2:GetInstanceTypesFromInstanceRequirements',
        'eks:DescribeNodegroup',
      ],
      resources: ['*'],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
      resources: ['*'],
      conditions: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: 'owned' } },
    }),
  );
  acknowledge(
    role,
    'IAM5[Resource::*]',
    'Describe calls do not support resource scoping; resizing is limited by condition to Auto Scaling groups tagged as owned by this cluster (the tag EKS puts on its managed node groups).',
  );
  cluster.addHelmChart('ClusterAutoscaler', {
    chart: 'cluster-autoscaler',
    repository: 'https://kubernetes.github.io/autoscaler',
    release: 'cluster-autoscaler',
    version: CLUSTER_AUTOSCALER.chartVersion,
    namespace: NAMESPACE,
    values: {
      cloudProvider: 'aws',
      awsRegion: Stack.of(scope).region,
      autoDiscovery: { clusterName },
      image: { tag: CLUSTER_AUTOSCALER.imageTag },
      rbac: { serviceAccount: { create: true, name: SERVICE_ACCOUNT } },
      extraArgs: { 'balance-similar-node-groups': true, expander: 'least-waste', 'skip-nodes-with-system-pods': false },
      containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    },
  });
}
