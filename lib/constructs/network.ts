import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { RegionName, RegionSpec } from '../../phases';
import { acknowledge } from '../nag';

/**
 * The VPC's subnet groups, by name. Select isolated subnets by name, never by type: two groups
 * share that type, and a selection by type would take both.
 */
export const SUBNET_GROUPS = {
  /** The monolith's Nginx and the NAT gateways. */
  public: 'Public',
  /** EC2 app servers, EKS nodes and, with the VPC CNI, every pod: egress through NAT. */
  private: 'Private',
  /** Data stores: no route out of the VPC. */
  isolated: 'Isolated',
  /**
   * The internal load balancer and the Prometheus scraper, the only callers that reach pods by
   * address: no route out of the VPC and nothing else in them, so a NetworkPolicy can admit their
   * CIDRs without admitting any pod.
   */
  ingress: 'Ingress',
} as const;

/**
 * Subnet sizes. Create-only: fixed for the life of the VPC. CIDRs are handed out in this order,
 * so a group added later goes last and leaves the earlier groups' CIDRs as they are.
 */
const SUBNET_MASKS = { public: 24, private: 19, isolated: 22, ingress: 24 } as const;

/** Props for {@link Network}. */
export interface NetworkProps {
  /** The region's spec: AZs, CIDR, NAT gateways, flow-log retention. */
  readonly region: RegionSpec;
}

/**
 * A region's VPC: public, private (egress through NAT), isolated and ingress subnets in three AZs
 * (see {@link SUBNET_GROUPS}), flow logs, and the app tier's security group, the only group data
 * stores admit.
 */
export class Network extends Construct {
  /** The VPC. */
  readonly vpc: ec2.Vpc;
  /** Security group of everything that runs the order services; data stores admit only this group. */
  readonly appTier: ec2.SecurityGroup;
  /** The region the VPC is in. */
  readonly regionName: RegionName;
  /** The VPC's CIDR block, as the spec gives it. */
  readonly cidr: string;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { region } = props;
    this.regionName = region.region;
    this.cidr = region.vpcCidr;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(region.vpcCidr),
      availabilityZones: [...region.availabilityZones],
      natGateways: region.natGateways,
      subnetConfiguration: [
        { name: SUBNET_GROUPS.public, subnetType: ec2.SubnetType.PUBLIC, cidrMask: SUBNET_MASKS.public, mapPublicIpOnLaunch: false },
        { name: SUBNET_GROUPS.private, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: SUBNET_MASKS.private },
        { name: SUBNET_GROUPS.isolated, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: SUBNET_MASKS.isolated },
        // Added after the VPC was first deployed: last, so that no existing subnet moves.
        { name: SUBNET_GROUPS.ingress, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: SUBNET_MASKS.ingress },
      ],
      restrictDefaultSecurityGroup: true,
      createInternetGateway: true,
    });

    // Flow logs name every address and port that talks in the VPC: encrypted with a key of their own.
    const flowLogKey = new kms.Key(this, 'FlowLogsKey', {
      description: 'Order platform: VPC flow logs',
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
    flowLogKey.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${region.region}.amazonaws.com`));
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: region.flowLogRetentionDays as logs.RetentionDays,
      encryptionKey: flowLogKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    // Bundle downloads and container image layers (ECR serves them from S3) stay off the NAT
    // gateways: a gateway endpoint costs nothing and NAT charges per GB processed.
    this.vpc.addGatewayEndpoint('S3Endpoint', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [{ subnetGroupName: SUBNET_GROUPS.private }, { subnetGroupName: SUBNET_GROUPS.isolated }],
    });

    // Rotation functions and services in subnets without a NAT route reach Secrets Manager privately.
    const secretsEndpoint = this.vpc.addInterfaceEndpoint('SecretsManagerEndpoint', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: { subnetGroupName: SUBNET_GROUPS.isolated },
      privateDnsEnabled: true,
    });

    acknowledge(
      secretsEndpoint,
      'EC23',
      'The endpoint admits HTTPS from the VPC CIDR only (a token the rule cannot read), not from 0.0.0.0/0.',
    );

    this.appTier = new ec2.SecurityGroup(this, 'AppTier', {
      vpc: this.vpc,
      description: 'Order services (EC2 app servers and EKS pods); data stores admit only this group',
      allowAllOutbound: true,
    });
  }
}
