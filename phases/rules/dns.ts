/** Rules over `dns`: Route 53's health-check bounds, and geolocation that names only the phase's regions. */

import { NoShrinkRow, ValidationRule, violation } from './rule';

/** Rules over `dns`. */
export const DNS_RULES: readonly ValidationRule[] = [
  {
    id: 'dns-health-check',
    check: (s) => {
      const h = s.dns.healthCheck;
      return [
        ...([10, 30].includes(h.intervalSeconds) ? [] : [violation('dns.healthCheck.intervalSeconds', h.intervalSeconds, 'must be 10 or 30: the intervals Route 53 health checks offer')]),
        ...(Number.isInteger(h.failureThreshold) && h.failureThreshold >= 1 && h.failureThreshold <= 10
          ? []
          : [violation('dns.healthCheck.failureThreshold', h.failureThreshold, 'must be a whole number from 1 to 10 (Route 53)')]),
        ...(Number.isInteger(s.dns.ttlSeconds) && s.dns.ttlSeconds >= 1 && s.dns.ttlSeconds <= 300
          ? []
          : [violation('dns.ttlSeconds', s.dns.ttlSeconds, 'must be a whole number of seconds from 1 to 300: it bounds how long users keep reaching a failed region')]),
      ];
    },
  },
  {
    id: 'dns-geolocation-regions',
    check: (s) => {
      const r = s.dns.routing;
      if (r.policy !== 'geolocation') return [];
      const regions = s.regions.map((x) => x.region as string);
      const rule = `must be one of the phase's regions (${regions.join(', ')})`;
      return [
        ...Object.entries(r.continents)
          .filter(([, region]) => !regions.includes(region as string))
          .map(([continent, region]) => violation(`dns.routing.continents.${continent}`, region, rule)),
        ...(regions.includes(r.defaultRegion) ? [] : [violation('dns.routing.defaultRegion', r.defaultRegion, rule)]),
      ];
    },
  },
];

/** What a phase move may not do to `dns`. */
export const DNS_NO_SHRINK: readonly NoShrinkRow[] = [
  {
    field: 'dns.routing.policy',
    read: (s) => [['dns', s.dns.routing.policy]],
    kind: 'fixed',
    why: 'Route 53 cannot hold latency and geolocation records for one name: a change would take api.<domain> out of DNS between the deletes and the creates',
  },
];
