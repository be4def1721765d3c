/** The outcome of one check. */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'unchecked' | 'error';

/** What a check looks at. */
export type CheckArea = 'zones' | 'offerings' | 'spot' | 'quotas' | 'data';

/** One check of one region. */
export interface PreflightCheck {
  readonly area: CheckArea;
  /** What was checked, e.g. `m7g.large`, `on-demand vCPUs`. */
  readonly subject: string;
  readonly status: CheckStatus;
  /** What was found. */
  readonly detail: string;
  /** For a failure: what to change, or the command that does it. */
  readonly fix?: string;
  /** Which API answered, e.g. `Service Quotas ec2/L-1216C47A`. */
  readonly source?: string;
}

/** An AZ name of the spec and what it is in this account. */
export interface ZoneMapping {
  readonly name: string;
  /** The physical zone's ID (`use1-az4`), the same in every account; absent when the name does not exist. */
  readonly zoneId?: string;
  readonly state?: string;
  readonly optInStatus?: string;
}

/** The latest spot price of a type in an AZ, against its on-demand price. */
export interface SpotPrice {
  readonly instanceType: string;
  readonly availabilityZone: string;
  readonly spotUsdPerHour: number;
  /** From lib/cost/prices.ts with the region's factor; absent for an unpriced type. */
  readonly onDemandUsdPerHour?: number;
}

/** What a spot node group costs at the prices seen, against the same nodes on demand. */
export interface SpotSaving {
  readonly group: string;
  readonly desiredNodes: number;
  readonly maxNodes: number;
  /** Mean spot price over the group's types and the region's AZs, per node-hour. */
  readonly spotUsdPerHour: number;
  readonly onDemandUsdPerHour: number;
  /** Monthly saving at the group's desired size (730 hours). */
  readonly savingUsdPerMonth: number;
  /** Monthly saving at the group's maximum. */
  readonly savingAtMaxUsdPerMonth: number;
}

/** One region's preflight. */
export interface RegionPreflight {
  readonly region: string;
  readonly zones: readonly ZoneMapping[];
  readonly checks: readonly PreflightCheck[];
  readonly spotPrices: readonly SpotPrice[];
  readonly spotSavings: readonly SpotSaving[];
}

/** The preflight of a phase in every region asked for. */
export interface PreflightReport {
  readonly phase: string;
  readonly regions: readonly RegionPreflight[];
  /** 0: the account can hold the phase; 1: it cannot (see the failed checks); 2: a check could not run. */
  readonly exitCode: 0 | 1 | 2;
}
