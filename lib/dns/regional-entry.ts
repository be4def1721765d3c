import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { RegionName } from '../../phases';
import { ShopDomain, apiName, regionalApiName } from './names';

/** A region's public front door: the 1k-10k load balancer, or API Gateway from 30k on. */
export type FrontDoor =
  | { readonly kind: 'load-balancer'; readonly loadBalancer: elbv2.IApplicationLoadBalancer }
  | { readonly kind: 'api'; readonly api: apigw.IHttpApi; readonly stage: apigw.IHttpStage };

/** The shop's hosted zone, imported by ID; records are named in full, so the zone may hold a parent domain. */
export function shopZone(scope: Construct, domain: ShopDomain): route53.IHostedZone {
  return route53.HostedZone.fromHostedZoneAttributes(scope, 'ShopZone', { hostedZoneId: domain.hostedZoneId, zoneName: domain.domainName });
}

/**
 * The region's certificate for `api.<domain>` and `<region>.api.<domain>`: the one given with
 * `-c certificateArn=` (it must cover both names), or else one ACM issues, validated through
 * records CloudFormation writes in the shop's hosted zone (the deploy waits for the validation,
 * usually a few minutes).
 */
export function regionalCertificate(scope: Construct, domain: ShopDomain, region: RegionName, givenArn: string | undefined): acm.ICertificate {
  if (givenArn !== undefined) return acm.Certificate.fromCertificateArn(scope, 'ShopCertificate', givenArn);
  return new acm.Certificate(scope, 'ShopCertificate', {
    domainName: apiName(domain),
    subjectAlternativeNames: [regionalApiName(domain, region)],
    validation: acm.CertificateValidation.fromDns(shopZone(scope, domain)),
  });
}

/** Props for {@link RegionalEntry}. */
export interface RegionalEntryProps {
  readonly domain: ShopDomain;
  readonly region: RegionName;
  readonly certificate: acm.ICertificate;
  readonly frontDoor: FrontDoor;
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
