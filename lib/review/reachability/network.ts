import { cidrContains } from './cidr';
import { AttributePart, Deployment, Resource, ResourceRef, refKey, sameRef } from './deployment';
import { Host } from './workloads';

/** What a path lacks. */
export type MissingPiece =
  | { readonly kind: 'ingress'; readonly securityGroups: readonly string[]; readonly port: number; readonly from: readonly string[]; readonly fromCidrs: boolean }
  | { readonly kind: 'egress'; readonly securityGroups: readonly string[]; readonly port: number; readonly to: readonly string[] }
  | { readonly kind: 'route'; readonly routeTable: string; readonly cidr: string; readonly direction: 'outbound' | 'return' }
  | { readonly kind: 'peering'; readonly vpcs: readonly [string, string] }
  | { readonly kind: 'listener'; readonly loadBalancer: string; readonly port: number }
  | { readonly kind: 'placement'; readonly reason: string }
  | { readonly kind: 'target'; readonly reason: string };

/** One line naming a missing piece. */
export function describeMissing(piece: MissingPiece): string {
  switch (piece.kind) {
    case 'ingress':
      return `no rule on sg ${piece.securityGroups.join(' or ')} for port ${piece.port} from ${piece.from.join(piece.fromCidrs ? ', ' : ' or ')}`;
    case 'egress':
      return `no egress rule on sg ${piece.securityGroups.join(' or ')} for port ${piece.port} to ${piece.to.join(', ')}`;
    case 'route':
      return `no ${piece.direction === 'return' ? 'return ' : ''}route to ${piece.cidr} in route table ${piece.routeTable}`;
    case 'peering':
      return `no peering between VPC ${piece.vpcs[0]} and ${piece.vpcs[1]}`;
    case 'listener':
      return `no listener on port ${piece.port} of ${piece.loadBalancer}`;
    case 'placement':
    case 'target':
      return piece.reason;
  }
}

interface Rule {
  readonly group?: string;
  readonly cidr?: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly allPorts: boolean;
}

interface SecurityGroup {
  readonly key: string;
  readonly name: string;
  readonly vpc?: ResourceRef;
  readonly ingress: Rule[];
  /** `all`: CloudFormation's default when a group declares no egress, and EKS's cluster security group. */
  egress: Rule[] | 'all';
  /** EKS's cluster security group admits all traffic from itself. */
  readonly selfAll: boolean;
}

interface Route {
  readonly cidr?: string;
  readonly peering?: ResourceRef;
}

interface Peering {
  readonly ref: ResourceRef;
  readonly vpcs: readonly [ResourceRef, ResourceRef];
}

/** How a path crosses the network, when it does. */
export type Via = { readonly kind: 'same-vpc' } | { readonly kind: 'peering'; readonly peering: string };

const CLUSTER_GROUP = 'ClusterSecurityGroupId';

/**
 * The network as the templates declare it: security groups and their rules (inline and
 * standalone), subnets, route tables and routes, VPC peering connections.
 */
export class NetworkModel {
  private readonly groups = new Map<string, SecurityGroup>();
  private readonly routeTables = new Map<string, ResourceRef[]>();
  private readonly routes = new Map<string, Route[]>();
  private readonly peerings: Peering[] = [];

  constructor(private readonly d: Deployment) {
    for (const sg of d.resources('AWS::EC2::SecurityGroup')) {
      const p = sg.properties as { VpcId?: unknown; SecurityGroupIngress?: unknown[]; SecurityGroupEgress?: unknown[] };
      const group: SecurityGroup = {
        key: refKey(sg.ref),
        name: sg.path,
        vpc: d.attribute(sg.ref.stack, p.VpcId)?.ref,
        ingress: (p.SecurityGroupIngress ?? []).map((r) => this.rule(sg.ref.stack, r, 'SourceSecurityGroupId')),
        egress: p.SecurityGroupEgress === undefined ? 'all' : p.SecurityGroupEgress.map((r) => this.rule(sg.ref.stack, r, 'DestinationSecurityGroupId')),
        selfAll: false,
      };
      this.groups.set(group.key, group);
    }
    for (const cluster of d.resources('AWS::EKS::Cluster')) {
      const config = (cluster.properties.ResourcesVpcConfig ?? {}) as { SubnetIds?: unknown };
      const [subnet] = d.attributes(cluster.ref.stack, config.SubnetIds ?? []);
      const key = `${refKey(cluster.ref)}#${CLUSTER_GROUP}`;
      this.groups.set(key, { key, name: `${cluster.path} cluster security group`, vpc: subnet ? this.vpcOfSubnet(subnet.ref) : undefined, ingress: [], egress: 'all', selfAll: true });
    }
    for (const type of ['AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress'] as const) {
      for (const r of d.resources(type)) {
        const group = this.group(d.attribute(r.ref.stack, r.properties.GroupId));
        if (!group) continue;
        if (type === 'AWS::EC2::SecurityGroupIngress') group.ingress.push(this.rule(r.ref.stack, r.properties, 'SourceSecurityGroupId'));
        else if (group.egress !== 'all') group.egress.push(this.rule(r.ref.stack, r.properties, 'DestinationSecurityGroupId'));
      }
    }
    for (const a of d.resources('AWS::EC2::SubnetRouteTableAssociation')) {
      const subnet = d.attribute(a.ref.stack, a.properties.SubnetId);
      const table = d.attribute(a.ref.stack, a.properties.RouteTableId);
      if (!subnet || !table) continue;
      const key = refKey(subnet.ref);
      this.routeTables.set(key, [...(this.routeTables.get(key) ?? []), table.ref]);
    }
    for (const r of d.resources('AWS::EC2::Route')) {
      const table = d.attribute(r.ref.stack, r.properties.RouteTableId);
      if (!table) continue;
      const key = refKey(table.ref);
      const peering = d.attribute(r.ref.stack, r.properties.VpcPeeringConnectionId);
      this.routes.set(key, [...(this.routes.get(key) ?? []), { cidr: d.literal(r.ref.stack, r.properties.DestinationCidrBlock), peering: peering?.ref }]);
    }
    for (const p of d.resources('AWS::EC2::VPCPeeringConnection')) this.addPeering(p);
  }

