/**
 * A short run of the region-loss drill (scripts/drill/region-loss.ts): two local regions of their
 * own processes (PostgreSQL primary and streaming replica, two Kafka clusters with MirrorMaker 2,
 * Redis and its replica, the services of each region), region A killed with SIGKILL, region B
 * promoted. No order is held twice, every saga B holds ends (B's relay published again by itself
 * what MirrorMaker may not have copied), and the recovery time is measured.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { formatFigures, runDrill, type DrillFigures } from '../../scripts/drill/region-loss';
import { REPO_ROOT } from '../support/servers';
import { outerTmpdir } from '../support/scratch';

jest.setTimeout(900_000);

let figures: DrillFigures;

beforeAll(async () => {
  await promisify(execFile)('bash', [path.join(REPO_ROOT, 'scripts/servers/ctl.sh'), 'install', 'mirror-maker'], { cwd: REPO_ROOT, timeout: 300_000, env: { ...process.env, TMPDIR: outerTmpdir() } });
  // runDrill stops every process it started before it returns or throws.
  figures = await runDrill({ beforeSeconds: 4, afterSeconds: 3, clientsPerRegion: 1, sagaTimeoutSeconds: 90, log: (l) => process.stderr.write(`${l}\n`) });
  process.stderr.write(`${formatFigures(figures)}\n`);
});

test('load entered both regions before the loss, and B took checkouts after it', () => {
  expect(figures.acknowledgedBeforeKill).toBeGreaterThan(0);
  expect(figures.acknowledgedAfterKill).toBeGreaterThan(0);
});

test('the recovery time is measured: after the promotion began, within two minutes', () => {
  const promoted = Math.max(...Object.values(figures.steps).filter((t) => t < figures.recoverySeconds));
  expect(figures.recoverySeconds).toBeGreaterThan(0);
  expect(figures.recoverySeconds).toBeGreaterThanOrEqual(promoted);
  expect(figures.recoverySeconds).toBeLessThan(120);
});

test('no order is held twice for one request', () => {
  expect(figures.duplicates).toBe(0);
});

test('every order that reached B ends its saga', () => {
  expect(figures.ordersInB).toBeGreaterThan(0);
  expect(figures.sagasComplete).toBe(figures.ordersInB);
});

test('the promotion published the recent outbox rows again by itself, once per database', () => {
  expect(figures.republished).toBeGreaterThan(0);
  expect(figures.promotionRecords).toBe(3);
});

test('the orders lost are counted, never more than were acknowledged', () => {
  expect(figures.missingAfterFailover).toBeGreaterThanOrEqual(0);
  expect(figures.missingAfterFailover).toBeLessThanOrEqual(figures.acknowledgedBeforeKill);
});
