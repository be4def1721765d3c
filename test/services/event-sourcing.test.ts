/** Event sourcing and CQRS for orders (EVENT_SOURCING=true): an append-only log, a projection, and rebuilds. */
jest.setTimeout(120000);
import { rebuildView } from '../../services/order/event-log';
import { checkout, eventually, post, seed, startSystem, waitForStatus, type TestSystem } from './harness';

let s: TestSystem;

beforeAll(async () => {
  s = await startSystem('es', { env: { EVENT_SOURCING: 'true' } });
  await seed(s, [{ id: 'es-1', priceCents: 250, stock: 100 }]);
}, 120000);

afterAll(async () => {
  await s?.close();
});

const viewOf = async () => (await s.orders.query('SELECT id, status, reason, total_cents, version FROM order_view ORDER BY id')).rows;

test('every change of an order is appended to its log, and the read model is projected from the log', async () => {
  const ok = await post(s, checkout('es-cust', [{ productId: 'es-1', quantity: 2 }]), 'es-key-00001');
  const declined = await post(s, checkout('es-cust', [{ productId: 'es-1', quantity: 1 }], 'tok_chargeCustomerFail'), 'es-key-00002');
  await waitForStatus(s, ok.body.id, ['CONFIRMED']);
  await waitForStatus(s, declined.body.id, ['PAYMENT_DECLINED']);

  const log = (await s.orders.query('SELECT seq, type, data FROM order_events WHERE order_id = $1 ORDER BY seq', [ok.body.id])).rows;
  expect(log.map((e) => [e.seq, e.type, e.data.status])).toEqual([
    [1, 'OrderPlaced', undefined],
    [2, 'OrderStatusChanged', 'RESERVED'],
    [3, 'OrderStatusChanged', 'PAID'],
    [4, 'OrderStatusChanged', 'CONFIRMED'],
  ]);
  expect(log[0].data).toMatchObject({ customerId: 'es-cust', totalCents: 500 });

  // The projection catches up with the log and agrees with the write model.
  await eventually(async () => {
    const v = await viewOf();
    return v.length === 2 && v.every((r) => ['CONFIRMED', 'PAYMENT_DECLINED'].includes(r.status));
  }, 30000, 'projection');
  const orders = (await s.orders.query('SELECT id, status FROM orders ORDER BY id')).rows;
  expect((await viewOf()).map((r) => ({ id: r.id, status: r.status }))).toEqual(orders);
});

test('the log is append-only', async () => {
  await expect(s.orders.query("UPDATE order_events SET type = 'X'")).rejects.toThrow(/append-only/);
  await expect(s.orders.query('DELETE FROM order_events')).rejects.toThrow(/append-only/);
});

test('reads are served by the projection, and a rebuild from the log gives the same projection', async () => {
  const before = await viewOf();
  const id = before[0]!.id;
  // The write-side table is not what GET reads.
  await s.orders.query("UPDATE orders SET status = 'PENDING' WHERE id = $1", [id]);
  expect((await s.inject({ method: 'GET', url: `/orders/${id}` })).json().status).toBe(before[0]!.status);
  await s.rt.stop(); // stop the running projector before rebuilding
  const replayed = await rebuildView(s.orders);
  expect(replayed).toBeGreaterThanOrEqual(6);
  expect(await viewOf()).toEqual(before);
});
