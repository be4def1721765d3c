import { Annotations, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { MonolithSpec } from '../../phases';
import { checkovSkip } from '../checkov';
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
  /**
   * ACM certificate (in this region) of the shop's domain. With it the front door serves HTTPS on
   * 443 and redirects HTTP to it; without it, it serves HTTP only and synthesis warns.
   */
  readonly certificateArn?: string;
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

    const certificateArn = props.certificateArn;
    const https = certificateArn !== undefined;
    const lbSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: `Public load balancer of the app servers: ${https ? 'HTTPS, and HTTP to redirect,' : 'HTTP'} from the internet`,
      allowAllOutbound: false,
    });
    lbSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), https ? 'HTTP from the internet, redirected to HTTPS' : 'HTTP from the internet');
    if (https) lbSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from the internet');
    checkovSkip(lbSecurityGroup, 'CKV_AWS_260', 'The public front door of the shop accepts HTTP from anywhere (answered with a redirect to HTTPS once it has a certificate); only the load balancer is exposed.');
    acknowledge(lbSecurityGroup, 'EC23', 'The public front door of the shop: it must accept connections from any address; only the load balancer is exposed.');

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
    // Port 80 forwards to the app, or only redirects to HTTPS when there is a certificate.
    const http = this.loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: https ? elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }) : elbv2.ListenerAction.forward([this.targetGroup]),
    });
    if (certificateArn !== undefined) {
      this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(certificateArn)],
        // TLS 1.3 and 1.2 with forward-secret ciphers only.
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
        defaultAction: elbv2.ListenerAction.forward([this.targetGroup]),
      });
    } else {
      for (const check of ['CKV_AWS_2', 'CKV_AWS_103']) {
        checkovSkip(http, check, 'Without the shop\'s certificate (-c certificateArn=) the front door can only serve HTTP, and synthesis warns; with one, port 80 only redirects to HTTPS.');
      }
      Annotations.of(this).addWarningV2(
        'orders:plain-http-front-door',
        'The front door serves plain HTTP: pass the ACM certificate of the shop\'s domain in this region with -c certificateArn=arn:aws:acm:REGION:ACCOUNT:certificate/ID (or in cdk.json) to serve HTTPS and redirect HTTP.',
      );
    }
  }
}
