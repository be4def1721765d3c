/**
 * The one entry that checks a phase spec: every concern's rules (`rules/<concern>.ts`), then
 * every concern's no-shrink rows against the phase before, all reported in one error. Both run
 * concern by concern in the order of `PhaseSpec`'s fields, so the problems are listed that way.
 */

import type { PhaseSpec } from './spec';
import { CACHE_NO_SHRINK, CACHE_RULES } from './rules/cache';
import { COMPUTE_NO_SHRINK, COMPUTE_RULES } from './rules/compute';
import { DATA_NO_SHRINK, DATA_RULES } from './rules/data';
import { DNS_NO_SHRINK, DNS_RULES } from './rules/dns';
import { FLAG_RULES } from './rules/flags';
import { MONITORING_RULES } from './rules/monitoring';
import { NETWORK_NO_SHRINK, NETWORK_RULES } from './rules/network';
import { PHASE_NO_SHRINK } from './rules/phase';
import { NoShrinkRow, ValidationRule, Violation, noShrinkViolations } from './rules/rule';
import { STREAMING_NO_SHRINK, STREAMING_RULES } from './rules/streaming';

/** Thrown when a phase spec breaks one or more rules; the message lists every violation. */
export class PhaseSpecError extends Error {
  constructor(
    readonly phase: string,
    readonly violations: readonly Violation[],
  ) {
    super(
      `Phase spec "${phase}" is invalid (${violations.length} ${violations.length === 1 ? 'problem' : 'problems'}):\n` +
        violations.map((v) => `  - ${v.field} = ${JSON.stringify(v.value)}: ${v.rule}`).join('\n'),
    );
    this.name = 'PhaseSpecError';
  }
}

/** What no phase move may shrink, turn off or change: every concern's rows. */
const NO_SHRINK_ROWS: readonly NoShrinkRow[] = [
  ...PHASE_NO_SHRINK,
  ...NETWORK_NO_SHRINK,
  ...DATA_NO_SHRINK,
  ...CACHE_NO_SHRINK,
  ...STREAMING_NO_SHRINK,
  ...COMPUTE_NO_SHRINK,
  ...DNS_NO_SHRINK,
];

/** The rules, each with its own test: every concern's, then the no-shrink rows. */
export const RULES: readonly ValidationRule[] = [
  ...NETWORK_RULES,
  ...DATA_RULES,
  ...CACHE_RULES,
  ...STREAMING_RULES,
  ...COMPUTE_RULES,
  ...MONITORING_RULES,
  ...DNS_RULES,
  ...FLAG_RULES,
  {
    id: 'no-shrink-or-downgrade',
    check: (s, previous) => (previous ? noShrinkViolations(NO_SHRINK_ROWS, s, previous) : []),
  },
];

/**
 * Checks a spec against every rule (and against the phase before it, when given) and throws one
 * error that lists every violation.
 */
export function validatePhase(spec: PhaseSpec, previous?: PhaseSpec): void {
  const violations = RULES.flatMap((rule) => rule.check(spec, previous));
  if (violations.length > 0) throw new PhaseSpecError(spec.name, violations);
}
