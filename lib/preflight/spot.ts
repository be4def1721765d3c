import { _InstanceType, paginateDescribeSpotPriceHistory } from '@aws-sdk/client-ec2';
import { EC2_HOURLY, HOURS_PER_MONTH, REGION_FACTOR, SPOT_FACTOR } from '../cost/prices';
import { PreflightClients } from './clients';
import { PreflightCheck, SpotPrice, SpotSaving } from './report-types';
import { RegionRequirements } from './requirements';
import { allPages } from './zones';

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * The latest spot price of every spot node group's types in every AZ, against on-demand (the cost
 * estimate's list prices), and the monthly saving the spec's spot nodes give at those prices.
 */
export async function checkSpot(
  clients: PreflightClients,
  req: RegionRequirements,
  now: Date,
): Promise<{ checks: PreflightCheck[]; spotPrices: SpotPrice[]; spotSavings: SpotSaving[] }> {
  const groups = req.instances.filter((i) => i.capacityType === 'SPOT');
  if (groups.length === 0) return { checks: [], spotPrices: [], spotSavings: [] };
  const types = [...new Set(groups.flatMap((g) => g.instanceTypes))].sort();
  const history = await allPages(
    paginateDescribeSpotPriceHistory(
      { client: clients.ec2 },
      {
        InstanceTypes: types as _InstanceType[],
        ProductDescriptions: ['Linux/UNIX', 'Linux/UNIX (Amazon VPC)'],
        Filters: [{ Name: 'availability-zone', Values: [...req.availabilityZones] }],
        // With a start time of now, EC2 returns the price in force now in each AZ.
        StartTime: now,
        EndTime: now,
      },
    ),
    (page) => page.SpotPriceHistory,
  );
  const latest = new Map<string, { price: number; at: number }>();
  for (const h of history) {
    if (!h.InstanceType || !h.AvailabilityZone || h.SpotPrice === undefined) continue;
    const key = `${h.InstanceType}@${h.AvailabilityZone}`;
    const at = h.Timestamp?.getTime() ?? 0;
    const seen = latest.get(key);
    if (!seen || at > seen.at) latest.set(key, { price: Number(h.SpotPrice), at });
  }
  const factor = REGION_FACTOR[req.region] ?? 1;
  const onDemand = (type: string) => (EC2_HOURLY[type] !== undefined ? EC2_HOURLY[type] * factor : undefined);
  const spotPrices: SpotPrice[] = [];
  for (const type of types) {
    for (const az of req.availabilityZones) {
      const seen = latest.get(`${type}@${az}`);
      if (seen) spotPrices.push({ instanceType: type, availabilityZone: az, spotUsdPerHour: seen.price, onDemandUsdPerHour: onDemand(type) });
    }
  }
  const checks: PreflightCheck[] = [];
  const spotSavings: SpotSaving[] = [];
  const source = 'EC2 DescribeSpotPriceHistory';
  for (const g of groups) {
    const prices = spotPrices.filter((p) => g.instanceTypes.includes(p.instanceType));
    const missing = g.instanceTypes.flatMap((t) => req.availabilityZones.filter((az) => !latest.has(`${t}@${az}`)).map((az) => `${t} in ${az}`));
    const unpriced = g.instanceTypes.filter((t) => onDemand(t) === undefined);
    if (missing.length) {
      checks.push({ area: 'spot', subject: g.purpose, status: 'warn', detail: `no spot price for ${missing.join(', ')}: the group can only launch its other types there`, source });
    }
    if (prices.length === 0 || unpriced.length === g.instanceTypes.length) {
      checks.push({ area: 'spot', subject: g.purpose, status: 'warn', detail: 'no spot or on-demand price to compare: the saving is not known', source });
      continue;
    }
    const spot = mean(prices.map((p) => p.spotUsdPerHour));
    const od = mean(g.instanceTypes.flatMap((t) => onDemand(t) ?? []));
    const saving = (nodes: number) => (od - spot) * nodes * HOURS_PER_MONTH;
    spotSavings.push({
      group: g.purpose,
      desiredNodes: g.desiredInstances,
      maxNodes: g.maxInstances,
      spotUsdPerHour: spot,
      onDemandUsdPerHour: od,
      savingUsdPerMonth: saving(g.desiredInstances),
      savingAtMaxUsdPerMonth: saving(g.maxInstances),
    });
    const share = spot / od;
    const text =
      `spot $${spot.toFixed(4)}/h against on-demand $${od.toFixed(4)}/h (${(share * 100).toFixed(0)}%): ` +
      `saves $${Math.round(saving(g.desiredInstances)).toLocaleString('en-US')}/month at ${g.desiredInstances} nodes, ` +
      `$${Math.round(saving(g.maxInstances)).toLocaleString('en-US')} at ${g.maxInstances}`;
    checks.push(
      share > SPOT_FACTOR
        ? { area: 'spot', subject: g.purpose, status: 'warn', detail: `${text}; the cost estimate assumes ${SPOT_FACTOR * 100}% of on-demand, so it is low`, source }
        : { area: 'spot', subject: g.purpose, status: 'pass', detail: text, source },
    );
  }
  return { checks, spotPrices, spotSavings };
}
