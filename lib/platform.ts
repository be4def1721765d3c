import { Construct } from 'constructs';
import { PhaseSpec, RegionName, RegionSpec } from '../phases';
import { Network } from './constructs/network';
import { ShopDomain } from './dns/names';
import { alarmRecipients } from './monitoring/notifications';
import { regionalStackName } from './naming';
import { ComputeStack } from './stacks/compute-stack';
import { DataStack } from './stacks/data-stack';
import { DnsStack, ROUTE53_METRICS_REGION, type RegionEntryNames } from './stacks/dns-stack';
import { FailoverStack } from './stacks/failover-stack';
import { homePointerRegion } from './failover/plan';
import { MonitoringStack } from './stacks/monitoring-stack';
import { NetworkStack } from './stacks/network-stack';
import { PeeringStack } from './stacks/peering-stack';
import { RejoinStack } from './stacks/rejoin-stack';
import { TelemetryStack } from './stacks/telemetry-stack';

/** The stacks of one region. */
export interface RegionalStacks {
  readonly network: NetworkStack;
  /** Peering with the other regions, in a multi-region phase. */
  readonly peering?: PeeringStack;
  readonly data: DataStack;
  /** After a failover moved the writes elsewhere (`spec.homeRegion`): the members that follow the new home. */
  readonly rejoin?: RejoinStack;
  readonly telemetry: TelemetryStack;
  readonly compute: ComputeStack;
  readonly monitoring: MonitoringStack;
  /** In the failover region (the first secondary; the home after a failover): the home pointer, and the failover orchestration (lib/failover). */
  readonly failover?: FailoverStack;
}

