/**
 * Turning event sourcing on with orders already stored, as the move from 70k to 1m does: the
 * instances are replaced while checkouts keep coming, so for a while old instances (event
 * sourcing off) and new ones (on) write the same databases. The new ones start the log of every
 * order written without one (OrderImported) and project it; the read model ends up with every
 * order, old and new, and no request fails on the way. A process whose database lacks the log's
 * tables serves from the write model until the migration adds them.
 */
jest.setTimeout(300000);
import { loadConfig, DOMAINS } from '../../services/shared/config';
import { createRuntime } from '../../services/main';
import { MODULES } from '../../services/modules';
import type { Runtime } from '../../services/shared/runtime';
import { migrate } from '../../services/tools/migrate-lib';
import { checkout, eventually, httpInject, seed, startSystem, type Inject, type TestSystem } from './harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FINAL = ['CONFIRMED', 'OUT_OF_STOCK', 'PAYMENT_DECLINED', 'REFUNDED'];

/** A second instance on the system's databases and topics, with event sourcing on. */
async function startInstance(s: TestSystem, name: string, env: Record<string, string> = {}): Promise<{ rt: Runtime; inject: Inject }> {
  const rt = createRuntime(name, DOMAINS.map((d) => MODULES[d]), loadConfig({ ...s.env, EVENT_SOURCING: 'true', ...env }));
  const baseUrl = await rt.buildApp().listen({ port: 0, host: '127.0.0.1' });
  await rt.startWorkers();
  return { rt, inject: httpInject(baseUrl) };
}

