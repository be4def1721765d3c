/**
 * The phase spec as a whole: one typed value per phase of the scaling roadmap.
 *
 * Every number the roadmap gives lives in it, with its unit in the field name. Constructs in
 * `lib/` read these values; they never ask which phase they are building.
 */

import type { ComputeSpec } from './compute';
import type { CacheSpec } from './cache';
import type { DocumentDbSpec, PostgresSpec } from './data';
import type { DnsSpec } from './dns';
import type { FlagsSpec } from './flags';
import type { MonitoringSpec } from './monitoring';
import type { RegionName, RegionSpec } from './network';
import type { StreamingSpec } from './streaming';

/** The roadmap's phases, in upgrade order. */
export const PHASE_NAMES = ['1k', '10k', '30k', '50k', '70k', '1m'] as const;

/** A phase of the roadmap, named by its daily users. */
export type PhaseName = (typeof PHASE_NAMES)[number];

/** The roadmap's service-level targets for a phase. */
export interface SloSpec {
  /** Daily users the phase is built for. */
  readonly dailyUsers: number;
  /** The monthly infrastructure budget, in US dollars. */
  readonly budgetUsdPerMonth: number;
  /** Checkout response-time target (the roadmap's "response time for checkout"), in milliseconds. */
  readonly checkoutResponseMs: number;
  /** Uptime target, in percent. */
  readonly uptimePercent: number;
  /** Daily users at which the roadmap says to start the next phase; absent for the last phase. */
  readonly nextPhaseTriggerDailyUsers?: number;
}

/** A phase of the roadmap: every number that shapes its infrastructure. */
export interface PhaseSpec {
  /** The phase's name. */
  readonly name: PhaseName;
  /** A one-line description from the roadmap. */
  readonly title: string;
  /** Targets and budget. */
  readonly slo: SloSpec;
  /**
   * Regions, in the order they joined: the first is the origin, where the stores were created;
   * it is the primary until a failover moves the writes (see `homeRegion`).
   */
  readonly regions: readonly RegionSpec[];
  /**
   * Declared after a regional failover (`-c homeRegion=REGION`): the region that took the writes,
   * which is then the primary, the origin region a secondary rebuilt from it. Without it the
   * origin (listed first) is the primary, and a phase move may not change any region's role.
   */
  readonly homeRegion?: RegionName;
  /** PostgreSQL on RDS (primary region). */
  readonly postgres: PostgresSpec;
  /** DocumentDB (primary region). */
  readonly documentDb: DocumentDbSpec;
  /** ElastiCache in every region. */
  readonly cache: CacheSpec;
  /** MSK in every region. */
  readonly streaming: StreamingSpec;
  /** Which compute runs the services, in every region: app servers, API Gateway, EKS. */
  readonly compute: ComputeSpec;
  /** Alarm thresholds and metric retention, in every region. */
  readonly monitoring: MonitoringSpec;
  /** GeoDNS over the regions' front doors and its health checks. */
  readonly dns: DnsSpec;
  /** Feature flags, served to the services by AWS AppConfig in every region. */
  readonly flags: FlagsSpec;
  /**
   * Why a number differs from the roadmap's (for example an MSK broker count AWS cannot build).
   * Shown in the phase table.
   */
  readonly deviations: readonly string[];
}
