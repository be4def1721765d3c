import { RegionName } from '../../phases';

/**
 * The shop's public DNS, given per account: `-c domainName=shop.example.com -c hostedZoneId=Z…`
 * (an existing public hosted zone that holds the domain). Without both, no DNS is built.
 */
export interface ShopDomain {
  /** The shop's domain; the API is `api.<domainName>`. */
  readonly domainName: string;
  /** The public hosted zone that holds `domainName`. */
  readonly hostedZoneId: string;
}

/** The name users call, routed by Route 53 to a healthy region. */
export const apiName = (domain: ShopDomain): string => `api.${domain.domainName}`;

/** One region's own name for its front door: what the health checks call, and what operators use to reach one region. */
export const regionalApiName = (domain: ShopDomain, region: RegionName): string => `${region}.api.${domain.domainName}`;

/**
 * Where the edge (CloudFront) sends the requests it does not answer itself, when the API sits
 * behind it: routed by Route 53 like `api.<domain>` was, to a healthy region's API.
 */
export const originApiName = (domain: ShopDomain): string => `origin.api.${domain.domainName}`;

// Labels of letters, digits and hyphens (not at either end), at least two labels, 253 characters at most.
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;

/** The warning synthesis prints once when the shop's domain is not given. */
export const NO_DOMAIN_WARNING =
  'No shop domain given: no regional names, GeoDNS or health checks are built. Pass -c domainName=shop.example.com ' +
  '-c hostedZoneId=Z... (an existing public hosted zone holding the domain) to build them.';

/**
 * The shop's domain from the two context values, checked: both or neither, each well-formed.
 * Errors name the value and the rule.
 */
export function shopDomain(domainName: string | undefined, hostedZoneId: string | undefined): ShopDomain | undefined {
  if (domainName === undefined && hostedZoneId === undefined) return undefined;
  if (domainName === undefined) throw new Error(`hostedZoneId = ${hostedZoneId}: give -c domainName= too (the domain the zone holds)`);
  if (hostedZoneId === undefined) throw new Error(`domainName = ${domainName}: give -c hostedZoneId= too (the public hosted zone that holds it)`);
  if (!DOMAIN.test(domainName)) throw new Error(`domainName = ${domainName}: must be a lower-case DNS name such as shop.example.com, without a trailing dot`);
  if (!HOSTED_ZONE_ID.test(hostedZoneId)) throw new Error(`hostedZoneId = ${hostedZoneId}: must be a Route 53 hosted zone ID (Z followed by upper-case letters and digits)`);
  return { domainName, hostedZoneId };
}