/** Checkouts (and reads of what they placed) from `senders` customers at once, spread over `targets()`; every answer is kept. */
function traffic(prefix: string, productId: string, targets: () => Inject[], senders = 4) {
  const answers: { what: string; status: number; body: string }[] = [];
  const placed: string[] = [];
  let running = true;
  let n = 0;
  const loops = Array.from({ length: senders }, async (_, k) => {
    while (running) {
      const i = n++;
      const pick = () => {
        const all = targets();
        return all[i % all.length];
      };
      const to = pick();
      const r = await to({ method: 'POST', url: '/orders', headers: { 'idempotency-key': `${prefix}-key-${String(i).padStart(6, '0')}` }, payload: checkout(`${prefix}-c${k}`, [{ productId, quantity: 1 }]) });
      answers.push({ what: 'POST /orders', status: r.statusCode, body: r.body });
      if (r.statusCode !== 201) continue;
      const id = r.json().id as string;
      placed.push(id);
      const read = await pick()({ method: 'GET', url: `/orders/${id}` });
      answers.push({ what: `GET /orders/${id}`, status: read.statusCode, body: read.body });
    }
  });
  return {
    answers,
    placed,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Waits until every order has a final status and the read model holds exactly the orders, as the write model has them. */
async function readModelAgrees(s: TestSystem, expected: number, timeoutMs = 90000): Promise<void> {
  await eventually(
    async () => {
      const orders = (await s.orders.query('SELECT id, status, total_cents FROM orders ORDER BY id')).rows;
      const view = (await s.orders.query('SELECT id, status, total_cents FROM order_view ORDER BY id')).rows;
      if (orders.length === expected && orders.every((o) => FINAL.includes(o.status)) && JSON.stringify(view) === JSON.stringify(orders)) return true;
      const events = (await s.orders.query('SELECT type, count(*)::int AS n FROM order_events GROUP BY type ORDER BY type')).rows;
      throw new Error(`${orders.length} orders of ${expected} (${orders.filter((o) => !FINAL.includes(o.status)).length} not final), ${view.length} in the view; log ${JSON.stringify(events)}`);
    },
    timeoutMs,
    'the read model to hold every order as the write model has it',
  );
}

async function noOrderStartsTwice(s: TestSystem): Promise<void> {
  const twice = await s.orders.query("SELECT order_id FROM order_events WHERE type IN ('OrderPlaced', 'OrderImported') GROUP BY order_id HAVING count(*) > 1");
  expect(twice.rows).toEqual([]);
  const unlogged = await s.orders.query("SELECT id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.type IN ('OrderPlaced', 'OrderImported'))");
  expect(unlogged.rows).toEqual([]);
}

describe('when event sourcing is turned on while orders are stored and checkouts keep coming', () => {
  let s: TestSystem;
  let next: { rt: Runtime; inject: Inject } | undefined;

  beforeAll(async () => {
    s = await startSystem('cqrsup', { env: { EVENT_SOURCING: 'false' } });
    await seed(s, [{ id: 'cqrsup-p', priceCents: 300, stock: 100000 }]);
  }, 120000);

  afterAll(async () => {
    await next?.rt.stop();
    await s?.close();
  });

  test('every existing and new order reaches the read model, with no failed request and no duplicate', async () => {
    // Before: event sourcing off, orders stored, some still in the saga.
    const before = traffic('cqrsup-old', 'cqrsup-p', () => [s.inject]);
    await eventually(
      () => {
        if (before.placed.length >= 40) return Promise.resolve(true);
        throw new Error(`${before.placed.length} placed, last answers ${JSON.stringify(before.answers.slice(-2))}`);
      },
      120000,
      '40 orders',
    );
    await before.stop();
    expect((await s.orders.query('SELECT count(*)::int AS n FROM order_events')).rows[0].n).toBe(0);

    // The rolling change: new instances (on) beside the old one (off), then the old one goes.
    let oldGone = false;
    const during = traffic('cqrsup-new', 'cqrsup-p', () => (next ? (oldGone ? [next.inject] : [s.inject, next.inject]) : [s.inject]));
    await sleep(500);
    next = await startInstance(s, 'cqrsup-next');
    await sleep(3000);
    oldGone = true;
    await sleep(1500); // the requests already sent to the old instance finish before it stops
    await s.rt.stop();
    await sleep(3000);
    await during.stop();

    const answers = [...before.answers, ...during.answers];
    expect(answers.filter((a) => a.status !== 200 && a.status !== 201)).toEqual([]);
    const placed = [...before.placed, ...during.placed];
    expect(new Set(placed).size).toBe(placed.length);
    expect(during.placed.length).toBeGreaterThan(20);

    await readModelAgrees(s, placed.length);
    await noOrderStartsTwice(s);
    const view = new Set((await s.orders.query('SELECT id FROM order_view')).rows.map((r) => r.id as string));
    expect(placed.filter((id) => !view.has(id))).toEqual([]);

    // Reads are the projection's, and the instance reports what it imported and how far the view lags.
    const imported = (await next.rt.metrics.ordersImported.get()).values.reduce((n, v) => n + v.value, 0);
    expect(imported).toBeGreaterThanOrEqual(before.placed.length);
    await s.orders.query("UPDATE orders SET status = 'PENDING' WHERE id = $1", [before.placed[0]]);
    expect((await next.inject({ method: 'GET', url: `/orders/${before.placed[0]}` })).json().status).toBe('CONFIRMED');
    await eventually(async () => (await next!.rt.metrics.readModelLag.get()).values.some((v) => v.labels.database === 'orders'), 10000, 'the lag gauge');
  });
});

describe('when a process with event sourcing on finds the log\'s tables missing or partial', () => {
  let s: TestSystem;
  let es: { rt: Runtime; inject: Inject } | undefined;

  beforeAll(async () => {
    s = await startSystem('cqrsmiss', { env: { EVENT_SOURCING: 'false' } });
    await seed(s, [{ id: 'cqrsmiss-p', priceCents: 450, stock: 100000 }]);
  }, 120000);

  afterAll(async () => {
    await es?.rt.stop();
    await s?.close();
  });

  test('it serves every request from the write model, and the migration lets it build the read model', async () => {
    // A database migrated before the log's tables were whole: no view, no checkpoints, a log without its transaction column.
    await s.orders.query("DROP TABLE order_view; DROP TABLE projection_checkpoints; ALTER TABLE order_events DROP COLUMN tx, DROP COLUMN recorded_at; DELETE FROM schema_migrations WHERE id = '005_event_sourcing_complete'");
    es = await startInstance(s, 'cqrsmiss-es');
    const load = traffic('cqrsmiss', 'cqrsmiss-p', () => [es!.inject]);
    await eventually(() => Promise.resolve(load.placed.length >= 20), 60000, '20 orders');

    const applied = await migrate(s.dbs[0].url, 'orders');
    expect(applied).toEqual(['005_event_sourcing_complete']);
    await sleep(7000); // past the instance's next look at the schema
    await load.stop();

    expect(load.answers.filter((a) => a.status !== 200 && a.status !== 201)).toEqual([]);
    await readModelAgrees(s, load.placed.length);
    await noOrderStartsTwice(s);
    // Orders placed once the tables were there were logged as they were written.
    const placedLogged = (await s.orders.query("SELECT count(*)::int AS n FROM order_events WHERE type = 'OrderPlaced'")).rows[0].n;
    expect(placedLogged).toBeGreaterThan(0);
  });
});
