import { PhaseSpec, RegionName } from './spec';

/**
 * The spec of a phase after a regional failover moved its writes to `home`: that region becomes
 * the primary and every other region a secondary, the home move declared in `homeRegion`. The
 * regions keep their order (networks, peering and stack names depend on it). The result is
 * validated like any phase (phases/validate.ts).
 */
export function withHome(spec: PhaseSpec, home: string): PhaseSpec {
  const regions = spec.regions.map((r) => r.region as string);
  if (!regions.includes(home)) {
    throw new Error(`-c homeRegion=${home}: not a region of phase ${spec.name} (${regions.join(', ')}); name the region the failover moved the writes to`);
  }
  if (home === spec.regions[0].region) return spec;
  return {
    ...spec,
    homeRegion: home as RegionName,
    regions: spec.regions.map((r) => ({ ...r, role: r.region === home ? 'primary' : 'secondary' })),
  };
}
