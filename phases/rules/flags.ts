/** Rules over `flags`: AppConfig's bounds, every flag defined and described, a bake time the rollback alarms fit in. */

import { FLAG_KEYS } from '../spec';
import { FLAG_KEY_PATTERN } from '../limits';
import { ValidationRule, Violation, violation } from './rule';

/** The longest window, in minutes, in which a rollback alarm can fire (lib/monitoring): 5 one-minute periods. */
const ROLLBACK_ALARM_WINDOW_MINUTES = 5;

function within(field: string, value: number, min: number, max: number, why: string): Violation[] {
  return Number.isInteger(value) && value >= min && value <= max ? [] : [violation(field, value, `must be a whole number from ${min} to ${max} (${why})`)];
}

/** Rules over `flags`. */
export const FLAG_RULES: readonly ValidationRule[] = [
  {
    id: 'flags-keys',
    check: (s) =>
      Object.keys(s.flags.definitions).flatMap((key) =>
        FLAG_KEY_PATTERN.test(key) ? [] : [violation(`flags.definitions.${key}`, key, 'the key must start with a lower-case letter and hold at most 64 lower-case letters, digits, _ or - (AppConfig feature-flag keys)')],
      ),
  },
  {
    id: 'flags-every-key',
    check: (s) => {
      const missing = FLAG_KEYS.filter((k) => !s.flags.definitions[k]);
      return missing.length ? [violation('flags.definitions', Object.keys(s.flags.definitions), `must define every flag the services read; missing ${missing.join(', ')}`)] : [];
    },
  },
  {
    id: 'flags-described',
    check: (s) =>
      Object.entries(s.flags.definitions).flatMap(([key, d]) => [
        ...(d.name.trim() && d.name.length <= 64 ? [] : [violation(`flags.definitions.${key}.name`, d.name, 'must be 1 to 64 characters (AppConfig flag names)')]),
        ...(d.description.trim() ? [] : [violation(`flags.definitions.${key}.description`, d.description, 'must say what the flag switches on and off')]),
      ]),
  },
  {
    id: 'flags-rollout-bounds',
    check: (s) => {
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
    check: (s) => {
      const window = Math.max(ROLLBACK_ALARM_WINDOW_MINUTES, s.monitoring.unavailableSeconds / 60);
      return s.flags.rollout.finalBakeMinutes >= window
        ? []
        : [violation('flags.rollout.finalBakeMinutes', s.flags.rollout.finalBakeMinutes, `must be at least ${window} (the rollback alarms' longest window), so that a fault the change causes can still roll it back`)];
    },
  },
];