  private addPeering(p: Resource): void {
    const requester = this.d.attribute(p.ref.stack, p.properties.VpcId);
    const accepter = this.d.attribute(p.ref.stack, p.properties.PeerVpcId);
    if (!requester || !accepter) return;
    // The connection is made in its stack's region; PeerRegion (default: the same) must be where the peer VPC is.
    const peerRegion = this.d.literal(p.ref.stack, p.properties.PeerRegion) ?? p.region;
    if (this.d.region(requester.ref.stack) !== p.region || this.d.region(accepter.ref.stack) !== peerRegion) return;
    this.peerings.push({ ref: p.ref, vpcs: [requester.ref, accepter.ref] });
  }

  private rule(stack: string, raw: unknown, peerKey: string): Rule {
    const r = raw as Record<string, unknown>;
    const protocol = this.d.literal(stack, r.IpProtocol) ?? '';
    // Ports count for TCP only; ICMP's "ports" are types and codes.
    const tcp = protocol === 'tcp' || protocol === '6';
    return {
      group: this.group(this.d.attribute(stack, r[peerKey]))?.key,
      cidr: r.CidrIp !== undefined ? this.d.literal(stack, r.CidrIp) : undefined,
      fromPort: tcp ? this.d.number(stack, r.FromPort) : undefined,
      toPort: tcp ? this.d.number(stack, r.ToPort) : undefined,
      allPorts: protocol === '-1' || protocol === 'all',
    };
  }

  /** The security group an attribute names (a group's ID, or an EKS cluster's security group). */
  group(part: AttributePart | undefined): SecurityGroup | undefined {
    if (!part) return undefined;
    const resource = this.d.resource(part.ref);
    if (resource?.type === 'AWS::EKS::Cluster' && part.attribute === CLUSTER_GROUP) return this.groups.get(`${refKey(part.ref)}#${CLUSTER_GROUP}`);
    if (resource?.type === 'AWS::EC2::SecurityGroup' && (part.attribute === undefined || part.attribute === 'GroupId')) return this.groups.get(refKey(part.ref));
    return undefined;
  }

  private vpcOfSubnet(subnet: ResourceRef): ResourceRef | undefined {
    const resource = this.d.resource(subnet);
    return resource ? this.d.attribute(subnet.stack, resource.properties.VpcId)?.ref : undefined;
  }

  private cidrOf(ref: ResourceRef): string | undefined {
    const resource = this.d.resource(ref);
    return resource ? this.d.literal(ref.stack, resource.properties.CidrBlock) : undefined;
  }

  private vpcOf(host: Host, groups: readonly SecurityGroup[]): ResourceRef | undefined {
    for (const subnet of host.subnets) {
      const vpc = this.vpcOfSubnet(subnet);
      if (vpc) return vpc;
    }
    return groups.find((g) => g.vpc)?.vpc;
  }

  private groupsOf(host: Host): SecurityGroup[] {
    return host.securityGroups.map((g) => this.group(g)).filter((g): g is SecurityGroup => g !== undefined);
  }

  /** The peering connections that join two VPCs, either way round. */
  private peeringsBetween(a: ResourceRef, b: ResourceRef): Peering[] {
    return this.peerings.filter((p) => (sameRef(p.vpcs[0], a) && sameRef(p.vpcs[1], b)) || (sameRef(p.vpcs[0], b) && sameRef(p.vpcs[1], a)));
  }

