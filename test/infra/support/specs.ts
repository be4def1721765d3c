import { PHASES, PhaseSpec, PhaseSpecError, validatePhase } from '../../../phases';

/** A deep copy of a phase spec that a test may change freely. */
export function copy(name: keyof typeof PHASES): { -readonly [K in keyof PhaseSpec]: any } {
  return structuredClone(PHASES[name]);
}

/** The message validation gives for a spec, or undefined when it is valid. */
export function problems(spec: PhaseSpec, previous?: PhaseSpec): string | undefined {
  try {
    validatePhase(spec, previous);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(PhaseSpecError);
    return (error as Error).message;
  }
}
