import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { RegionName } from '../../phases';
import { ShopDomain, apiName, originApiName, regionalApiName } from './names';

/** A region's public front door: the 1k-10k load balancer, or API Gateway from 30k on. */
export type FrontDoor =
  | { readonly kind: 'load-balancer'; readonly loadBalancer: elbv2.IApplicationLoadBalancer }
  | { readonly kind: 'api'; readonly api: apigw.IHttpApi; readonly stage: apigw.IHttpStage };

/** The shop's hosted zone, imported by ID; records are named in full, so the zone may hold a parent domain. */
export function shopZone(scope: Construct, domain: ShopDomain): route53.IHostedZone {
  return route53.HostedZone.fromHostedZoneAttributes(scope, 'ShopZone', { hostedZoneId: domain.hostedZoneId, zoneName: domain.domainName });
}

/**
 * The region's certificate for `api.<domain>` and `<region>.api.<domain>`, and `origin.api.<domain>`
 * when the API sits behind the edge: the one given with `-c certificateArn=` (it must cover those
 * names), or else one ACM issues, validated through records CloudFormation writes in the shop's
 * hosted zone (the deploy waits for the validation, usually a few minutes). In us-east-1 the edge
 * uses it for `api.<domain>` too.
 */
export function regionalCertificate(scope: Construct, domain: ShopDomain, region: RegionName, givenArn: string | undefined, behindEdge = false): acm.ICertificate {
  if (givenArn !== undefined) return acm.Certificate.fromCertificateArn(scope, 'ShopCertificate', givenArn);
  return new acm.Certificate(scope, 'ShopCertificate', {
    domainName: apiName(domain),
    subjectAlternativeNames: [regionalApiName(domain, region), ...(behindEdge ? [originApiName(domain)] : [])],
    validation: acm.CertificateValidation.fromDns(shopZone(scope, domain)),
  });
}

/** Props for {@link RegionalEntry}. */
export interface RegionalEntryProps {
  readonly domain: ShopDomain;
  readonly region: RegionName;
  readonly certificate: acm.ICertificate;
  readonly frontDoor: FrontDoor;
  /**
   * Whether users reach the API through the edge: `api.<domain>` then names the distribution, and
   * the API gets `origin.api.<domain>`, the name the edge forwards to.
   */
  readonly behindEdge?: boolean;
}

/**
 * One region's public names. `<region>.api.<domain>` always reaches this region (the health
 * checks and operators use it); `api.<domain>` is served here too, and the global DNS stack
 * routes it to a healthy region through {@link RegionalEntry.apiDnsName}. With API Gateway each
 * name is a regional custom domain with the region's certificate; the load balancer serves both
 * names on its HTTPS listener.
 */
export class RegionalEntry extends Construct {
  /** The DNS name `api.<domain>` points to (a CNAME) when it routes users to this region. */
  readonly apiDnsName: string;
  /** Behind the edge: the DNS name `origin.api.<domain>` points to when it routes the edge to this region. */
  readonly originDnsName?: string;

  constructor(scope: Construct, id: string, props: RegionalEntryProps) {
    super(scope, id);
    const { domain, region, certificate, frontDoor } = props;
    const zone = shopZone(this, domain);
    let regional: route53.IAliasRecordTarget;
    if (frontDoor.kind === 'api') {
      const custom = (cid: string, name: string) => {
        const domainName = new apigw.DomainName(this, cid, { domainName: name, certificate, securityPolicy: apigw.SecurityPolicy.TLS_1_2 });
        new apigw.ApiMapping(this, `${cid}Mapping`, { api: frontDoor.api, domainName, stage: frontDoor.stage });
        return domainName;
      };
      const shared = custom('ApiDomain', apiName(domain));
      const own = custom('RegionalDomain', regionalApiName(domain, region));
      if (props.behindEdge) this.originDnsName = custom('OriginDomain', originApiName(domain)).regionalDomainName;
      regional = new targets.ApiGatewayv2DomainProperties(own.regionalDomainName, own.regionalHostedZoneId);
      this.apiDnsName = shared.regionalDomainName;
    } else {
      regional = new targets.LoadBalancerTarget(frontDoor.loadBalancer);
      this.apiDnsName = frontDoor.loadBalancer.loadBalancerDnsName;
    }
    new route53.ARecord(this, 'RegionalName', {
      zone,
      recordName: regionalApiName(domain, region),
      target: route53.RecordTarget.fromAlias(regional),
      comment: `The order API in ${region} only`,
    });
  }
}
