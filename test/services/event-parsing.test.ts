/**
 * Events are parsed with their type's schema at the consumer: a malformed event is logged as an
 * error naming each bad field, its value and the rule, counted as unparseable and passed over;
 * the events after it are handled.
 */
jest.setTimeout(120000);
import { Writable } from 'node:stream';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import pino from 'pino';
import { EventConsumer } from '../../services/shared/consumer';
import { event, type TypedEvent } from '../../services/shared/events';
import { Metrics } from '../../services/shared/metrics';
import { eventually, prepare } from './harness';
import { KAFKA_BROKERS } from '../support/servers';

let system: Awaited<ReturnType<typeof prepare>>;
const kafka = new Kafka({ clientId: 'event-parsing-test', brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING });

beforeAll(async () => {
  system = await prepare('evparse');
}, 120000);

afterAll(async () => {
  await system?.drop();
});

/** A pino logger whose lines are kept, parsed, in `lines`. */
function capturingLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

const ORDER_KEY = 'evparse-order-1';
const placed = (orderId: string) =>
  event('OrderPlaced', orderId, {
    orderId,
    customerId: 'evparse-c1',
    items: [{ productId: 'p-a', quantity: 2, unitPriceCents: 500 }],
    totalCents: 1000,
    currency: 'USD',
    paymentToken: 'tok_visa',
    shipping: { name: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postalCode: 'N1 9GU', country: 'GB' },
  });

test('when an event breaks its schema, the consumer logs the field, value and rule, counts it unparseable and handles the next event', async () => {
  const good = placed(ORDER_KEY);
  const malformed = { ...placed(ORDER_KEY), data: { ...good.data, orderId: undefined, items: [{ productId: 'p-a', quantity: 'two', unitPriceCents: 500 }] } };
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    // One key: one partition, so the consumer meets them in this order.
    await producer.send({
      topic: `${system.prefix}orders`,
      acks: -1,
      messages: [
        { key: ORDER_KEY, value: 'not json' },
        { key: ORDER_KEY, value: JSON.stringify(malformed) },
        { key: ORDER_KEY, value: JSON.stringify(good) },
      ],
    });
  } finally {
    await producer.disconnect();
  }

  const handled: TypedEvent<'OrderPlaced'>[] = [];
  const { log, lines } = capturingLogger();
  const metrics = new Metrics('event-parsing-test', false);
  const consumer = new EventConsumer(
    { name: 'evparse', topics: ['orders'], handlers: { OrderPlaced: (e) => Promise.resolve(void handled.push(e)) } },
    { kafka, topicPrefix: system.prefix, log, metrics },
  );
  await consumer.start();
  try {
    await eventually(() => Promise.resolve(handled.length > 0), 60000, 'the good event handled');
  } finally {
    await consumer.stop();
  }

  expect(handled.map((e) => e.id)).toEqual([good.id]);
  expect(handled[0].data).toEqual(good.data);
  const errors = lines.filter((l) => l.level === 50);
  expect(errors.map((l) => l.msg)).toEqual([
    'skipping unparseable message: not JSON',
    `skipping unparseable event ${malformed.id} (OrderPlaced): data.orderId: Invalid input: expected string, received undefined (value missing); data.items[0].quantity: Invalid input: expected number, received string (value "two")`,
  ]);
  expect(errors[1]).toMatchObject({ consumer: 'evparse', event: malformed.id, type: 'OrderPlaced', fields: ['data.orderId', 'data.items[0].quantity'] });
  const counted = (await metrics.eventsConsumed.get()).values.map((v) => [v.labels.outcome, v.value]);
  expect(Object.fromEntries(counted)).toEqual({ unparseable: 2, ok: 1 });
});

test('when an event of a type the consumer does not handle is malformed, it is passed over without being parsed', async () => {
  const orderId = 'evparse-order-2';
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const good = placed(orderId);
  const unhandled = { ...event('OrderStatusChanged', orderId, { orderId, customerId: 'c', status: 'PAID', reason: null, totalCents: 1, currency: 'USD' }), data: {} };
  try {
    await producer.send({
      topic: `${system.prefix}orders`,
      acks: -1,
      messages: [
        { key: orderId, value: JSON.stringify(unhandled) },
        { key: orderId, value: JSON.stringify(good) },
      ],
    });
  } finally {
    await producer.disconnect();
  }
  const handled: string[] = [];
  const { log, lines } = capturingLogger();
  const consumer = new EventConsumer({ name: 'evparse-2', topics: ['orders'], handlers: { OrderPlaced: (e) => Promise.resolve(void handled.push(e.id)) } }, { kafka, topicPrefix: system.prefix, log });
  await consumer.start();
  try {
    await eventually(() => Promise.resolve(handled.includes(good.id)), 60000, 'the good event handled');
  } finally {
    await consumer.stop();
  }
  // The topic still holds the first test's malformed OrderPlaced: parsed (and refused) again, while the unhandled type is not parsed at all.
  const refused = lines.filter((l) => l.level === 50 && /unparseable event/.test(l.msg)).map((l) => l.type);
  expect(refused).toEqual(['OrderPlaced']);
  expect(lines.filter((l) => l.event === unhandled.id)).toEqual([]);
});
