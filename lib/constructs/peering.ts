import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { RegionName } from '../../phases';
import { REGION_CODES } from '../naming';
import { Network, SUBNET_GROUPS } from './network';

/**
 * The private network between a phase's regions: one inter-region VPC peering connection per pair
 * of regions (a full mesh, so that after a regional failover the surviving regions still reach the
 * new primary), requested by the region that appears later in the phases and accepted in the same
 * account by CloudFormation itself.
 *
 * Why peering and not Transit Gateway: with two or three VPCs a full mesh is one or three
 * connections that cost nothing per hour; traffic pays the same inter-region transfer rate either
 * way, and Transit Gateway adds an hourly charge per attachment and per peering attachment plus
 * $0.02/GB of processing (lib/cost/prices.ts prices both; the README compares them).
 * Traffic between regions over peering is encrypted by AWS.
 */
export class PeeringConnection extends Construct {
  readonly connection: ec2.CfnVPCPeeringConnection;

  constructor(scope: Construct, id: string, props: { readonly requester: Network; readonly accepter: Network; readonly accepterRegion: RegionName }) {
    super(scope, id);
    this.connection = new ec2.CfnVPCPeeringConnection(this, 'Resource', {
      vpcId: props.requester.vpc.vpcId,
      peerVpcId: props.accepter.vpc.vpcId,
      peerRegion: props.accepterRegion,
      tags: [{ key: 'Name', value: `orders-${REGION_CODES[props.accepterRegion]}` }],
    });
  }
}

/**
 * Routes from every private, isolated and ingress subnet of a region to another region's VPC CIDR
 * through their peering connection: outbound for this region's workloads, and the return path for
 * the other region's (to the data stores, and to the internal load balancer that takes forwarded
 * writes).
 */
export class PeerRoutes extends Construct {
  readonly routes: ec2.CfnRoute[] = [];

  constructor(scope: Construct, id: string, props: { readonly network: Network; readonly remoteCidr: string; readonly connectionId: string }) {
    super(scope, id);
    const { vpc } = props.network;
    const tiers = {
      Private: vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.private }).subnets,
      Isolated: vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.isolated }).subnets,
      Ingress: vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.ingress }).subnets,
    };
    for (const [tier, subnets] of Object.entries(tiers)) {
      subnets.forEach((subnet, n) => {
        this.routes.push(
          new ec2.CfnRoute(this, `${tier}${n + 1}`, {
            routeTableId: subnet.routeTable.routeTableId,
            destinationCidrBlock: props.remoteCidr,
            vpcPeeringConnectionId: props.connectionId,
          }),
        );
      });
    }
  }
}

/**
 * Admits another region's app tier to a security group on one port. Groups cannot name a group
 * of a peered VPC in another region, so the rules name the remote private subnets' CIDRs (where
 * that region's app servers and pods run), not its whole VPC.
 */
export function admitRemoteAppTier(group: ec2.SecurityGroup, remotes: readonly Network[], port: number, what: string): void {
  for (const remote of remotes) {
    remote.vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.private }).subnets.forEach((subnet, n) => {
      group.addIngressRule(ec2.Peer.ipv4(subnet.ipv4CidrBlock), ec2.Port.tcp(port), `${what} from ${remote.regionName} app tier (private subnet ${n + 1})`);
    });
  }
}
