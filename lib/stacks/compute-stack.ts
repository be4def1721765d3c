import { Fn, Stack, StackProps } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import { Construct } from 'constructs';
import { PhaseSpec, RegionName, RegionSpec } from '../../phases';
import { AccessLogBucket } from '../compute/access-logs';
import { AppEnvironment } from '../compute/app-environment';
import { ServiceBundle } from '../compute/delivery';
import { Ec2Services } from '../compute/ec2-services';
import { Edge } from '../compute/edge';
import { GATEWAY_PORT, Gateway, ServiceBackends } from '../compute/gateway';
import { Monolith } from '../compute/monolith';
import { Cache } from '../constructs/cache';
import { ShopDomain, apiName, originApiName } from '../dns/names';
import { RegionalEntry, regionalCertificate } from '../dns/regional-entry';
import { Network } from '../constructs/network';
import { admitRemoteAppTier } from '../constructs/peering';
import { ServicesCluster } from '../k8s/services-cluster';
import { WatchedTargetGroup } from '../monitoring/alarms';
import { Telemetry } from '../monitoring/telemetry';
import { constructId } from '../naming';
import { DataStack } from './data-stack';

/** A region's internal API entry, where other regions' services send their writes. */
const internalApiUrl = (gateway: Gateway): string => `http://${gateway.loadBalancer.loadBalancerDnsName}`;

/** Props for {@link ComputeStack}. */
export interface ComputeStackProps extends StackProps {
  readonly spec: PhaseSpec;
  readonly region: RegionSpec;
  readonly network: Network;
  /** This region's data stack (cache, Kafka). */
  readonly data: DataStack;
  /** The data stack holding PostgreSQL and DocumentDB. */
  readonly databases: DataStack;
  readonly telemetry: Telemetry;
  /** The ACM certificate of the public front door in this region, if any. */
  readonly certificateArn?: string;
  /** The shop's domain and hosted zone: the front door gets its regional names (lib/dns). */
  readonly domain?: ShopDomain;
  /** For a secondary region: the primary region's compute (its internal load balancer takes the writes) and cache. */
  readonly home?: { readonly compute: ComputeStack; readonly cache: Cache };
  /** In a multi-region phase, the compute of every region listed before this one (a failover may make one of them home). */
  readonly earlier?: readonly ComputeStack[];
  /** In a multi-region phase: the networks of the regions listed after this one, whose services forward writes here (now or after a failover). */
  readonly remoteAppTiers?: readonly Network[];
  /** The APIs' origin check held back for this deploy (`-c originProtection=off`). */
  readonly originProtectionHeld?: boolean;
  /** IAM roles given cluster-admin access to the EKS cluster. */
  readonly adminRoleArns?: readonly string[];
}

/**
 * A region's stateless compute, apart from the data: whatever `spec.compute` holds of Nginx and
 * the monolith's app servers, API Gateway with the internal load balancer, the per-service EC2
 * groups and EKS. Everything here can be replaced without losing data.
 */
export class ComputeStack extends Stack {
  readonly appEnvironment: AppEnvironment;
  readonly bundle: ServiceBundle;
  readonly monolith?: Monolith;
  readonly gateway?: Gateway;
  readonly ec2Services?: Ec2Services;
  readonly eks?: ServicesCluster;
  /** Target groups that must never be empty, for the unavailability alarms. */
  readonly watchedTargetGroups: WatchedTargetGroup[] = [];
  /** The front door's public names, when the shop's domain is given. */
  readonly entry?: RegionalEntry;
  /** The edge in front of every region's API (built with the origin region, the first), when the spec has one. */
  readonly edge?: Edge;
  /** Every EC2 group, by a literal ID, for dashboards. */
  readonly fleets = new Map<string, autoscaling.AutoScalingGroup>();

