import { PHASES, PHASE_NAMES, PhaseName } from '../../phases';
import { regionalStackName } from '../../lib/naming';
import { templateJson } from './support/assembly';

type Resource = { Type: string; DependsOn?: string | string[]; Properties?: Record<string, any> };

function resources(phase: PhaseName, region: string): Record<string, Resource> {
  return templateJson(phase, regionalStackName(region as any, 'data')).Resources as Record<string, Resource>;
}

const dependsOn = (r: Resource) => (Array.isArray(r.DependsOn) ? r.DependsOn : r.DependsOn ? [r.DependsOn] : []);

/** The resources of a type whose logical ID starts with `prefix`, in template order. */
function ofType(all: Record<string, Resource>, type: string, match: (id: string, r: Resource) => boolean): string[] {
  return Object.keys(all).filter((id) => all[id].Type === type && match(id, all[id]));
}

/** Each resource after the first depends on the one before it: CloudFormation changes them one at a time. */
function expectChain(all: Record<string, Resource>, ids: readonly string[]): void {
  expect(ids.length).toBeGreaterThan(0);
  ids.forEach((id, n) => {
    if (n > 0) expect([id, dependsOn(all[id])]).toEqual([id, expect.arrayContaining([ids[n - 1]])]);
  });
}

describe.each(PHASE_NAMES)('phase %s changes one database instance at a time', (phase) => {
  test('PostgreSQL primaries, their replicas and DocumentDB instances each form a chain', () => {
    for (const region of PHASES[phase].regions) {
      const all = resources(phase, region.region);
      const instances = PHASES[phase].postgres.instances.map((i) => i.id);
      const rds = ofType(all, 'AWS::RDS::DBInstance', () => true);
      if (region.role === 'primary') {
        const primaries = instances.map((id) => rds.find((r) => r.startsWith(`Postgres${id}`) && !r.includes('Replica'))!);
        expectChain(all, primaries);
        const replicas = instances.flatMap((id) => rds.filter((r) => r.startsWith(`Postgres${id}Replica`)));
        if (replicas.length > 1) expectChain(all, replicas);
        for (const id of replicas) expect(all[id].Properties?.DeletionProtection).toBe(false);
      } else {
        expectChain(all, instances.map((id) => rds.find((r) => r.startsWith(`PostgresReplicas${id}`))!));
      }
      const docdb = ofType(all, 'AWS::DocDB::DBInstance', () => true);
      if (docdb.length > 1) expectChain(all, docdb);
    }
  });
});
