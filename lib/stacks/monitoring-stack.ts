import { Stack, StackProps } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import { Construct } from 'constructs';
import { PhaseSpec, RegionSpec } from '../../phases';
import { REGION_CODES } from '../naming';
import { RoadmapAlarms, WatchedResources } from '../monitoring/alarms';
import { PlatformDashboard } from '../monitoring/dashboard';
import { Telemetry } from '../monitoring/telemetry';
import { ComputeStack } from './compute-stack';
import { DataStack } from './data-stack';

/** Props for {@link MonitoringStack}. */
export interface MonitoringStackProps extends StackProps {
  readonly spec: PhaseSpec;
  readonly region: RegionSpec;
  readonly compute: ComputeStack;
  /** This region's data stack (its PostgreSQL fleet, when it holds one, is watched). */
  readonly data: DataStack;
  readonly telemetry: Telemetry;
}

/**
 * A region's alarms and dashboard, over the compute and data stacks: the roadmap's rollback
 * thresholds and next-phase triggers, notifying the telemetry stack's SNS topic.
 */
export class MonitoringStack extends Stack {
  readonly alarms: RoadmapAlarms;
  readonly dashboard: PlatformDashboard;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { spec, compute, data } = props;
    const databases = new Map([...(data.postgres?.databases.entries() ?? [])].map(([dbId, db]) => [dbId, { instance: db.instance, replicas: db.replicas }] as const));
    const watched: WatchedResources = {
      publicLoadBalancer: compute.monolith?.loadBalancer,
      api: compute.gateway?.api,
      targetGroups: compute.watchedTargetGroups,
      databases,
      crossRegionReplicas: new Map([...(data.postgresReplicas?.replicas ?? [])].map(([dbId, r]) => [dbId, r.replica] as const)),
    };
    this.alarms = new RoadmapAlarms(this, 'Alarms', {
      spec: spec.monitoring,
      slo: spec.slo,
      topic: props.telemetry.topic,
      watched,
      capacity: props.region.role === 'primary',
    });
    const fleets = new Map<string, autoscaling.AutoScalingGroup>(compute.fleets);
    this.dashboard = new PlatformDashboard(this, 'Dashboard', {
      watched,
      fleets,
      alarms: this.alarms.alarms,
      regionCode: REGION_CODES[props.region.region],
    });
  }
}
