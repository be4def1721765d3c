import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpAlbIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { checkovSkip } from '../checkov';
import { Construct } from 'constructs';
import { GatewaySpec, SERVICE_NAMES, ServiceName, TrafficWeights } from '../../phases';
import { SUBNET_GROUPS } from '../constructs/network';
import { constructId } from '../naming';
import { acknowledge } from '../nag';
import { AccessLogBucket } from './access-logs';
import { OriginVerification } from './origin-verification';
import { CHECKOUT_HEALTH_PATH, SERVICE_ROUTES } from './routes';

/** Target groups that can take a service's traffic, by backend. */
export interface ServiceBackends {
  /** The monolith's app servers: one target group serving every path. */
  readonly monolith?: elbv2.IApplicationTargetGroup;
  /** Each service's EC2 group. */
  readonly ec2Services?: ReadonlyMap<ServiceName, elbv2.IApplicationTargetGroup>;
  /** Each service's pods (IP targets bound by the AWS Load Balancer Controller). */
  readonly eks?: ReadonlyMap<ServiceName, elbv2.IApplicationTargetGroup>;
}

/** The internal load balancer's HTTP port: API Gateway's VPC link, and secondary regions forwarding writes. */
export const GATEWAY_PORT = 80;

/** Props for {@link Gateway}. */
export interface GatewayProps {
  readonly spec: GatewaySpec;
  readonly vpc: ec2.IVpc;
  readonly accessLogs: AccessLogBucket;
  /** The key the API's access log group is encrypted with (the region's Logs key). */
  readonly logKey: kms.IKey;
  /**
   * Whether the API answers only requests that came through the edge (`edge.originProtection`,
   * in a region the edge sends requests to): every route but the checkout health path checks the
   * edge's secret header.
   */
  readonly behindEdge?: boolean;
}

/** Listener rule priority of each service: fixed, so that a phase never reorders rules. */
const RULE_PRIORITY: Readonly<Record<ServiceName, number>> = {
  user: 10,
  product: 20,
  order: 30,
  inventory: 40,
  payment: 50,
  shipping: 60,
  notification: 70,
  analytics: 80,
};

/**
 * API Gateway (HTTP API) in front of the services, reaching them through a VPC link to an
 * internal Application Load Balancer. The load balancer routes by path, one rule per
 * service, and each rule splits the service's traffic between the backends present by the
 * spec's weights: this is how traffic moves from the monolith to the services, and from EC2 to
 * EKS, 10% → 50% → 100%, without a client noticing.
 */
