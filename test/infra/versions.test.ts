import * as fs from 'fs';
import * as path from 'path';
import { PHASES, PHASE_NAMES } from '../../phases';
import { ROOT } from './support/synth';

/** The versions the local test servers run (scripts/servers/versions.env). */
function localVersions(): Record<string, string> {
  const text = fs.readFileSync(path.join(ROOT, 'scripts/servers/versions.env'), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.split('=') as [string, string]),
  );
}

describe('the versions the services are tested against', () => {
  test.each(PHASE_NAMES)('phase %s runs the Kafka minor version the local broker runs, in KRaft mode', (phase) => {
    const msk = PHASES[phase].streaming.kafkaVersion;
    const local = localVersions().KAFKA_VERSION;
    expect(msk).toMatch(/^\d+\.\d+\.x\.kraft$/);
    expect(msk.split('.').slice(0, 2)).toEqual(local.split('.').slice(0, 2));
  });

  test.each(PHASE_NAMES)('phase %s runs the PostgreSQL major version the local server runs', (phase) => {
    expect(PHASES[phase].postgres.engineVersion.split('.')[0]).toBe(localVersions().POSTGRES_MAJOR);
  });
});
