import { ComputeSpec, PhaseSpec, TrafficWeights } from '../../phases';

/** The backends API Gateway can route a service's paths to. */
const BACKENDS = ['monolith', 'ec2Services', 'eks'] as const;
type Backend = (typeof BACKENDS)[number];

/** Thrown when a side-by-side step cannot be built from the two specs. */
export class SideBySideError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SideBySideError';
  }
}

/**
 * The intermediate step of a move between two phases: `spec` with the compute of `previous` kept
 * beside its own, and API Gateway sending `percentToNew` percent of every service path to the
 * compute `spec` adds (the services at 30k, EKS at 50k) and the rest to what `previous` ran.
 *
 * Deploying it at 10, then 50, then 100 is the roadmap's gradual migration; deploying `spec`
 * itself afterwards removes the old compute. Going back to a lower percentage, or to
 * `previous`, is the rollback. Pure: the spec is still validated by the phase rules.
 */
export function sideBySide(spec: PhaseSpec, previous: PhaseSpec, percentToNew: number): PhaseSpec {
  if (!Number.isInteger(percentToNew) || percentToNew < 0 || percentToNew > 100) {
    throw new SideBySideError(`percentToNew = ${JSON.stringify(percentToNew)}: must be a whole percentage from 0 to 100`);
  }
  if (!spec.compute.gateway) throw new SideBySideError(`phase ${spec.name} has no API Gateway, so traffic cannot be split; a side-by-side step needs compute.gateway`);
  const present = (c: ComputeSpec, b: Backend) => c[b] !== undefined;
  const added = BACKENDS.filter((b) => present(spec.compute, b) && !present(previous.compute, b));
  const kept = BACKENDS.filter((b) => present(previous.compute, b) && !present(spec.compute, b));
  if (added.length === 0 || kept.length === 0) {
    throw new SideBySideError(`phase ${spec.name} runs the same compute as ${previous.name}; there is nothing to move side by side`);
  }
  const weights: { -readonly [K in keyof TrafficWeights]: number } = {};
  const share = (backends: readonly Backend[], total: number) =>
    backends.forEach((b, i) => (weights[b] = i === 0 ? total - Math.floor(total / backends.length) * (backends.length - 1) : Math.floor(total / backends.length)));
  share(added, percentToNew);
  share(kept, 100 - percentToNew);
  const compute: ComputeSpec = {
    ...spec.compute,
    ...Object.fromEntries(kept.map((b) => [b, previous.compute[b]])),
    gateway: { ...spec.compute.gateway, weights },
  };
  return { ...spec, compute };
}
