/** Readiness decisions on a clock the test moves: what a dependency failure does, and when. */
import { Readiness } from '../../services/shared/readiness';

function dependency() {
  let failure: string | undefined;
  return {
    check: { name: 'postgres:orders', check: () => (failure ? Promise.reject(new Error(failure)) : Promise.resolve()) },
    fail: (message = 'connect ECONNREFUSED') => (failure = message),
    recover: () => (failure = undefined),
  };
}

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('a dependency that never answered since start makes the process unready at once', async () => {
  const db = dependency();
  db.fail();
  const r = new Readiness([db.check], 120000);
  expect(await r.evaluate()).toEqual({ ready: false, status: 'not ready', checks: { 'postgres:orders': 'never reached: connect ECONNREFUSED' } });
});

test('once it has answered, its failures are tolerated until they have lasted the tolerance without a success', async () => {
  const db = dependency();
  const c = clock();
  const r = new Readiness([db.check], 120000, c.now);
  expect((await r.evaluate()).status).toBe('ready');
  db.fail();
  expect(await r.evaluate()).toEqual({ ready: true, status: 'degraded', checks: { 'postgres:orders': 'failing for 0 s, tolerated for 120 s: connect ECONNREFUSED' } });
  c.advance(119000);
  expect((await r.evaluate()).ready).toBe(true);
  c.advance(1000);
  expect(await r.evaluate()).toEqual({ ready: false, status: 'not ready', checks: { 'postgres:orders': 'failing for 120 s (tolerated 120 s): connect ECONNREFUSED' } });
  db.recover();
  expect(await r.evaluate()).toEqual({ ready: true, status: 'ready', checks: { 'postgres:orders': 'ok' } });
});

test('one success in between starts the count again: only continuous failure counts', async () => {
  const db = dependency();
  const c = clock();
  const r = new Readiness([db.check], 10000, c.now);
  await r.evaluate();
  db.fail();
  await r.evaluate();
  c.advance(9000);
  db.recover();
  await r.evaluate();
  db.fail();
  await r.evaluate();
  c.advance(9000);
  expect((await r.evaluate()).ready).toBe(true);
});

test('a draining process is not ready whatever its dependencies say; checks added later count too', async () => {
  const db = dependency();
  const r = new Readiness([db.check], 120000);
  const cache = dependency();
  r.push({ ...cache.check, name: 'redis' });
  expect(await r.evaluate()).toEqual({ ready: true, status: 'ready', checks: { 'postgres:orders': 'ok', redis: 'ok' } });
  r.drain();
  expect(await r.evaluate()).toEqual({ ready: false, status: 'draining', checks: { 'postgres:orders': 'ok', redis: 'ok' } });
});

test('a check that hangs counts as failed after its timeout', async () => {
  jest.useFakeTimers();
  try {
    const r = new Readiness([{ name: 'redis', check: () => new Promise<void>(() => undefined) }], 0);
    const pending = r.evaluate();
    await jest.advanceTimersByTimeAsync(2000);
    expect(await pending).toEqual({ ready: false, status: 'not ready', checks: { redis: 'never reached: timed out after 2000 ms' } });
  } finally {
    jest.useRealTimers();
  }
});
