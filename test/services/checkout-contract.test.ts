/** The checkout contract and the saga's end states, against real PostgreSQL and Kafka. */
jest.setTimeout(120000);
import { ADDRESS, checkout, eventually, post, seed, startSystem, waitForStatus, type TestSystem } from './harness';

let s: TestSystem;

beforeAll(async () => {
  s = await startSystem('contract');
  await seed(s, [
    { id: 'p-hot', priceCents: 999, stock: 10 },
    { id: 'p-book', priceCents: 1250, stock: 100 },
    { id: 'p-lamp', priceCents: 4999, stock: 1 },
    { id: 'p-pen', priceCents: 199, stock: 1000 },
  ]);
}, 120000);

afterAll(async () => {
  await s?.close();
});

describe('POST /orders', () => {
  test('an accepted order answers 201 with the order, priced from the catalogue', async () => {
    const r = await post(s, checkout('cust-1', [{ productId: 'p-book', quantity: 2 }]), 'key-accept-0001');
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ customerId: 'cust-1', status: 'PENDING', totalCents: 2500, currency: 'USD', items: [{ productId: 'p-book', quantity: 2, unitPriceCents: 1250 }] });
    expect(r.headers.location).toBe(`/orders/${r.body.id}`);
  });

  test('when an order is placed twice with one key, one order exists and the replay returns it', async () => {
    const body = checkout('cust-2', [{ productId: 'p-pen', quantity: 3 }]);
    const [a, b] = await Promise.all([post(s, body, 'key-replay-0001'), post(s, body, 'key-replay-0001')]);
    const c = await post(s, body, 'key-replay-0001');
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    expect(b.body.id).toBe(a.body.id);
    expect(c.body.id).toBe(a.body.id);
    expect(c.headers['idempotent-replayed']).toBe('true');
    const n = await s.orders.query("SELECT count(*)::int AS n FROM orders WHERE customer_id = 'cust-2'");
    expect(n.rows[0].n).toBe(1);
    const ev = await s.orders.query("SELECT count(*)::int AS n FROM outbox WHERE type = 'OrderPlaced' AND key = $1", [a.body.id]);
    expect(ev.rows[0].n).toBe(1);
  });

  test('a key reused with a different body answers 422 IDEMPOTENCY_KEY_REUSED', async () => {
    await post(s, checkout('cust-3', [{ productId: 'p-pen', quantity: 1 }]), 'key-reuse-0001');
    const r = await post(s, checkout('cust-3', [{ productId: 'p-pen', quantity: 2 }]), 'key-reuse-0001');
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', field: 'Idempotency-Key' });
  });

  test('the same key from two customers makes two orders', async () => {
    const a = await post(s, checkout('cust-4a', [{ productId: 'p-pen', quantity: 1 }]), 'key-shared-0001');
    const b = await post(s, checkout('cust-4b', [{ productId: 'p-pen', quantity: 1 }]), 'key-shared-0001');
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.id).not.toBe(b.body.id);
  });

  test.each([
    ['a missing customerId', { items: [{ productId: 'p-pen', quantity: 1 }], payment: { token: 'tok_visa' }, shipping: ADDRESS }, 'customerId'],
    ['a zero quantity', checkout('c', [{ productId: 'p-pen', quantity: 0 }]), 'items[0].quantity'],
    ['a fractional quantity', checkout('c', [{ productId: 'p-pen', quantity: 1.5 }]), 'items[0].quantity'],
    ['no items', checkout('c', []), 'items'],
    ['a bad country', checkout('c', [{ productId: 'p-pen', quantity: 1 }], 'tok_visa', { ...ADDRESS, country: 'Britain' }), 'shipping.country'],
    ['an unknown field', { ...checkout('c', [{ productId: 'p-pen', quantity: 1 }]), coupon: 'FREE' }, 'coupon'],
    ['a duplicated product', checkout('c', [{ productId: 'p-pen', quantity: 1 }, { productId: 'p-pen', quantity: 1 }]), 'items[1].productId'],
  ])('%s answers 400 naming the field', async (_what, body, field) => {
    const r = await post(s, body, 'key-invalid-0001');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field });
  });

  test('a missing Idempotency-Key answers 400 naming the header', async () => {
    const r = await post(s, checkout('c', [{ productId: 'p-pen', quantity: 1 }]));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REQUIRED', field: 'Idempotency-Key' });
  });

  test('an unknown product answers 422 naming the item', async () => {
    const r = await post(s, checkout('c', [{ productId: 'p-none', quantity: 1 }]), 'key-unknown-0001');
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'UNKNOWN_PRODUCT', field: 'items[0].productId' });
  });

  test('more than the stock answers 409 OUT_OF_STOCK and stores nothing', async () => {
    const r = await post(s, checkout('cust-oos', [{ productId: 'p-lamp', quantity: 2 }]), 'key-oos-0001');
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'OUT_OF_STOCK', field: 'items[0].quantity', productId: 'p-lamp', available: 1 });
    const n = await s.orders.query("SELECT count(*)::int AS n FROM orders WHERE customer_id = 'cust-oos'");
    expect(n.rows[0].n).toBe(0);
  });

  test('a declined card answers 402 PAYMENT_DECLINED and stores nothing', async () => {
    const r = await post(s, checkout('cust-402', [{ productId: 'p-pen', quantity: 1 }], 'tok_chargeDeclined'), 'key-declined-0001');
    expect(r.status).toBe(402);
    expect(r.body.error).toMatchObject({ code: 'PAYMENT_DECLINED', field: 'payment.token', declineCode: 'card_declined' });
    const n = await s.orders.query("SELECT count(*)::int AS n FROM orders WHERE customer_id = 'cust-402'");
    expect(n.rows[0].n).toBe(0);
  });
});

