/** GeoDNS: how the shop's public API name picks a region, and the health checks behind it. */

import type { RegionName } from './network';

/** Continents Route 53 geolocation records name (its two-letter continent codes). */
export type Continent = 'AF' | 'AN' | 'AS' | 'EU' | 'NA' | 'OC' | 'SA';

/**
 * How the shop's public API name (`api.<domain>`) picks a region. Latency: the region with the
 * lowest latency to the resolver. Geolocation: by the user's continent (data residency), the
 * default region for every continent not listed.
 */
export type RoutingPolicy =
  | { readonly policy: 'latency' }
  | { readonly policy: 'geolocation'; readonly continents: Readonly<Partial<Record<Continent, RegionName>>>; readonly defaultRegion: RegionName };

/**
 * GeoDNS and the health checks that take a failed region out of it. Built when the account's
 * hosted zone is given (`-c domainName= -c hostedZoneId=`).
 */
export interface DnsSpec {
  /**
   * Seconds resolvers keep the answer for `api.<domain>` (a CNAME to the chosen region's API):
   * after a failover, the longest a user keeps reaching the old region. 1 to 300.
   */
  readonly ttlSeconds: number;
  /** The routing of `api.<domain>` between the regions. Fixed once built: Route 53 cannot hold two policies for one name. */
  readonly routing: RoutingPolicy;
  /** Route 53 health check of each region's front door, on the services' checkout health path. */
  readonly healthCheck: {
    /** Seconds between checks from each checker: 10 or 30 (fixed when the check is created). */
    readonly intervalSeconds: 10 | 30;
    /** Consecutive failed checks before the region counts as unhealthy: 1 to 10. */
    readonly failureThreshold: number;
  };
}
