/**
 * What every rule file shares: the shape of a rule, of a broken rule, and of a no-shrink row,
 * the one helper that makes a violation, and the check that runs no-shrink rows.
 */

import type { PhaseSpec } from '../spec';

/** One broken rule: which field, what value it had, and what the rule wants. */
export interface Violation {
  readonly field: string;
  readonly value: unknown;
  readonly rule: string;
}

/** A rule over one spec, or over a spec and the phase before it. */
export interface ValidationRule {
  /** Short identifier, used in tests. */
  readonly id: string;
  /** Returns the violations; empty when the spec obeys the rule. */
  readonly check: (spec: PhaseSpec, previous: PhaseSpec | undefined) => Violation[];
}

/** The violation of `rule` by `field`, which holds `value`. */
export function violation(field: string, value: unknown, rule: string): Violation {
  return { field, value, rule };
}

/**
 * A value that a phase move may not shrink, turn off or change, read from both specs by key:
 * items that share a key (an instance ID, a region, a topic) are compared.
 */
export interface NoShrinkRow {
  /** The field, with `[]` where the key goes. */
  readonly field: string;
  /** The keyed values of a spec. */
  readonly read: (spec: PhaseSpec) => ReadonlyArray<readonly [key: string, value: number | boolean | string | undefined]>;
  /**
   * `never-shrinks`: a number that may only grow or stay; `never-turns-off`: once `true`, stays `true`;
   * `fixed`: once set, never changes.
   */
  readonly kind: 'never-shrinks' | 'never-turns-off' | 'fixed';
  /** Why, in the words of the violation's message. */
  readonly why: string;
}

/** The violations of `rows` by a move from `previous` to `spec`. */
export function noShrinkViolations(rows: readonly NoShrinkRow[], spec: PhaseSpec, previous: PhaseSpec): Violation[] {
  const found: Violation[] = [];
  for (const row of rows) {
    const now = new Map(row.read(spec));
    for (const [key, before] of row.read(previous)) {
      const after = now.get(key);
      const field = row.field.replace('[]', `[${key}]`);
      const prefix = `phase ${previous.name} had ${JSON.stringify(before)}`;
      if (row.kind === 'never-turns-off' && before === true && after !== true) {
        found.push(violation(field, after ?? null, `${prefix}; ${row.why}`));
      } else if (row.kind === 'fixed' && after !== undefined && after !== before) {
        found.push(violation(field, after, `${prefix}; it must stay the same: ${row.why}`));
      } else if (row.kind === 'never-shrinks' && typeof before === 'number' && (after === undefined || (after as number) < before)) {
        found.push(violation(field, after ?? null, `${prefix}; it must not shrink: ${row.why}`));
      }
    }
  }
  return found;
}
