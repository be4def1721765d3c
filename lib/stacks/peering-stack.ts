import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Network } from '../constructs/network';
import { PeerRoutes, PeeringConnection } from '../constructs/peering';
import { REGION_CODES, constructId } from '../naming';

/**
 * A region's side of the private network between the phase's regions: the peering connections
 * it requests (to every region listed before it) and its routes to every other region. Apart from
 * the network stack, because the routes of a region depend on connections that later regions'
 * stacks request.
 */
export class PeeringStack extends Stack {
  /** Connections this region requested, by the accepting region's network. */
  readonly requested = new Map<Network, PeeringConnection>();

  constructor(
    scope: Construct,
    id: string,
    private readonly props: StackProps & { readonly network: Network },
  ) {
    super(scope, id, props);
  }

  /** Requests a peering connection from this region's VPC to an earlier region's. */
  request(accepter: Network): PeeringConnection {
    const connection = new PeeringConnection(this, `To${constructId(REGION_CODES[accepter.regionName])}`, { requester: this.props.network, accepter, accepterRegion: accepter.regionName });
    this.requested.set(accepter, connection);
    return connection;
  }

  /** Routes this region's private and isolated subnets to another region's VPC through `connection`. */
  routeTo(remote: Network, connection: PeeringConnection): PeerRoutes {
    return new PeerRoutes(this, `RoutesTo${constructId(REGION_CODES[remote.regionName])}`, { network: this.props.network, remoteCidr: remote.cidr, connectionId: connection.connection.ref });
  }
}
