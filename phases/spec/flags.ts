/**
 * The feature-flag part of the phase spec: which flags the services read, their values, and how
 * AWS AppConfig rolls a change of them out (lib/flags/feature-flags.ts).
 *
 * A flag switches a path of the services at run time, without a deploy of the services: the
 * values here are what AppConfig serves after a deploy, and what the services use until it answers
 * or whenever it cannot be reached (services/shared/flags.ts).
 */

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
