import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { MonolithSpec } from '../../phases';
import { acknowledge } from '../nag';
import { Telemetry } from '../monitoring/telemetry';
import { AccessLogBucket } from './access-logs';
import { AppEnvironment } from './app-environment';
import { AppFleet } from './app-fleet';
import { ServiceBundle } from './delivery';
import { renderNginxConfig } from './nginx-config';

/** Props for {@link Monolith}. */
export interface MonolithProps {
  readonly spec: MonolithSpec;
  readonly vpc: ec2.IVpc;
  readonly vpcCidr: string;
  readonly appTier: ec2.ISecurityGroup;
  readonly bundle: ServiceBundle;
  readonly environment: AppEnvironment;
  readonly telemetry: Telemetry;
  readonly accessLogs: AccessLogBucket;
}

/**
 * The roadmap's first front door: an internet-facing Application Load Balancer across the
 * three AZs in front of the app servers, each running Nginx on port 80 in front of the
 * monolith on 127.0.0.1.
 *
 * Nginx runs on every app server rather than as a tier of its own: its upstream is always the
 * local process, so scaling the group never rewrites Nginx's configuration, one tier fewer
 * costs less within the first phases' budgets, and a rolling update replaces Nginx and Node
 * together. Nginx keeps the jobs the roadmap gives it: per-client rate limits, request size and
 * time limits, buffering slow clients away from Node, keep-alive to the upstream.
 */
export class Monolith extends Construct {
  readonly fleet: AppFleet;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The nginx.conf the app servers run. */
  readonly nginxConfig: string;

  constructor(scope: Construct, id: string, props: MonolithProps) {
    super(scope, id);
    this.nginxConfig = renderNginxConfig(props.spec.nginx, { trustedProxyCidr: props.vpcCidr });

    this.fleet = new AppFleet(this, 'AppServers', {
      vpc: props.vpc,
      fleet: props.spec.fleet,
      entry: 'monolith',
      bundle: props.bundle,
      environment: props.environment,
      // Only Nginx on the same host reaches Node.
      variables: { HOST: '127.0.0.1' },
      appTier: props.appTier,
      telemetry: props.telemetry,
      nginxConfig: this.nginxConfig,
    });

    const lbSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: 'Public load balancer of the app servers: HTTP from the internet',
      allowAllOutbound: false,
    });
    lbSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP from the internet');
    acknowledge(lbSecurityGroup, 'EC23', 'The public front door of the shop: it must accept HTTP from any address; only the load balancer is exposed.');

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: lbSecurityGroup,
      dropInvalidHeaderFields: true,
      idleTimeout: Duration.seconds(60),
    });
    this.loadBalancer.logAccessLogs(props.accessLogs.bucket, 'monolith');

    this.targetGroup = this.fleet.targetGroup('PublicTargets', this.loadBalancer);
    this.loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.forward([this.targetGroup]),
    });
  }
}