  constructor(scope: Construct, id: string, props: ComputeStackProps) {
    super(scope, id, props);
    // Declared before any grant, so that grants on the data stacks' keys and secrets go into
    // this stack's policies instead of the data stacks' resource policies.
    for (const stack of new Set([props.data, props.databases])) this.addStackDependency(stack);
    const { spec, network, telemetry } = props;
    const { compute } = spec;
    const vpc = network.vpc;
    const appTier = network.appTier;

    this.bundle = new ServiceBundle(this, 'Bundle');
    const home = props.home;
    const homeGateway = home?.compute.gateway;
    if (home && !homeGateway) throw new Error(`ComputeStack ${id}: a secondary region forwards writes to the primary region's internal load balancer, which this phase does not build`);
    this.appEnvironment = new AppEnvironment(this, 'Environment', {
      spec,
      data: props.data,
      databases: props.databases,
      home: home && homeGateway ? { apiUrl: internalApiUrl(homeGateway), cache: home.cache } : undefined,
      earlierRegions: (props.earlier ?? []).flatMap((c) => (c.gateway ? [{ region: c.region as RegionName, apiUrl: internalApiUrl(c.gateway) }] : [])),
    });
    const accessLogs = new AccessLogBucket(this, 'AccessLogs');
    const edgeSpec = compute.gateway?.edge;
    // One distribution for every region, built with the origin (the first region, the primary
    // until a failover: the distribution and its secret stay there after one). Without the shop's
    // domain it can reach only the origin's API, so only that API is closed to everything but the edge.
    const origin = props.region.region === spec.regions[0].region;
    const behindEdge = edgeSpec !== undefined && (origin || props.domain !== undefined);
    const certificate = props.domain ? regionalCertificate(this, props.domain, props.region.region, props.certificateArn, behindEdge) : undefined;
    const certificateArn = certificate?.certificateArn ?? props.certificateArn;
    const common = { vpc, appTier, bundle: this.bundle, environment: this.appEnvironment, telemetry };

    this.monolith = compute.monolith
      ? new Monolith(this, 'Monolith', { ...common, spec: compute.monolith, vpcCidr: props.region.vpcCidr, accessLogs, certificateArn })
      : undefined;

    if (this.monolith) {
      this.watchedTargetGroups.push({ id: 'Monolith', targetGroup: this.monolith.targetGroup, loadBalancer: this.monolith.loadBalancer });
      this.fleets.set('Monolith', this.monolith.fleet.group);
    }

    if (compute.gateway) {
      this.gateway = new Gateway(this, 'Gateway', {
        spec: compute.gateway,
        vpc,
        accessLogs,
        logKey: props.data.keys.key('Logs'),
        behindEdge: behindEdge && edgeSpec.originProtection && !props.originProtectionHeld,
      });
      admitRemoteAppTier(this.gateway.securityGroup, props.remoteAppTiers ?? [], GATEWAY_PORT, 'Writes forwarded');
      if (edgeSpec && origin) {
        this.edge = new Edge(this, 'Edge', {
          spec: edgeSpec,
          originHost: props.domain ? originApiName(props.domain) : Fn.select(2, Fn.split('/', this.gateway.api.apiEndpoint)),
          publicName: props.domain && certificate ? { name: apiName(props.domain), certificate } : undefined,
          secondaryRegions: spec.regions.filter((r) => r.region !== props.region.region).map((r) => r.region),
        });
      }
      this.ec2Services = compute.ec2Services
        ? new Ec2Services(this, 'Services', { ...common, spec: compute.ec2Services, loadBalancer: this.gateway.loadBalancer })
        : undefined;
    }
    this.eks = compute.eks
      ? new ServicesCluster(this, 'Kubernetes', {
          ...common,
          spec,
          vpcCidr: props.region.vpcCidr,
          gateway: this.gateway,
          adminRoleArns: props.adminRoleArns ?? [],
          mirror: home ? { source: home.compute.appEnvironment, target: this.appEnvironment } : undefined,
        })
      : undefined;
    if (this.gateway) {
      const backends: ServiceBackends = {
        monolith: this.monolith?.fleet.targetGroup('GatewayTargets', this.gateway.loadBalancer),
        ec2Services: this.ec2Services?.targetGroups,
        eks: this.eks?.targetGroups,
      };
      this.gateway.route(backends);
      for (const [name, group] of this.ec2Services?.targetGroups ?? []) {
        this.watchedTargetGroups.push({ id: `${constructId(name)}Ec2`, targetGroup: group, loadBalancer: this.gateway.loadBalancer });
        this.fleets.set(constructId(name), this.ec2Services!.fleets.get(name)!.group);
      }
      for (const [name, group] of this.eks?.targetGroups ?? []) {
        this.watchedTargetGroups.push({ id: `${constructId(name)}Eks`, targetGroup: group, loadBalancer: this.gateway.loadBalancer });
      }
    }
    if (props.domain && certificate) {
      // API Gateway is the front door wherever it exists (also beside the monolith in a side-by-side step).
      const frontDoor = this.gateway
        ? ({ kind: 'api', api: this.gateway.api, stage: this.gateway.stage } as const)
        : this.monolith
          ? ({ kind: 'load-balancer', loadBalancer: this.monolith.loadBalancer } as const)
          : undefined;
      if (!frontDoor) throw new Error(`ComputeStack ${id}: the phase has no public front door to name`);
      this.entry = new RegionalEntry(this, 'PublicNames', { domain: props.domain, region: props.region.region, certificate, frontDoor, behindEdge: behindEdge && frontDoor.kind === 'api' });
    }
  }
}