/** Deployment choices that are not part of a phase: they belong to one AWS account. */
export interface PlatformOptions {
  /**
   * ACM certificates of the shop's domain, at most one per region (the region is in the ARN).
   * The public front door (the 1k-10k load balancer) of a region with one serves HTTPS.
   */
  readonly certificateArns?: readonly string[];
  /** Addresses subscribed to every region's alarm topic, one subscription each. */
  readonly alarmEmails?: readonly string[];
  /**
   * Existing SNS topics that the alarms also notify, at most one per region (the region is in the
   * ARN): CloudWatch notifies only topics of the alarm's own region.
   */
  readonly alarmTopicArns?: readonly string[];
  /**
   * IAM roles (people's or CI's) given cluster-admin access to every region's EKS cluster through
   * EKS access entries. The endpoint is private: they reach it from inside the VPC (a bastion, a
   * VPN or a CI runner there).
   */
  readonly adminRoleArns?: readonly string[];
  /** The shop's domain and public hosted zone: regional names, GeoDNS and health checks (lib/dns). */
  readonly domain?: ShopDomain;
  /**
   * Builds everything but the APIs' origin check (`-c originProtection=off`): the first deploy of a
   * move onto origin protection, while users may still reach an API directly.
   */
  readonly originProtectionHeld?: boolean;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** The admin roles, checked: each must be an IAM role ARN, given once. */
export function adminRoles(arns: readonly string[]): string[] {
  for (const arn of arns) {
    if (!ROLE_ARN.test(arn)) throw new Error(`adminRoleArn = ${arn}: must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)`);
  }
  const repeated = arns.find((arn, i) => arns.indexOf(arn) !== i);
  if (repeated) throw new Error(`adminRoleArn = ${repeated}: given twice; give each role once`);
  return [...arns];
}

const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:certificate\/[0-9a-f-]{36}$/;

/** The certificate of each region, checked against the phase: names the bad value and the rule. */
export function certificatesByRegion(spec: PhaseSpec, arns: readonly string[]): Map<RegionName, string> {
  const byRegion = new Map<RegionName, string>();
  const regions = spec.regions.map((r) => r.region as string);
  for (const arn of arns) {
    const region = CERTIFICATE_ARN.exec(arn)?.[1];
    if (!region) throw new Error(`certificateArn = ${arn}: must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)`);
    if (!regions.includes(region)) throw new Error(`certificateArn = ${arn}: its region ${region} is not one of phase ${spec.name}'s regions (${regions.join(', ')})`);
    if (byRegion.has(region as RegionName)) throw new Error(`certificateArn = ${arn}: ${region} already has certificate ${byRegion.get(region as RegionName)}; give one per region`);
    byRegion.set(region as RegionName, arn);
  }
  return byRegion;
}

/** Everything one phase deploys, by region. */
export interface Platform {
  readonly spec: PhaseSpec;
  readonly regions: ReadonlyMap<RegionName, RegionalStacks>;
  /** GeoDNS over the regions, when the shop's domain is given. */
  readonly dns?: DnsStack;
}

/**
 * A regional stack's construct ID and props: the ID is its name, which depends only on the region
 * and the layer (never on the phase), and the stack is pinned to its region.
 */
function regionalStack(region: RegionName, layer: string, description: string) {
  const name = regionalStackName(region, layer);
  return { id: name, props: { env: { region }, stackName: name, description: `${description} in ${region}` } };
}

/**
 * Builds every stack of a phase under `scope` (the app; tests build one app per phase). Stack IDs and names
 * depend only on the region, so one phase deployed over another updates the same stacks.
 */
export function buildPlatform(scope: Construct, spec: PhaseSpec, options: PlatformOptions = {}): Platform {
  const certificates = certificatesByRegion(spec, options.certificateArns ?? []);
  const recipients = alarmRecipients(spec, options.alarmEmails ?? [], options.alarmTopicArns ?? []);
  const admins = adminRoles(options.adminRoleArns ?? []);
  const primary = spec.regions.find((r) => r.role === 'primary');
  if (!primary) throw new Error('buildPlatform: the phase has no primary region');
  const place = (region: RegionName, layer: string, description: string) => regionalStack(region, layer, description);

  // Every region's network first: the primary's stores and load balancer admit the others' app tiers.
  const networks = new Map<RegionName, NetworkStack>();
  for (const region of spec.regions) {
    const n = place(region.region, 'network', 'Order platform network');
    networks.set(region.region, new NetworkStack(scope, n.id, { ...n.props, region }));
  }
  const networkOf = (region: RegionSpec) => networks.get(region.region)!.network;
  const secondaries = spec.regions.filter((r) => r.role === 'secondary');
  const remoteAppTiers = secondaries.map(networkOf);
  const peering = spec.regions.length > 1 ? connectRegions(scope, spec, networkOf) : new Map<RegionName, PeeringStack>();

  // The stores, origin (the first region) first: every other region's replicas and global members follow it.
  const dataStacks = new Map<RegionName, DataStack>();
  let origin: DataStack | undefined;
  for (const region of spec.regions) {
    const d = place(region.region, 'data', 'Order platform data stores');
    const remotes = region.role === 'primary' ? remoteAppTiers : [];
    const data = new DataStack(scope, d.id, { ...d.props, spec, region, network: networkOf(region), origin, remoteAppTiers: remotes });
    dataStacks.set(region.region, data);
    origin ??= data;
  }
  // After a failover, every secondary builds the members that follow the new home.
  const rejoins = new Map<RegionName, RejoinStack>();
  if (spec.homeRegion) {
    const home = dataStacks.get(spec.homeRegion)!;
    for (const region of secondaries) {
      const r = place(region.region, 'rejoin', 'Order platform stores rejoined as a secondary after a failover');
      rejoins.set(region.region, new RejoinStack(scope, r.id, { ...r.props, spec, region, network: networkOf(region), data: dataStacks.get(region.region)!, home }));
    }
  }

  // The rest region by region, the primary first: the others send it their writes and mirror its Kafka.
  const order = [primary, ...spec.regions.filter((r) => r !== primary)];
  const regions = new Map<RegionName, RegionalStacks>();
  let home: { data: DataStack; compute: ComputeStack } | undefined;
  for (const region of order) {
    const network = networkOf(region);
    const data = dataStacks.get(region.region)!;
    const t = place(region.region, 'telemetry', 'Order platform metrics workspace and alarm topic');
    const telemetry = new TelemetryStack(scope, t.id, { ...t.props, spec, region, alarmEmails: recipients.emails });
    const c = place(region.region, 'compute', 'Order platform compute (app servers, API Gateway, EKS)');
    const compute = new ComputeStack(scope, c.id, {
      ...c.props,
      spec,
      region,
      network,
      data,
      databases: origin!,
      telemetry: telemetry.telemetry,
      certificateArn: certificates.get(region.region),
      domain: options.domain,
      originProtectionHeld: options.originProtectionHeld,
      home: home ? { compute: home.compute, cache: home.data.cache } : undefined,
      earlier: [...regions.values()].map((r) => r.compute),
      // Every region built after this one may send its writes here: to the primary now, to the
      // failover region after a failover.
      remoteAppTiers: order.slice(order.indexOf(region) + 1).map(networkOf),
      adminRoleArns: admins,
    });
    // The services' paths to other regions (forwarded writes, MirrorMaker, replies to them) need the routes.
    const regionPeering = peering.get(region.region);
    if (regionPeering) compute.addStackDependency(regionPeering);
    const rejoin = rejoins.get(region.region);
    if (rejoin) compute.addStackDependency(rejoin);
    const m = place(region.region, 'monitoring', 'Order platform alarms and dashboard');
    const monitoring = new MonitoringStack(scope, m.id, {
      ...m.props,
      spec,
      region,
      compute,
      data,
      telemetry: telemetry.telemetry,
      alarmTopicArn: recipients.topicArns.get(region.region),
    });
    let failover: FailoverStack | undefined;
    if (region.region === homePointerRegion(spec)) {
      const f = place(region.region, 'failover', 'Order platform failover orchestration and home pointer');
      failover = new FailoverStack(scope, f.id, {
        ...f.props,
        spec,
        region,
        data,
        alarmTopic: telemetry.telemetry.topic,
        externalAlarmTopicArn: recipients.topicArns.get(region.region),
      });
    }
    regions.set(region.region, { network: networks.get(region.region)!, peering: peering.get(region.region), data, rejoin, telemetry, compute, monitoring, failover });
    home ??= { data, compute };
  }
  return { spec, regions, dns: options.domain ? globalDns(scope, spec, options.domain, regions, recipients.topicArns.get(ROUTE53_METRICS_REGION)) : undefined };
}

/**
 * The GeoDNS stack, in us-east-1 where Route 53 publishes health-check metrics; it deploys after
 * every region's compute stack, whose front doors its records point to.
 */
function globalDns(scope: Construct, spec: PhaseSpec, domain: ShopDomain, regions: ReadonlyMap<RegionName, RegionalStacks>, externalTopicArn: string | undefined): DnsStack {
  const metricsRegion = regions.get(ROUTE53_METRICS_REGION);
  if (!metricsRegion) throw new Error(`GeoDNS: the health checks' alarms live in ${ROUTE53_METRICS_REGION}, which phase ${spec.name} does not use`);
  const entries = new Map<RegionName, RegionEntryNames>();
  let edgeDnsName: string | undefined;
  for (const [region, stacks] of regions) {
    if (!stacks.compute.entry) throw new Error(`GeoDNS: ${region} has no public names`);
    entries.set(region, { api: stacks.compute.entry.apiDnsName, origin: stacks.compute.entry.originDnsName });
    edgeDnsName ??= stacks.compute.edge?.distribution.distributionDomainName;
  }
  const d = regionalStack(ROUTE53_METRICS_REGION, 'dns', 'Order platform GeoDNS and health checks');
  const dns = new DnsStack(scope, d.id, {
    ...d.props,
    description: 'Order platform GeoDNS (api name by latency or location) and the regions\' health checks',
    spec,
    domain,
    entries,
    edgeDnsName,
    alarmTopic: metricsRegion.telemetry.telemetry.topic,
    externalAlarmTopicArn: externalTopicArn,
  });
  for (const stacks of regions.values()) dns.addStackDependency(stacks.compute);
  return dns;
}

/**
 * The phase's regions joined by VPC peering (lib/constructs/peering.ts): each region requests a
 * connection to every region listed before it, and routes to every other region.
 */
function connectRegions(scope: Construct, spec: PhaseSpec, networkOf: (region: RegionSpec) => Network): Map<RegionName, PeeringStack> {
  const stacks = new Map<RegionName, PeeringStack>();
  for (const region of spec.regions) {
    const p = regionalStack(region.region, 'peering', 'Order platform peering between regions');
    stacks.set(region.region, new PeeringStack(scope, p.id, { ...p.props, network: networkOf(region) }));
  }
  spec.regions.forEach((later, j) => {
    for (const earlier of spec.regions.slice(0, j)) {
      const connection = stacks.get(later.region)!.request(networkOf(earlier));
      stacks.get(later.region)!.routeTo(networkOf(earlier), connection);
      stacks.get(earlier.region)!.routeTo(networkOf(later), connection);
    }
  });
  return stacks;
}
