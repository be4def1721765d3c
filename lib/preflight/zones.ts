import { DescribeAvailabilityZonesCommand, paginateDescribeInstanceTypeOfferings } from '@aws-sdk/client-ec2';
import { PreflightClients } from './clients';
import { PreflightCheck, ZoneMapping } from './report-types';
import { RegionRequirements, instanceTypesOf } from './requirements';

/** Every item of every page of a paginator. */
export async function allPages<P, T>(pages: AsyncIterable<P>, items: (page: P) => readonly T[] | undefined): Promise<T[]> {
  const found: T[] = [];
  for await (const page of pages) found.push(...(items(page) ?? []));
  return found;
}

const OPTED_IN = new Set(['opt-in-not-required', 'opted-in']);

/**
 * The spec's AZ names in this account: present, `available`, opted in, and their zone IDs (AZ
 * names map to different physical zones in each account).
 */
export async function checkZones(clients: PreflightClients, req: RegionRequirements): Promise<{ zones: ZoneMapping[]; checks: PreflightCheck[] }> {
  const answer = await clients.ec2.send(new DescribeAvailabilityZonesCommand({ AllAvailabilityZones: true }));
  const known = new Map((answer.AvailabilityZones ?? []).map((z) => [z.ZoneName, z]));
  const zones: ZoneMapping[] = [];
  const checks: PreflightCheck[] = [];
  const source = 'EC2 DescribeAvailabilityZones';
  for (const name of req.availabilityZones) {
    const z = known.get(name);
    if (!z) {
      zones.push({ name });
      checks.push({
        area: 'zones',
        subject: name,
        status: 'fail',
        detail: `no availability zone named ${name} in ${req.region} (this account has ${[...known.keys()].sort().join(', ') || 'none'})`,
        fix: `the VPC's AZs cannot change once deployed: deploy to an account that has ${name}, or change regions[${req.region}].availabilityZones before the region is first deployed`,
        source,
      });
      continue;
    }
    // An AZ of the default group reports no opt-in status on some endpoints; it needs none.
    const optIn = z.OptInStatus ?? 'opt-in-not-required';
    zones.push({ name, zoneId: z.ZoneId, state: z.State, optInStatus: optIn });
    if (!OPTED_IN.has(optIn)) {
      checks.push({
        area: 'zones',
        subject: name,
        status: 'fail',
        detail: `${name} (${z.ZoneId}) is ${optIn}`,
        fix: `aws ec2 modify-availability-zone-group --region ${req.region} --group-name ${z.GroupName ?? name} --opt-in-status opted-in`,
        source,
      });
    } else if (z.State !== 'available') {
      checks.push({ area: 'zones', subject: name, status: 'fail', detail: `${name} (${z.ZoneId}) is ${z.State}, not available`, fix: 'wait until AWS reports the zone available (AWS Health Dashboard), then run again', source });
    } else {
      checks.push({ area: 'zones', subject: name, status: 'pass', detail: `${name} is ${z.ZoneId}, available, ${optIn}`, source });
    }
  }
  return { zones, checks };
}

/** Every instance type of the phase is offered in every AZ of the region (each group spreads over all of them). */
export async function checkOfferings(clients: PreflightClients, req: RegionRequirements): Promise<{ checks: PreflightCheck[] }> {
  const types = instanceTypesOf(req);
  if (types.length === 0) return { checks: [] };
  const offerings = await allPages(
    paginateDescribeInstanceTypeOfferings(
      { client: clients.ec2 },
      {
        LocationType: 'availability-zone',
        Filters: [
          { Name: 'location', Values: [...req.availabilityZones] },
          { Name: 'instance-type', Values: types },
        ],
      },
    ),
    (page) => page.InstanceTypeOfferings,
  );
  const offered = new Set(offerings.map((o) => `${o.InstanceType}@${o.Location}`));
  const source = 'EC2 DescribeInstanceTypeOfferings (by AZ)';
  return {
    checks: types.map((type): PreflightCheck => {
      const missing = req.availabilityZones.filter((az) => !offered.has(`${type}@${az}`));
      const users = req.instances.filter((i) => i.instanceTypes.includes(type)).map((i) => i.purpose);
      if (missing.length === 0) {
        return { area: 'offerings', subject: type, status: 'pass', detail: `offered in ${req.availabilityZones.join(', ')} (${users.join(', ')})`, source };
      }
      const where = req.availabilityZones.filter((az) => !missing.includes(az));
      return {
        area: 'offerings',
        subject: type,
        status: 'fail',
        detail: `${type} is not offered in ${missing.join(', ')}${where.length ? ` (only in ${where.join(', ')})` : ''}; needed by ${users.join(', ')}`,
        fix:
          `use a type offered in every AZ of ${req.region} in the spec's compute section; list them with ` +
          `aws ec2 describe-instance-type-offerings --region ${req.region} --location-type availability-zone --filters Name=location,Values=${missing.join(',')}`,
        source,
      };
    }),
  };
}
