import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import { Construct } from 'constructs';
import { FleetPredictiveScalingSpec } from '../../phases';

/** Props for {@link FleetPredictiveScaling}. */
export interface FleetPredictiveScalingProps {
  /** The group the policy scales. */
  readonly group: autoscaling.IAutoScalingGroup;
  /** What the spec asks for. */
  readonly spec: FleetPredictiveScalingSpec;
  /** The average CPU the forecast capacity is sized for, in percent: the fleet's target-tracking target. */
  readonly targetCpuPercent: number;
}

/**
 * An EC2 Auto Scaling predictive scaling policy (L1: aws-cdk-lib has no L2 for it) on the group's
 * CPU metric pair: the group's average CPU against its running instances. Auto Scaling forecasts
 * the next 48 hours from up to 14 days of history (at least 24 hours before the first forecast),
 * launches `schedulingBufferMinutes` before each forecast hour, and never goes above the group's
 * maximum; the target-tracking policy stays and the larger of the two capacities wins.
 */
export class FleetPredictiveScaling extends Construct {
  readonly policy: autoscaling.CfnScalingPolicy;

  constructor(scope: Construct, id: string, props: FleetPredictiveScalingProps) {
    super(scope, id);
    this.policy = new autoscaling.CfnScalingPolicy(this, 'Resource', {
      autoScalingGroupName: props.group.autoScalingGroupName,
      policyType: 'PredictiveScaling',
      predictiveScalingConfiguration: {
        mode: props.spec.mode,
        schedulingBufferTime: props.spec.schedulingBufferMinutes * 60,
        maxCapacityBreachBehavior: 'HonorMaxCapacity',
        metricSpecifications: [
          {
            targetValue: props.targetCpuPercent,
            predefinedMetricPairSpecification: { predefinedMetricType: 'ASGCPUUtilization' },
          },
        ],
      },
    });
  }
}