describe('the saga', () => {
  test('a paid order moves PENDING -> CONFIRMED: stock committed, charged once, shipped, notified', async () => {
    const r = await post(s, checkout('cust-saga-1', [{ productId: 'p-book', quantity: 3 }]), 'key-saga-0001');
    expect(r.status).toBe(201);
    const o = await waitForStatus(s, r.body.id, ['CONFIRMED']);
    expect(o.status).toBe('CONFIRMED');
    const pay = await s.inject({ method: 'GET', url: `/payments/${r.body.id}` });
    expect(pay.json()).toMatchObject({ status: 'CAPTURED', amountCents: 3750 });
    const ship = await s.inject({ method: 'GET', url: `/shipments/${r.body.id}` });
    expect(ship.json()).toMatchObject({ status: 'CREATED', carrier: 'sandbox-post' });
    const ledger = await s.orders.query('SELECT count(*)::int AS n FROM sandbox_ledger WHERE idempotency_key = $1', [`charge:${r.body.id}`]);
    expect(ledger.rows[0].n).toBe(1);
    await eventually(async () => (await s.inventory.query("SELECT status FROM reservations WHERE order_id = $1", [r.body.id])).rows[0]?.status === 'COMMITTED', 20000, 'reservation committed');
    const n = await eventually(async () => {
      const x = await s.inject({ method: 'GET', url: `/notifications?orderId=${r.body.id}` });
      return x.json().notifications.length > 0 ? x.json().notifications : undefined;
    }, 20000, 'notification');
    expect(n).toEqual([expect.objectContaining({ template: 'order-confirmed' })]);
  });

  test('an order that loses the race for the last unit ends OUT_OF_STOCK, uncharged', async () => {
    const a = post(s, checkout('cust-race-a', [{ productId: 'p-lamp', quantity: 1 }]), 'key-race-000a');
    const b = post(s, checkout('cust-race-b', [{ productId: 'p-lamp', quantity: 1 }]), 'key-race-000b');
    const [ra, rb] = await Promise.all([a, b]);
    const accepted = [ra, rb].filter((x) => x.status === 201);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    const finals = await Promise.all(accepted.map((x) => waitForStatus(s, x.body.id, ['CONFIRMED', 'OUT_OF_STOCK'])));
    expect(finals.filter((f) => f.status === 'CONFIRMED')).toHaveLength(1);
    for (const f of finals.filter((x) => x.status === 'OUT_OF_STOCK')) {
      const pay = await s.inject({ method: 'GET', url: `/payments/${f.id}` });
      expect(pay.statusCode).toBe(404);
    }
    const stock = await s.inventory.query("SELECT available, reserved FROM stock WHERE product_id = 'p-lamp'");
    expect(stock.rows[0]).toEqual({ available: 0, reserved: 0 });
  });

  test('when 30 customers race for 10 units, exactly 10 orders are confirmed and stock never goes below zero', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => post(s, checkout(`cust-hot-${i}`, [{ productId: 'p-hot', quantity: 1 }]), `key-hot-${String(i).padStart(4, '0')}`)),
    );
    const accepted = results.filter((r) => r.status === 201);
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(accepted.length).toBeGreaterThanOrEqual(10);
    const finals = await Promise.all(accepted.map((r) => waitForStatus(s, r.body.id, ['CONFIRMED', 'OUT_OF_STOCK'])));
    expect(finals.filter((f) => f.status === 'CONFIRMED')).toHaveLength(10);
    const stock = await s.inventory.query("SELECT available, reserved FROM stock WHERE product_id = 'p-hot'");
    expect(stock.rows[0]).toEqual({ available: 0, reserved: 0 });
    const charged = await s.orders.query("SELECT count(*)::int AS n FROM payments p WHERE p.order_id = ANY($1::uuid[]) AND status = 'CAPTURED'", [accepted.map((r) => r.body.id)]);
    expect(charged.rows[0].n).toBe(10);
  });

  test('a card declined at capture ends PAYMENT_DECLINED and its stock is released', async () => {
    const before = (await s.inventory.query("SELECT available FROM stock WHERE product_id = 'p-book'")).rows[0].available;
    const r = await post(s, checkout('cust-decl', [{ productId: 'p-book', quantity: 5 }], 'tok_chargeCustomerFail'), 'key-capture-decl-1');
    expect(r.status).toBe(201);
    const o = await waitForStatus(s, r.body.id, ['PAYMENT_DECLINED']);
    expect(o.reason).toBe('card_declined');
    await eventually(async () => (await s.inventory.query("SELECT status FROM reservations WHERE order_id = $1", [r.body.id])).rows[0]?.status === 'RELEASED', 20000, 'stock released');
    const after = (await s.inventory.query("SELECT available FROM stock WHERE product_id = 'p-book'")).rows[0].available;
    expect(after).toBe(before);
  });

  test('a paid order that cannot ship is refunded and its stock released', async () => {
    const r = await post(s, checkout('cust-ship', [{ productId: 'p-pen', quantity: 2 }], 'tok_visa', { ...ADDRESS, country: 'AQ' }), 'key-noship-0001');
    expect(r.status).toBe(201);
    await waitForStatus(s, r.body.id, ['REFUNDED']);
    const pay = (await s.inject({ method: 'GET', url: `/payments/${r.body.id}` })).json();
    expect(pay).toMatchObject({ status: 'REFUNDED', refundedCents: 398 });
    await eventually(async () => (await s.inventory.query("SELECT status FROM reservations WHERE order_id = $1", [r.body.id])).rows[0]?.status === 'RELEASED', 20000, 'stock released');
  });
});

describe('health, readiness and metrics', () => {
  test('/healthz answers, /readyz checks the databases, /metrics has request and business metrics', async () => {
    expect((await s.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await s.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toMatchObject({ 'postgres:orders': 'ok', 'postgres:inventory': 'ok', 'postgres:users': 'ok' });
    const m = (await s.inject({ method: 'GET', url: '/metrics' })).body;
    for (const name of ['http_requests_total', 'http_errors_total', 'http_request_duration_seconds_bucket', 'orders_placed_total', 'order_revenue_cents_total', 'checkout_conversion_ratio', 'checkout_attempts_total', 'orders_final_total', 'outbox_events_published_total', 'events_consumed_total']) {
      expect(m).toContain(name);
    }
    expect(m).toMatch(/checkout_attempts_total\{outcome="OUT_OF_STOCK",service="contract"\} [1-9]/);
    expect(m).toMatch(/http_errors_total\{method="POST",route="\/orders",code="VALIDATION_FAILED",service="contract"\} [1-9]/);
  });
});
