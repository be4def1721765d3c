/** Rules over the phase as a whole: its service-level targets. */

import { NoShrinkRow } from './rule';

/** What a phase move may not do to `slo`. */
export const PHASE_NO_SHRINK: readonly NoShrinkRow[] = [
  {
    field: 'slo.dailyUsers',
    read: (s) => [['slo', s.slo.dailyUsers]],
    kind: 'never-shrinks',
    why: 'each phase serves more users than the one before',
  },
];
