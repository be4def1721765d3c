/**
 * GET /health/checkout against real servers: 200 while the region can take a checkout, 503
 * naming the failing check when a store it writes is a read-only standby or unreachable, one
 * evaluation per 2 s whatever the number of checkers, and a secondary that answers for home.
 */
jest.setTimeout(180000);
import { createRuntime } from '../../services/main';
import { MODULES } from '../../services/modules';
import { DOMAINS, loadConfig } from '../../services/shared/config';
import type { Runtime } from '../../services/shared/runtime';
import { waitForReplicaCatchUp } from '../support/servers';
import { httpInject, startSystem, type Inject, type TestSystem } from './harness';

let home: TestSystem;
const others: Runtime[] = [];

async function serve(env: Record<string, string>): Promise<Inject> {
  const rt = createRuntime('health', DOMAINS.map((d) => MODULES[d]), loadConfig({ ...home.env, RELAY: 'false', CONSUMERS: 'false', ...env }));
  others.push(rt);
  return httpInject(await rt.buildApp().listen({ port: 0, host: '127.0.0.1' }));
}

beforeAll(async () => {
  home = await startSystem('chk_health', { servers: ['postgres', 'replica', 'kafka'], workers: false, env: { AWS_REGION: 'us-east-1' } });
  await waitForReplicaCatchUp();
});

afterAll(async () => {
  for (const rt of others) await rt.stop().catch(() => undefined);
  await home?.close();
});

test('a primary whose stores answer and are writable can take a checkout', async () => {
  const r = await home.inject({ method: 'GET', url: '/health/checkout' });
  expect(r.statusCode).toBe(200);
  expect(r.json()).toMatchObject({ ok: true, role: 'primary', region: 'us-east-1', checks: { orders: 'ok', inventory: 'ok' } });
  expect(r.headers['cache-control']).toBe('private, no-store');
});

test('a primary whose orders database is a read-only standby fails the check, naming it', async () => {
  const inject = await serve({ ORDERS_DB_URL: home.dbs[0].replicaUrl });
  const r = await inject({ method: 'GET', url: '/health/checkout' });
  expect(r.statusCode).toBe(503);
  expect(r.json()).toMatchObject({ ok: false, checks: { orders: 'read-only: the database is a standby (in recovery)', inventory: 'ok' } });
  // /readyz is per instance and only asks whether the database answers: it does.
  expect((await inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
});

test('an unreachable store fails within the check timeout', async () => {
  const inject = await serve({ INVENTORY_DB_URL: 'postgres://u:p@127.0.0.1:1/nowhere' });
  const t0 = Date.now();
  const r = await inject({ method: 'GET', url: '/health/checkout' });
  expect(Date.now() - t0).toBeLessThan(1800);
  expect(r.statusCode).toBe(503);
  expect(r.json().checks).toMatchObject({ orders: 'ok', inventory: expect.stringMatching(/ECONNREFUSED|timed out/) });
});

test('many checkers within 2 s get one evaluation', async () => {
  const answers = await Promise.all(Array.from({ length: 20 }, () => home.inject({ method: 'GET', url: '/health/checkout' })));
  const stamps = new Set(answers.map((a) => a.json().checkedAt));
  expect(stamps.size).toBe(1);
  await new Promise((r) => setTimeout(r, 2100));
  const later = await home.inject({ method: 'GET', url: '/health/checkout' });
  expect(later.json().checkedAt).not.toBe([...stamps][0]);
});

test('a secondary answers for home: 200 while home takes checkouts, 503 when home cannot be reached', async () => {
  const secEnv = { REGION_ROLE: 'secondary', AWS_REGION: 'us-west-2', ORDERS_DB_URL: home.dbs[0].replicaUrl, INVENTORY_DB_URL: home.dbs[1].replicaUrl, USERS_DB_URL: home.dbs[2].replicaUrl, DAILY_USERS: 'false' };
  const sec = await serve({ ...secEnv, HOME_API_URL: home.baseUrl });
  const ok = await sec({ method: 'GET', url: '/health/checkout' });
  expect(ok.statusCode).toBe(200);
  expect(ok.json()).toMatchObject({ ok: true, role: 'secondary', region: 'us-west-2', checks: { home: 'ok' } });
  const lost = await serve({ ...secEnv, HOME_API_URL: 'http://127.0.0.1:1' });
  const r = await lost({ method: 'GET', url: '/health/checkout' });
  expect(r.statusCode).toBe(503);
  expect(r.json()).toMatchObject({ ok: false, role: 'secondary', checks: { home: expect.stringMatching(/fetch failed|ECONNREFUSED/) } });
});
