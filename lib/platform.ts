import { Construct } from 'constructs';
import { PhaseSpec, RegionName } from '../phases';
import { regionalStackName } from './naming';
import { ComputeStack } from './stacks/compute-stack';
import { DataStack } from './stacks/data-stack';
import { MonitoringStack } from './stacks/monitoring-stack';
import { NetworkStack } from './stacks/network-stack';
import { TelemetryStack } from './stacks/telemetry-stack';

/** The stacks of one region. */
export interface RegionalStacks {
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly telemetry: TelemetryStack;
  readonly compute: ComputeStack;
  readonly monitoring: MonitoringStack;
}

/** Everything one phase deploys, by region. */
/** Deployment choices that are not part of a phase: they belong to one AWS account. */
export interface PlatformOptions {
  /**
   * ACM certificates of the shop's domain, at most one per region (the region is in the ARN).
   * The public front door (the 1k-10k load balancer) of a region with one serves HTTPS.
   */
  readonly certificateArns?: readonly string[];
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

export interface Platform {
  readonly spec: PhaseSpec;
  readonly regions: ReadonlyMap<RegionName, RegionalStacks>;
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
  const regions = new Map<RegionName, RegionalStacks>();
  let databases: DataStack | undefined;
  for (const region of spec.regions) {
    const place = (layer: string, description: string) => regionalStack(region.region, layer, description);
    const n = place('network', 'Order platform network');
    const network = new NetworkStack(scope, n.id, { ...n.props, region });
    const d = place('data', 'Order platform data stores');
    const data = new DataStack(scope, d.id, { ...d.props, spec, region, network: network.network });
    databases ??= region.primary ? data : undefined;
    if (!databases) throw new Error(`buildPlatform: the primary region must come first; ${region.region} does not hold the databases`);
    const t = place('telemetry', 'Order platform metrics workspace and alarm topic');
    const telemetry = new TelemetryStack(scope, t.id, { ...t.props, spec, region });
    const c = place('compute', 'Order platform compute (app servers, API Gateway, EKS)');
    const compute = new ComputeStack(scope, c.id, {
      ...c.props,
      spec,
      region,
      network: network.network,
      data,
      databases,
      telemetry: telemetry.telemetry,
      certificateArn: certificates.get(region.region),
    });
    const m = place('monitoring', 'Order platform alarms and dashboard');
    const monitoring = new MonitoringStack(scope, m.id, { ...m.props, spec, region, compute, data, telemetry: telemetry.telemetry });
    regions.set(region.region, { network, data, telemetry, compute, monitoring });
  }
  return { spec, regions };
}
