import { paginateDescribeOrderableDBInstanceOptions as docdbOrderable } from '@aws-sdk/client-docdb';
import { paginateDescribeOrderableDBInstanceOptions as rdsOrderable } from '@aws-sdk/client-rds';
import { PreflightClients } from './clients';
import { PreflightCheck } from './report-types';
import { RegionRequirements } from './requirements';
import { allPages } from './zones';

/** What an orderable-options answer says about one class. */
interface Orderable {
  readonly DBInstanceClass?: string;
  readonly MultiAZCapable?: boolean;
  readonly AvailabilityZones?: readonly { Name?: string }[];
}

function classCheck(
  what: string,
  source: string,
  req: RegionRequirements,
  instanceClass: string,
  options: readonly Orderable[],
  multiAz: boolean,
  listCommand: string,
): PreflightCheck {
  // Filtered here too: not every endpoint honours the class filter.
  const mine = options.filter((o) => o.DBInstanceClass === instanceClass);
  const subject = `${what} ${instanceClass}`;
  if (mine.length === 0) {
    return { area: 'data', subject, status: 'fail', detail: `${instanceClass} is not orderable for ${what} in ${req.region}`, fix: `choose a class this lists: ${listCommand}`, source };
  }
  if (multiAz && !mine.some((o) => o.MultiAZCapable)) {
    return { area: 'data', subject, status: 'fail', detail: `${instanceClass} is orderable but not Multi-AZ in ${req.region}`, fix: `choose a Multi-AZ class: ${listCommand}`, source };
  }
  const zones = new Set(mine.flatMap((o) => o.AvailabilityZones?.map((z) => z.Name) ?? []));
  const missing = zones.size ? req.availabilityZones.filter((az) => !zones.has(az)) : [];
  if (missing.length) {
    return { area: 'data', subject, status: 'warn', detail: `orderable, but not in ${missing.join(', ')}: instances and standbys go to the other AZs`, source };
  }
  return { area: 'data', subject, status: 'pass', detail: `orderable${multiAz ? ', Multi-AZ' : ''}${zones.size ? ` in ${req.availabilityZones.join(', ')}` : ''}`, source };
}

/**
 * The data stores' classes are orderable in the region: RDS for PostgreSQL (at the spec's engine
 * version) and DocumentDB through their orderable-options calls. ElastiCache and MSK have no such
 * call; their node and broker types are reported as not checked.
 */
export async function checkDataClasses(clients: PreflightClients, req: RegionRequirements): Promise<{ checks: PreflightCheck[] }> {
  const checks: PreflightCheck[] = [];
  const pg = req.postgres;
  for (const instanceClass of pg.classes) {
    const options = await allPages(
      rdsOrderable({ client: clients.rds }, { Engine: 'postgres', EngineVersion: pg.engineVersion, DBInstanceClass: instanceClass }),
      (page) => page.OrderableDBInstanceOptions,
    );
    checks.push(
      classCheck(
        `PostgreSQL ${pg.engineVersion}`,
        'RDS DescribeOrderableDBInstanceOptions',
        req,
        instanceClass,
        options,
        pg.multiAz,
        `aws rds describe-orderable-db-instance-options --region ${req.region} --engine postgres --engine-version ${pg.engineVersion} --query 'OrderableDBInstanceOptions[].DBInstanceClass'`,
      ),
    );
  }
  for (const instanceClass of req.documentDbClasses) {
    const options = await allPages(docdbOrderable({ client: clients.docdb }, { Engine: 'docdb', DBInstanceClass: instanceClass }), (page) => page.OrderableDBInstanceOptions);
    checks.push(
      classCheck(
        'DocumentDB',
        'DocumentDB DescribeOrderableDBInstanceOptions',
        req,
        instanceClass,
        options,
        false,
        `aws docdb describe-orderable-db-instance-options --region ${req.region} --engine docdb --query 'OrderableDBInstanceOptions[].DBInstanceClass'`,
      ),
    );
  }
  checks.push(
    { area: 'data', subject: `ElastiCache ${req.cacheNodeType}`, status: 'unchecked', detail: 'ElastiCache has no orderable-options call; the node type is checked by the deploy' },
    { area: 'data', subject: `MSK ${req.brokerType}`, status: 'unchecked', detail: 'MSK has no orderable-options call; the broker type is checked by the deploy' },
  );
  return { checks };
}
