/** Rules over `regions`: one primary (the home region after a failover), no undeclared role change, three AZs, distinct VPC CIDRs, NAT gateways. */

import { AZ_COUNT } from '../limits';
import { NoShrinkRow, ValidationRule, violation } from './rule';

/** Rules over `regions`. */
export const NETWORK_RULES: readonly ValidationRule[] = [
  {
    id: 'one-primary-region',
    check: (s) => {
      const primaries = s.regions.filter((r) => r.role === 'primary').map((r) => r.region);
      if (s.homeRegion === undefined) {
        return primaries.length === 1 && s.regions[0]?.role === 'primary'
          ? []
          : [violation('regions[].role', primaries, 'exactly one region must be primary, and it must be listed first')];
      }
      const regions = s.regions.map((r) => r.region);
      if (!regions.includes(s.homeRegion) || s.homeRegion === regions[0]) {
        return [violation('homeRegion', s.homeRegion, `must be one of the phase's regions other than the first (${regions.slice(1).join(', ')}): the region a failover moved the writes to`)];
      }
      return primaries.length === 1 && primaries[0] === s.homeRegion
        ? []
        : [violation('regions[].role', primaries, `exactly one region must be primary: homeRegion ${s.homeRegion}`)];
    },
  },
  {
    id: 'role-change-declared',
    check: (s, previous) => {
      if (!previous || s.homeRegion !== undefined) return [];
      const before = new Map(previous.regions.map((r) => [r.region, r.role]));
      return s.regions
        .filter((r) => before.has(r.region) && before.get(r.region) !== r.role)
        .map((r) =>
          violation(
            `regions[${r.region}].role`,
            r.role,
            `phase ${previous.name} had ${JSON.stringify(before.get(r.region))}; a phase move never changes which region takes the writes: that is a regional failover, ` +
              'and after one the new home is declared with -c homeRegion=REGION (phases/home.ts)',
          ),
        );
    },
  },
  {
    id: 'three-azs',
    check: (s) =>
      s.regions.flatMap((r) => {
        const bad = r.availabilityZones.length !== AZ_COUNT || new Set(r.availabilityZones).size !== AZ_COUNT;
        const foreign = r.availabilityZones.filter((az) => !az.startsWith(r.region) || !/^[a-z]$/.test(az.slice(r.region.length)));
        return [
          ...(bad ? [violation(`regions[${r.region}].availabilityZones`, r.availabilityZones, `must list exactly ${AZ_COUNT} distinct AZs`)] : []),
          ...(foreign.length ? [violation(`regions[${r.region}].availabilityZones`, foreign, `each AZ must be in ${r.region} (e.g. ${r.region}a)`)] : []),
        ];
      }),
  },
  {
    id: 'distinct-vpc-cidrs',
    check: (s) => {
      const cidrs = s.regions.map((r) => r.vpcCidr);
      const bad = s.regions.filter((r) => !/^10\.\d{1,3}\.0\.0\/16$/.test(r.vpcCidr));
      return [
        ...bad.map((r) => violation(`regions[${r.region}].vpcCidr`, r.vpcCidr, 'must be a /16 inside 10.0.0.0/8 of the form 10.N.0.0/16')),
        ...(new Set(cidrs).size !== cidrs.length ? [violation('regions[].vpcCidr', cidrs, 'each region needs its own CIDR so that VPCs can be peered')] : []),
      ];
    },
  },
  {
    id: 'nat-gateways',
    check: (s) =>
      s.regions
        .filter((r) => !Number.isInteger(r.natGateways) || r.natGateways < 1 || r.natGateways > AZ_COUNT)
        .map((r) => violation(`regions[${r.region}].natGateways`, r.natGateways, `must be a whole number from 1 to ${AZ_COUNT} (at most one per AZ)`)),
  },
];

/** What a phase move may not do to `regions`. */
export const NETWORK_NO_SHRINK: readonly NoShrinkRow[] = [
  {
    field: 'regions[].region',
    read: (s) => s.regions.map((r) => [r.region, true] as const),
    kind: 'never-turns-off',
    why: 'a region, once built, is never dropped by a later phase',
  },
  {
    field: 'regions[].availabilityZones',
    read: (s) => s.regions.map((r) => [r.region, r.availabilityZones.join(',')] as const),
    kind: 'fixed',
    why: 'a VPC cannot move its subnets to other AZs in place',
  },
  {
    field: 'regions[].vpcCidr',
    read: (s) => s.regions.map((r) => [r.region, r.vpcCidr] as const),
    kind: 'fixed',
    why: 'changing a VPC CIDR replaces the VPC and everything in it',
  },
  {
    field: 'regions[].natGateways',
    read: (s) => s.regions.map((r) => [r.region, r.natGateways] as const),
    kind: 'never-shrinks',
    why: 'egress capacity never shrinks',
  },
];
