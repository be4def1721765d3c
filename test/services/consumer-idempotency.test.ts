/** Consumers are idempotent: when the relay publishes every event a second time, nothing happens twice. */
jest.setTimeout(120000);
import { ALL_GROUPS, ADDRESS, checkout, eventually, post, seed, startSystem, waitForConsumersIdle, waitForStatus, type TestSystem } from './harness';

let s: TestSystem;

beforeAll(async () => {
  s = await startSystem('idem');
  await seed(s, [{ id: 'p-a', priceCents: 1000, stock: 50 }]);
}, 120000);

afterAll(async () => {
  await s?.close();
});

async function snapshot() {
  const q = async (pool: typeof s.orders, sql: string) => (await pool.query(sql)).rows;
  return {
    stock: await q(s.inventory, "SELECT available, reserved FROM stock WHERE product_id = 'p-a'"),
    reservations: await q(s.inventory, 'SELECT order_id, status, quantity FROM reservations ORDER BY order_id'),
    ledger: await q(s.orders, 'SELECT idempotency_key, kind, amount_cents FROM sandbox_ledger ORDER BY idempotency_key'),
    payments: await q(s.orders, 'SELECT order_id, status, amount_cents, refunded_cents FROM payments ORDER BY order_id'),
    shipments: await q(s.orders, 'SELECT order_id, status FROM shipments ORDER BY order_id'),
    orders: await q(s.orders, 'SELECT id, status FROM orders ORDER BY id'),
    notifications: await q(s.users, 'SELECT order_id, template FROM notifications ORDER BY order_id, template'),
    analytics: await q(s.users, 'SELECT metric, value FROM analytics_daily ORDER BY metric'),
  };
}

test('when every event is delivered twice, stock, charges, shipments, notifications and counters do not change', async () => {
  const placed = [
    await post(s, checkout('idem-1', [{ productId: 'p-a', quantity: 2 }]), 'idem-key-0001'),
    await post(s, checkout('idem-2', [{ productId: 'p-a', quantity: 1 }], 'tok_chargeCustomerFail'), 'idem-key-0002'),
    await post(s, checkout('idem-3', [{ productId: 'p-a', quantity: 3 }], 'tok_visa', { ...ADDRESS, country: 'AQ' }), 'idem-key-0003'),
  ];
  expect(placed.map((p) => p.status)).toEqual([201, 201, 201]);
  await waitForStatus(s, placed[0].body.id, ['CONFIRMED']);
  await waitForStatus(s, placed[1].body.id, ['PAYMENT_DECLINED']);
  await waitForStatus(s, placed[2].body.id, ['REFUNDED']);
  await eventually(async () => (await s.outboxPending()) === 0, 20000, 'outboxes drained');
  await waitForConsumersIdle(s.prefix, ALL_GROUPS);
  const before = await snapshot();
  expect(before.stock).toEqual([{ available: 48, reserved: 0 }]);

  // At-least-once in practice: the relay publishes the whole outbox again.
  const republished = (await Promise.all([s.orders, s.inventory, s.users].map((p) => p.query('UPDATE outbox SET published_at = NULL')))).reduce((n, r) => n + (r.rowCount ?? 0), 0);
  expect(republished).toBeGreaterThan(10);
  await eventually(async () => (await s.outboxPending()) === 0, 20000, 'outboxes drained again');
  await waitForConsumersIdle(s.prefix, ALL_GROUPS);

  expect(await snapshot()).toEqual(before);
  const skipped = await s.orders.query("SELECT count(*)::int AS n FROM processed_events WHERE consumer = 'order-status'");
  expect(skipped.rows[0].n).toBeGreaterThan(0);
});
