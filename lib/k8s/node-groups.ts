import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { NodeGroupSpec } from '../../phases';
import { acknowledge } from '../nag';
import { CAPACITY_LABEL, SPOT_TAINT, capacityValue } from './spot';

/**
 * The spec's managed node groups on Graviton in the private subnets: each with a launch template
 * (`<group>LaunchTemplate` in `scope`: IMDSv2 only, an encrypted gp3 root volume) that puts the
 * nodes in both the cluster security group and `appTier`, so that the data stores admit pods.
 */
export function addNodeGroups(scope: Construct, cluster: eks.Cluster, groups: readonly NodeGroupSpec[], appTier: ec2.ISecurityGroup): eks.Nodegroup[] {
  return groups.map((group) => {
    const template = new ec2.LaunchTemplate(scope, `${group.id}LaunchTemplate`, {
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(group.diskGiB, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true, deleteOnTermination: true }),
        },
      ],
    });
    // Giving security groups in a launch template replaces the cluster group EKS would add,
    // so both go in: the cluster group (control plane, nodes) and the app tier (data stores).
    (template.node.defaultChild as ec2.CfnLaunchTemplate).addPropertyOverride('LaunchTemplateData.SecurityGroupIds', [
      cluster.clusterSecurityGroupId,
      appTier.securityGroupId,
    ]);
    const nodegroup = cluster.addNodegroupCapacity(group.id, {
      amiType: eks.NodegroupAmiType.AL2023_ARM_64_STANDARD,
      instanceTypes: group.instanceTypes.map((t) => new ec2.InstanceType(t)),
      capacityType: group.capacityType === 'SPOT' ? eks.CapacityType.SPOT : eks.CapacityType.ON_DEMAND,
      minSize: group.minNodes,
      desiredSize: group.desiredNodes,
      maxSize: group.maxNodes,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplateSpec: { id: template.launchTemplateId!, version: template.latestVersionNumber },
      labels: { [CAPACITY_LABEL]: capacityValue(group.capacityType) },
      // Only the work the spec places on spot tolerates this (lib/k8s/spot.ts).
      taints: group.capacityType === 'SPOT' ? [{ key: SPOT_TAINT.key, value: SPOT_TAINT.value, effect: eks.TaintEffect.NO_SCHEDULE }] : undefined,
      enableNodeAutoRepair: true,
      // Node updates drain nodes within the PodDisruptionBudgets; a budget that cannot be met fails
      // the update instead of evicting the last ready pods of a service.
      forceUpdate: false,
    });
    for (const policy of ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly']) {
      acknowledge(
        nodegroup,
        `IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`,
        'EKS managed nodes need these AWS-managed policies (kubelet, VPC CNI, image pulls); workloads get their own roles through Pod Identity.',
      );
    }
    return nodegroup;
  });
}

/** Lets every node pull the services' image from its CDK assets repository. */
export function allowImagePulls(nodegroups: readonly eks.Nodegroup[], repository: ecr.IRepository): void {
  for (const nodegroup of nodegroups) {
    repository.grantPull(nodegroup.role);
    acknowledge(
      nodegroup.role,
      'IAM5[Resource::*]',
      'ecr:GetAuthorizationToken has no resource ARN; image pulls themselves are limited to the CDK assets repository.',
    );
  }
}
