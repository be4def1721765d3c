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
export interface Platform {
  readonly spec: PhaseSpec;
  readonly regions: ReadonlyMap<RegionName, RegionalStacks>;
}

/**
 * Builds every stack of a phase under `scope` (an App, or a Stage in tests). Stack IDs and names
 * depend only on the region, so one phase deployed over another updates the same stacks.
 */
export function buildPlatform(scope: Construct, spec: PhaseSpec): Platform {
  const regions = new Map<RegionName, RegionalStacks>();
  let databases: DataStack | undefined;
  for (const region of spec.regions) {
    const env = { region: region.region };
    const networkName = regionalStackName(region.region, 'network');
    const network = new NetworkStack(scope, networkName, {
      env,
      stackName: networkName,
      region,
      description: `Order platform network in ${region.region}`,
    });
    const dataName = regionalStackName(region.region, 'data');
    const data = new DataStack(scope, dataName, {
      env,
      stackName: dataName,
      spec,
      region,
      network: network.network,
      description: `Order platform data stores in ${region.region}`,
    });
    databases ??= region.primary ? data : undefined;
    if (!databases) throw new Error(`buildPlatform: the primary region must come first; ${region.region} does not hold the databases`);
    const telemetryName = regionalStackName(region.region, 'telemetry');
    const telemetry = new TelemetryStack(scope, telemetryName, {
      env,
      stackName: telemetryName,
      spec,
      region,
      description: `Order platform metrics workspace and alarm topic in ${region.region}`,
    });
    const computeName = regionalStackName(region.region, 'compute');
    const compute = new ComputeStack(scope, computeName, {
      env,
      stackName: computeName,
      spec,
      region,
      network: network.network,
      data,
      databases,
      telemetry: telemetry.telemetry,
      description: `Order platform compute (app servers, API Gateway, EKS) in ${region.region}`,
    });
    const monitoringName = regionalStackName(region.region, 'monitoring');
    const monitoring = new MonitoringStack(scope, monitoringName, {
      env,
      stackName: monitoringName,
      spec,
      region,
      compute,
      data,
      telemetry: telemetry.telemetry,
      description: `Order platform alarms and dashboard in ${region.region}`,
    });
    regions.set(region.region, { network, data, telemetry, compute, monitoring });
  }
  return { spec, regions };
}
