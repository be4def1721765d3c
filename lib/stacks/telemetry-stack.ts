import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PhaseSpec, RegionSpec } from '../../phases';
import { Telemetry } from '../monitoring/telemetry';

/** Props for {@link TelemetryStack}. */
export interface TelemetryStackProps extends StackProps {
  readonly spec: PhaseSpec;
  readonly region: RegionSpec;
  /** Addresses subscribed to the region's alarm topic. */
  readonly alarmEmails?: readonly string[];
}

/**
 * Where a region's metrics and notifications go (Prometheus workspace, alarm topic, and Grafana
 * in the origin region, the first: a failover does not move the dashboards). Deployed before compute, which writes to it, and before monitoring,
 * whose alarms notify its topic.
 */
export class TelemetryStack extends Stack {
  readonly telemetry: Telemetry;

  constructor(scope: Construct, id: string, props: TelemetryStackProps) {
    super(scope, id, props);
    this.telemetry = new Telemetry(this, 'Telemetry', {
      spec: props.spec.monitoring,
      slo: props.spec.slo,
      eventSourcing: props.spec.compute.eventSourcing,
      grafana: props.region.region === props.spec.regions[0].region,
      regions: props.spec.regions.map((r) => r.region),
      alarmEmails: props.alarmEmails,
    });
  }
}
