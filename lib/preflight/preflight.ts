import { PhaseSpec } from '../../phases';
import { PreflightClients, RetryOptions, sdkClients } from './clients';
import { checkDataClasses } from './data-classes';
import { classifyFailure } from './errors';
import { checkQuotas } from './quotas';
import { CheckArea, PreflightCheck, PreflightReport, RegionPreflight, SpotPrice, SpotSaving, ZoneMapping } from './report-types';
import { RegionRequirements, regionRequirements } from './requirements';
import { checkSpot } from './spot';
import { checkOfferings, checkZones } from './zones';

/** Options of {@link runPreflight}. */
export interface PreflightOptions extends RetryOptions {
  /** Regions to check, of the phase's; all of them when absent. */
  readonly regions?: readonly string[];
  /** The clients of a region. @default SDK clients with the standard credential chain */
  readonly clients?: (region: string) => PreflightClients;
  /** The time spot prices are read at. @default the current time */
  readonly now?: Date;
}

/** Thrown for a region the phase does not run in. */
export class PreflightUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreflightUsageError';
  }
}

type Partial = { checks: PreflightCheck[]; zones?: ZoneMapping[]; spotPrices?: SpotPrice[]; spotSavings?: SpotSaving[] };

async function area(name: CheckArea, run: () => Promise<Partial>): Promise<Partial> {
  try {
    return await run();
  } catch (error) {
    const failure = classifyFailure(error);
    return { checks: [{ area: name, subject: `${name} checks`, status: 'error', detail: `could not run: ${failure.message}` }] };
  }
}

async function preflightRegion(clients: PreflightClients, req: RegionRequirements, now: Date): Promise<RegionPreflight> {
  const parts: Partial[] = [];
  // One area at a time: the calls of one region stay well under EC2's request rates.
  parts.push(await area('zones', () => checkZones(clients, req)));
  parts.push(await area('offerings', () => checkOfferings(clients, req)));
  parts.push(await area('spot', () => checkSpot(clients, req, now)));
  parts.push(await area('quotas', () => checkQuotas(clients, req)));
  parts.push(await area('data', () => checkDataClasses(clients, req)));
  return {
    region: req.region,
    zones: parts.flatMap((p) => p.zones ?? []),
    checks: parts.flatMap((p) => p.checks),
    spotPrices: parts.flatMap((p) => p.spotPrices ?? []),
    spotSavings: parts.flatMap((p) => p.spotSavings ?? []),
  };
}

/** 1 when a check failed (the account cannot hold the phase), else 2 when one could not run, else 0. */
function exitCodeOf(regions: readonly RegionPreflight[]): 0 | 1 | 2 {
  const statuses = new Set(regions.flatMap((r) => r.checks.map((c) => c.status)));
  return statuses.has('fail') ? 1 : statuses.has('error') ? 2 : 0;
}

/**
 * Checks that the account and regions can hold a phase before a deploy: the spec's AZs,
 * instance-type offerings per AZ, spot prices against on-demand, quotas and the data stores'
 * classes. Read-only calls; throttling and pagination are left to the SDK's retry and paginators.
 */
export async function runPreflight(spec: PhaseSpec, options: PreflightOptions = {}): Promise<PreflightReport> {
  const all = regionRequirements(spec);
  const unknown = (options.regions ?? []).filter((r) => !all.some((req) => req.region === r));
  if (unknown.length) {
    throw new PreflightUsageError(`phase ${spec.name} does not run in ${unknown.join(', ')}; its regions: ${all.map((r) => r.region).join(', ')}`);
  }
  const wanted = options.regions?.length ? all.filter((req) => options.regions!.includes(req.region)) : all;
  const clientsOf = options.clients ?? ((region: string) => sdkClients(region, options));
  const now = options.now ?? new Date();
  const regions = await Promise.all(wanted.map((req) => preflightRegion(clientsOf(req.region), req, now)));
  return { phase: spec.name, regions, exitCode: exitCodeOf(regions) };
}
