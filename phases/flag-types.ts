/**
 * The feature-flag part of the phase spec: which flags the services read, their values, and how
 * AWS AppConfig rolls a change of them out (lib/flags/feature-flags.ts).
 *
 * A flag switches a path of the services at run time, without a deploy of the services: the
 * values here are what AppConfig serves after a deploy, and what the services use until it answers
 * or whenever it cannot be reached (services/shared/flags.ts).
 */

import type { PhaseSpec } from './types';
import type { ValidationRule, Violation } from './validate';

/**
 * The flags the services read. A key is also the flag's key in AppConfig's feature-flag
 * configuration (`AWS.AppConfig.FeatureFlags`), so it follows AppConfig's rule for keys.
 */
export const FLAG_KEYS = ['catalogue-cache', 'cqrs-reads', 'region-writes'] as const;

/** One of the flags the services read. */
export type FlagKey = (typeof FLAG_KEYS)[number];

/** One boolean flag. */
export interface FlagDefinition {
  /** The flag's name in AppConfig's console. */
  readonly name: string;
  /** What the flag switches, on and off: shown in AppConfig and in the README. */
  readonly description: string;
  /** The flag's value: what AppConfig serves after a deploy, and the services' default when AppConfig cannot be reached. */
  readonly enabled: boolean;
}

/**
 * How AppConfig rolls a new flag configuration out to the services (its deployment strategy):
 * to a growing share of the processes that poll it, then a bake time; a rollback alarm firing
 * at any point until the bake time ends rolls every process back to the previous values.
 */
export interface FlagRolloutSpec {
  /** How the share grows: LINEAR adds `growthFactorPercent` each step, EXPONENTIAL doubles from it. */
  readonly growth: 'LINEAR' | 'EXPONENTIAL';
  /** The share of processes given the new values at the first step, in percent (1 to 100). */
  readonly growthFactorPercent: number;
  /** Minutes from the first step until every process has the new values (0 to 1440). */
  readonly deploymentMinutes: number;
  /**
   * Minutes AppConfig keeps watching the rollback alarms after every process has the new values
   * (0 to 1440); at least the rollback alarms' longest window, so that a fault the change causes
   * can still roll it back.
   */
  readonly finalBakeMinutes: number;
}

/** Feature flags: their definitions, the rollout of a change, and how often the services look. */
export interface FlagsSpec {
  /** Every flag the services read, by key. */
  readonly definitions: Readonly<Record<FlagKey, FlagDefinition>>;
  /** The deployment strategy of a change. */
  readonly rollout: FlagRolloutSpec;
  /** Seconds between a process's reads of the flags from AppConfig (15 to 86400, AppConfig's bounds). */
  readonly pollSeconds: number;
}

/** AppConfig's rule for a feature flag's key. */
const FLAG_KEY_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

/** The longest window, in minutes, in which a rollback alarm can fire (lib/monitoring): 5 one-minute periods. */
const ROLLBACK_ALARM_WINDOW_MINUTES = 5;

function v(field: string, value: unknown, rule: string): Violation {
  return { field, value, rule };
}

function within(field: string, value: number, min: number, max: number, why: string): Violation[] {
  return Number.isInteger(value) && value >= min && value <= max ? [] : [v(field, value, `must be a whole number from ${min} to ${max} (${why})`)];
}

/** Rules over `flags`, part of the phase rules table. */
export const FLAG_RULES: readonly ValidationRule[] = [
  {
    id: 'flags-keys',
    check: (s: PhaseSpec) =>
      Object.keys(s.flags.definitions).flatMap((key) =>
        FLAG_KEY_PATTERN.test(key) ? [] : [v(`flags.definitions.${key}`, key, 'the key must start with a lower-case letter and hold at most 64 lower-case letters, digits, _ or - (AppConfig feature-flag keys)')],
      ),
  },
  {
    id: 'flags-every-key',
    check: (s: PhaseSpec) => {
      const missing = FLAG_KEYS.filter((k) => !s.flags.definitions[k]);
      return missing.length ? [v('flags.definitions', Object.keys(s.flags.definitions), `must define every flag the services read; missing ${missing.join(', ')}`)] : [];
    },
  },
  {
    id: 'flags-described',
    check: (s: PhaseSpec) =>
      Object.entries(s.flags.definitions).flatMap(([key, d]) => [
        ...(d.name.trim() && d.name.length <= 64 ? [] : [v(`flags.definitions.${key}.name`, d.name, 'must be 1 to 64 characters (AppConfig flag names)')]),
        ...(d.description.trim() ? [] : [v(`flags.definitions.${key}.description`, d.description, 'must say what the flag switches on and off')]),
      ]),
  },
  {
    id: 'flags-rollout-bounds',
    check: (s: PhaseSpec) => {
      const r = s.flags.rollout;
      return [
        ...within('flags.rollout.growthFactorPercent', r.growthFactorPercent, 1, 100, 'AppConfig deployment strategies'),
        ...within('flags.rollout.deploymentMinutes', r.deploymentMinutes, 0, 1440, 'AppConfig deployment strategies'),
        ...within('flags.rollout.finalBakeMinutes', r.finalBakeMinutes, 0, 1440, 'AppConfig deployment strategies'),
        ...within('flags.pollSeconds', s.flags.pollSeconds, 15, 86400, 'AppConfigData\'s poll interval'),
      ];
    },
  },
  {
    id: 'flags-bake-covers-rollback-alarms',
    check: (s: PhaseSpec) => {
      const window = Math.max(ROLLBACK_ALARM_WINDOW_MINUTES, s.monitoring.unavailableSeconds / 60);
      return s.flags.rollout.finalBakeMinutes >= window
        ? []
        : [v('flags.rollout.finalBakeMinutes', s.flags.rollout.finalBakeMinutes, `must be at least ${window} (the rollback alarms' longest window), so that a fault the change causes can still roll it back`)];
    },
  },
];