  /** Route tables of subnets that lack a route covering every CIDR through one of the connections. */
  private missingRoutes(subnets: readonly ResourceRef[], cidrs: readonly string[], peerings: readonly Peering[], reported: string, direction: 'outbound' | 'return'): MissingPiece[] {
    const missing: MissingPiece[] = [];
    const seen = new Set<string>();
    for (const subnet of subnets) {
      const tables = this.routeTables.get(refKey(subnet)) ?? [];
      if (tables.length === 0) missing.push({ kind: 'route', routeTable: `(none associated with subnet ${this.d.describe(subnet)})`, cidr: reported, direction });
      for (const table of tables) {
        const key = refKey(table);
        if (seen.has(key)) continue;
        seen.add(key);
        const ok = (this.routes.get(key) ?? []).some(
          (r) => r.cidr !== undefined && r.peering !== undefined && peerings.some((p) => sameRef(p.ref, r.peering!)) && cidrs.every((c) => cidrContains(r.cidr!, c)),
        );
        if (!ok) missing.push({ kind: 'route', routeTable: this.d.describe(table), cidr: reported, direction });
      }
    }
    return missing;
  }

  /**
   * Whether traffic from a host can reach a target host on a port: in one VPC, a rule on the
   * target's groups admitting one of the host's groups or a CIDR holding its subnets; across
   * VPCs, a peering connection between exactly those two, routes through it on both sides, and a
   * rule admitting a CIDR holding the host's subnets. Egress from the host's groups as well.
   */
  check(host: Host, target: Host, port: number): { via?: Via; missing: MissingPiece[] } {
    const from = this.groupsOf(host);
    const to = this.groupsOf(target);
    const hostVpc = this.vpcOf(host, from);
    const targetVpc = this.vpcOf(target, to);
    if (!hostVpc || host.subnets.length === 0) return { missing: [{ kind: 'placement', reason: `cannot tell which subnets ${host.name} runs in` }] };
    if (!targetVpc) return { missing: [{ kind: 'placement', reason: `cannot tell which VPC ${target.name} is in` }] };
    if (to.length === 0) return { missing: [{ kind: 'placement', reason: `cannot tell which security groups ${target.name} has` }] };
    const hostCidrs = host.subnets.map((s) => this.cidrOf(s)).filter((c): c is string => c !== undefined);
    const targetCidrs = target.subnets.map((s) => this.cidrOf(s)).filter((c): c is string => c !== undefined);
    const targetVpcCidr = this.cidrOf(targetVpc) ?? this.d.describe(targetVpc);
    const hostVpcCidr = this.cidrOf(hostVpc) ?? this.d.describe(hostVpc);
    const destinations = targetCidrs.length > 0 ? targetCidrs : [targetVpcCidr];
    const covers = (rule: Rule, cidrs: readonly string[]) => rule.cidr !== undefined && cidrs.length > 0 && cidrs.every((c) => cidrContains(rule.cidr!, c));
    const onPort = (rule: Rule) => rule.allPorts || (rule.fromPort !== undefined && rule.toPort !== undefined && rule.fromPort <= port && port <= rule.toPort);
    const fromKeys = new Set(from.map((g) => g.key));
    const toKeys = new Set(to.map((g) => g.key));
    const sameVpc = sameRef(hostVpc, targetVpc);
    const missing: MissingPiece[] = [];
    let via: Via | undefined = { kind: 'same-vpc' };

    if (!sameVpc) {
      const peerings = this.peeringsBetween(hostVpc, targetVpc);
      if (peerings.length === 0) {
        missing.push({ kind: 'peering', vpcs: [this.d.describe(hostVpc), this.d.describe(targetVpc)] });
        via = undefined;
      } else {
        via = { kind: 'peering', peering: this.d.describe(peerings[0].ref) };
        missing.push(...this.missingRoutes(host.subnets, destinations, peerings, targetVpcCidr, 'outbound'));
        missing.push(...this.missingRoutes(target.subnets, hostCidrs, peerings, hostVpcCidr, 'return'));
      }
    }

    // CIDR rules may split the workload's subnets between them: each subnet needs one that covers it.
    const byGroup = to.some((g) => (sameVpc && g.selfAll && fromKeys.has(g.key)) || g.ingress.some((r) => onPort(r) && sameVpc && r.group !== undefined && fromKeys.has(r.group)));
    const byCidr = hostCidrs.length > 0 && hostCidrs.every((c) => to.some((g) => g.ingress.some((r) => onPort(r) && covers(r, [c]))));
    const admitted = byGroup || byCidr;
    if (!admitted) {
      missing.push({ kind: 'ingress', securityGroups: to.map((g) => g.name), port, from: sameVpc ? from.map((g) => g.name) : hostCidrs, fromCidrs: !sameVpc });
    }
    const leaves =
      from.some((g) => g.egress === 'all' || g.egress.some((r) => onPort(r) && sameVpc && r.group !== undefined && toKeys.has(r.group))) ||
      destinations.every((c) => from.some((g) => g.egress !== 'all' && g.egress.some((r) => onPort(r) && covers(r, [c]))));
    if (!leaves) missing.push({ kind: 'egress', securityGroups: from.map((g) => g.name), port, to: [...(sameVpc ? to.map((g) => g.name) : []), ...destinations] });
    return { via: missing.length === 0 ? via : undefined, missing };
  }
}
