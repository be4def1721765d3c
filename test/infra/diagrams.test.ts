import * as fs from 'fs';
import * as path from 'path';
import { PHASE_NAMES } from '../../phases';
import { diagramOf, toDot } from '../../lib/diagrams/diagram';
import { phaseAssembly } from './support/assembly';
import { ROOT } from './support/synth';

describe('the phase diagrams', () => {
  test.each([...PHASE_NAMES])('docs/diagrams/%s.dot is what npm run diagrams draws from the assembly now (else run it again)', (phase) => {
    const committed = fs.readFileSync(path.join(ROOT, 'docs/diagrams', `${phase}.dot`), 'utf8');
    expect(toDot(diagramOf(phase, phaseAssembly(phase)))).toBe(committed);
  });

  test('1m: three regions, the secondaries reading their own replicas, and every store copied from the primary', () => {
    const d = diagramOf('1m', phaseAssembly('1m'));
    expect([...d.regions].sort()).toEqual(['eu-central-1', 'us-east-1', 'us-west-2']);
    const replication = d.edges.filter((e) => e.kind === 'replication').map((e) => `${e.from} -> ${e.to} (${e.label})`);
    expect(replication).toEqual(
      expect.arrayContaining([
        'us_east_1_postgres -> us_west_2_postgresReplicas (cross-region replicas)',
        'us_east_1_documentdb -> eu_central_1_documentdb (global cluster)',
        'us_east_1_cache -> us_west_2_cache (Global Datastore)',
        'us_east_1_kafka -> eu_central_1_kafka (MirrorMaker 2)',
      ]),
    );
    expect(d.edges).toContainEqual({ from: 'us_west_2_eks', to: 'us_east_1_internalAlb', kind: 'traffic', label: 'over peering' });
  });

  test('1k: Nginx\'s load balancer in front of the app servers, which reach every store', () => {
    const d = diagramOf('1k', phaseAssembly('1k'));
    expect(d.edges.map((e) => `${e.from} -> ${e.to}`).sort()).toEqual([
      'us_east_1_appServers -> us_east_1_cache',
      'us_east_1_appServers -> us_east_1_documentdb',
      'us_east_1_appServers -> us_east_1_kafka',
      'us_east_1_appServers -> us_east_1_postgres',
      'us_east_1_publicAlb -> us_east_1_appServers',
    ]);
  });
});
