import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { Ec2ServicesSpec, ServiceName } from '../../phases';
import { Telemetry } from '../monitoring/telemetry';
import { constructId } from '../naming';
import { AppEnvironment } from './app-environment';
import { AppFleet } from './app-fleet';
import { ServiceBundle } from './delivery';
import { calledBy } from './routes';

/** Props for {@link Ec2Services}. */
export interface Ec2ServicesProps {
  readonly spec: Ec2ServicesSpec;
  readonly vpc: ec2.IVpc;
  readonly appTier: ec2.ISecurityGroup;
  readonly bundle: ServiceBundle;
  readonly environment: AppEnvironment;
  readonly telemetry: Telemetry;
  /** The internal load balancer that routes by path; services also call each other through it. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
}

/**
 * Each service on its own Auto Scaling group with its own CPU target-tracking policy, so that
 * each scales on its own; all behind the internal load balancer, which routes by path.
 */
export class Ec2Services extends Construct {
  readonly fleets: ReadonlyMap<ServiceName, AppFleet>;
  readonly targetGroups: ReadonlyMap<ServiceName, elbv2.ApplicationTargetGroup>;

  constructor(scope: Construct, id: string, props: Ec2ServicesProps) {
    super(scope, id);
    const fleets = new Map<ServiceName, AppFleet>();
    const groups = new Map<ServiceName, elbv2.ApplicationTargetGroup>();
    const gatewayUrl = `http://${props.loadBalancer.loadBalancerDnsName}`;
    for (const { name, fleet } of props.spec.services) {
      const serviceUrls = Object.fromEntries(calledBy(name).map((target) => [target, gatewayUrl]));
      const appFleet = new AppFleet(this, constructId(name), {
        vpc: props.vpc,
        fleet,
        entry: name,
        bundle: props.bundle,
        environment: props.environment,
        variables: props.environment.variables(serviceUrls),
        appTier: props.appTier,
        telemetry: props.telemetry,
      });
      fleets.set(name, appFleet);
      groups.set(name, appFleet.targetGroup('Targets', props.loadBalancer));
    }
    this.fleets = fleets;
    this.targetGroups = groups;
  }
}
