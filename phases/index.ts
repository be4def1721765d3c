import { PHASE_10K } from './10k';
import { PHASE_1K } from './1k';
import { PHASE_1M } from './1m';
import { PHASE_30K } from './30k';
import { PHASE_50K } from './50k';
import { PHASE_70K } from './70k';
import { PHASE_NAMES, PhaseName, PhaseSpec } from './spec';
import { validatePhase } from './validate';

export * from './spec';
export { withHome } from './home';
export { PhaseSpecError, RULES, validatePhase } from './validate';
export { COMPUTE_RULES } from './rules/compute';
export { partitionsPerBroker } from './rules/streaming';

/** Every phase's spec, in upgrade order. */
export const PHASES: Readonly<Record<PhaseName, PhaseSpec>> = {
  '1k': PHASE_1K,
  '10k': PHASE_10K,
  '30k': PHASE_30K,
  '50k': PHASE_50K,
  '70k': PHASE_70K,
  '1m': PHASE_1M,
};

/** Thrown for a phase name that is not one of the roadmap's phases. */
export class UnknownPhaseError extends Error {
  constructor(readonly given: unknown) {
    super(
      given === undefined || given === ''
        ? `No phase given. Pass one with -c phase=NAME; valid phases: ${PHASE_NAMES.join(', ')}.`
        : `Unknown phase ${JSON.stringify(given)}. Valid phases: ${PHASE_NAMES.join(', ')}.`,
    );
    this.name = 'UnknownPhaseError';
  }
}

/** Whether a value names one of the roadmap's phases. */
function isPhaseName(value: unknown): value is PhaseName {
  return typeof value === 'string' && (PHASE_NAMES as readonly string[]).includes(value);
}

/** The phase before `name`, or undefined for the first phase. */
export function previousPhase(name: PhaseName, phases: Readonly<Record<PhaseName, PhaseSpec>> = PHASES): PhaseSpec | undefined {
  const index = PHASE_NAMES.indexOf(name);
  return index > 0 ? phases[PHASE_NAMES[index - 1]] : undefined;
}

/**
 * The validated spec of a phase. Checks the phase against its own rules and against the phase
 * before it, so that no phase shrinks or downgrades what its predecessor had.
 */
export function loadPhase(name: unknown, phases: Readonly<Record<PhaseName, PhaseSpec>> = PHASES): PhaseSpec {
  if (!isPhaseName(name)) throw new UnknownPhaseError(name);
  const spec = phases[name];
  validatePhase(spec, previousPhase(name, phases));
  return spec;
}