export class Gateway extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.IHttpStage;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  readonly securityGroup: ec2.SecurityGroup;
  /** The origin check, when the API answers only the edge. */
  readonly originVerification?: OriginVerification;

  constructor(scope: Construct, id: string, private readonly props: GatewayProps) {
    super(scope, id);
    const { vpc } = props;

    this.securityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc,
      description: 'Internal service load balancer: HTTP from the VPC (API Gateway VPC link, services calling services)',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(GATEWAY_PORT), 'HTTP from inside the VPC');
    acknowledge(this.securityGroup, 'EC23', 'The rule admits the VPC CIDR (a token the rule cannot read), not 0.0.0.0/0; the load balancer is internal.');

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: false,
      // Subnets of its own (with the scraper): pods' NetworkPolicies admit these CIDRs, which hold no pod.
      vpcSubnets: { subnetGroupName: SUBNET_GROUPS.ingress },
      securityGroup: this.securityGroup,
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(props.accessLogs.bucket, 'services');
    this.listener = this.loadBalancer.addListener('Http', {
      port: GATEWAY_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'application/json', messageBody: '{"error":"ROUTE_NOT_FOUND"}' }),
    });
    for (const check of ['CKV_AWS_2', 'CKV_AWS_103']) {
      checkovSkip(
        this.listener,
        check,
        'The internal load balancer is reached only through API Gateway\'s VPC link (clients\' TLS ends at API Gateway) and from the other regions\' services over inter-region peering, which AWS encrypts.',
      );
    }

    const accessLog = new logs.LogGroup(this, 'AccessLog', {
      retention: logs.RetentionDays.THREE_MONTHS,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'Order platform API: routes by path to the services',
      createDefaultStage: false,
    });
    this.stage = this.api.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.spec.throttleRatePerSecond, burstLimit: props.spec.throttleBurst },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLog) },
    });

    // The VPC link gets its own group: without one it would use the VPC's default group, which
    // the network stack strips of every rule.
    const linkSecurityGroup = new ec2.SecurityGroup(this, 'VpcLinkSecurityGroup', {
      vpc,
      description: 'API Gateway VPC link: to the internal load balancer only',
      allowAllOutbound: false,
    });
    linkSecurityGroup.addEgressRule(ec2.Peer.securityGroupId(this.securityGroup.securityGroupId), ec2.Port.tcp(GATEWAY_PORT), 'To the internal load balancer');
    // Its network interfaces talk only to the load balancer (the group above), never to pods, so
    // they stay where they are: a VPC link's subnets cannot change without replacing it.
    const vpcLink = new apigw.VpcLink(this, 'VpcLink', {
      vpc,
      subnets: { subnetGroupName: SUBNET_GROUPS.private },
      securityGroups: [linkSecurityGroup],
    });
    const integration = new HttpAlbIntegration('Services', this.listener, { vpcLink });
    this.originVerification = props.behindEdge ? new OriginVerification(this, 'OriginVerification', { logKey: props.logKey }) : undefined;
    for (const service of SERVICE_NAMES) {
      for (const path of SERVICE_ROUTES[service].apiRoutes) {
        // Route 53's health checks call the checkout health path directly and cannot add a header.
        const authorizer = path === CHECKOUT_HEALTH_PATH ? undefined : this.originVerification?.authorizer;
        const [route] = this.api.addRoutes({ path, methods: [apigw.HttpMethod.ANY], integration, authorizer });
        if (!authorizer) {
          acknowledge(
            route,
            'APIG4',
            path === CHECKOUT_HEALTH_PATH && this.originVerification
              ? 'Route 53 health checks call this path directly and cannot send the edge\'s header; it answers only whether the region can take a checkout.'
              : 'The order API is public by design (catalogue, checkout with idempotency keys); customer authentication is the user service\'s job and an authorizer is added when it issues tokens.',
          );
        }
      }
    }
  }

  /**
   * Adds each service's path rule, forwarding to the backends present with the spec's weights.
   * A backend whose weight is absent or 0 still gets its target group registered, so that the
   * next weight change is an in-place update of the rule.
   */
  route(backends: ServiceBackends): void {
    const weights: TrafficWeights = this.props.spec.weights;
    for (const service of SERVICE_NAMES) {
      const targets: elbv2.WeightedTargetGroup[] = [];
      if (backends.monolith) targets.push({ targetGroup: backends.monolith, weight: weights.monolith ?? 0 });
      const ec2Group = backends.ec2Services?.get(service);
      if (ec2Group) targets.push({ targetGroup: ec2Group, weight: weights.ec2Services ?? 0 });
      const eksGroup = backends.eks?.get(service);
      if (eksGroup) targets.push({ targetGroup: eksGroup, weight: weights.eks ?? 0 });
      if (targets.length === 0) throw new Error(`Gateway: no backend for service ${service}`);
      this.listener.addAction(`${constructId(service)}Route`, {
        priority: RULE_PRIORITY[service],
        conditions: [elbv2.ListenerCondition.pathPatterns([...SERVICE_ROUTES[service].pathPatterns])],
        action:
          targets.length === 1
            ? elbv2.ListenerAction.forward([targets[0].targetGroup])
            : elbv2.ListenerAction.weightedForward(targets),
      });
    }
  }
}
