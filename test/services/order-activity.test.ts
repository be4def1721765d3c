/**
 * The order-activity collection (ORDER_ACTIVITY) against the local FerretDB: set up by the schema
 * tool, filled once per order event by the analytics consumer, read per customer a page at a time;
 * shard mode sends the shard command and fails clearly on a server that cannot shard.
 */
jest.setTimeout(120000);
import { MongoClient, MongoServerError, type Db, type Document } from 'mongodb';
import { ActivityStore } from '../../services/analytics/activity';
import { ACTIVITY_COLLECTION, setUpActivityCollection, type ActivityDoc } from '../../services/migrations/order-activity';
import { parseCredentials } from '../../services/shared/credentials';
import { event } from '../../services/shared/events';
import { MongoConnection, splitMongoUrl } from '../../services/shared/mongo';
import { placeOf } from '../../services/shared/region';
import { migrateActivity } from '../../services/tools/migrate-lib';
import { MONGODB_URL, uniqueName } from '../support/servers';
import { checkout, eventually, seed, startSystem, waitForStatus, type TestSystem } from './harness';

const dbName = uniqueName('activity');
const shardedDbName = uniqueName('activity_sharded');
let s: TestSystem;
let mongo: MongoClient;
let setup: string[][];

beforeAll(async () => {
  mongo = await new MongoClient(MONGODB_URL, { serverSelectionTimeoutMS: 30000 }).connect();
  // The schema tool runs before the services, twice as a redeploy would.
  setup = [await migrateActivity(MONGODB_URL, dbName, false), await migrateActivity(MONGODB_URL, dbName, false)];
  s = await startSystem('activity', {
    servers: ['postgres', 'kafka', 'ferretdb'],
    env: { ORDER_ACTIVITY: 'true', ANALYTICS_MONGO_URL: MONGODB_URL, ANALYTICS_MONGO_DB: dbName },
  });
  await seed(s, [{ id: 'act-1', priceCents: 1250, stock: 1000 }]);
}, 120000);

afterAll(async () => {
  await s?.close();
  for (const name of [dbName, shardedDbName]) await mongo?.db(name).dropDatabase().catch(() => undefined);
  await mongo?.close();
});

const activityOf = async (customer: string, query = '') => s.inject({ method: 'GET', url: `/analytics/customers/${customer}/activity${query}` });

test('the schema tool creates the collection and its customer index once; a second run changes nothing', async () => {
  expect(setup[0]).toEqual([`created ${dbName}.${ACTIVITY_COLLECTION}`, `indexed ${dbName}.${ACTIVITY_COLLECTION} by customerId, occurredAt, _id`]);
  expect(setup[1]).toEqual([]);
  const indexes = await mongo.db(dbName).collection(ACTIVITY_COLLECTION).indexes();
  expect(indexes.find((i) => i.name === 'customer_occurred')?.key).toEqual({ customerId: 1, occurredAt: -1, _id: -1 });
});

test('when an order is placed, each of its events is kept once for its customer, newest first', async () => {
  const r = await s.inject({ method: 'POST', url: '/orders', payload: checkout('act-cust-1', [{ productId: 'act-1', quantity: 2 }]), headers: { 'idempotency-key': 'act-key-0001' } });
  expect(r.statusCode).toBe(201);
  const orderId: string = r.json().id;
  await waitForStatus(s, orderId, ['CONFIRMED']);
  const published = (await s.orders.query<{ event_id: string }>("SELECT event_id FROM outbox WHERE key = $1 AND type IN ('OrderPlaced', 'OrderStatusChanged')", [orderId])).rows.map((x) => x.event_id);
  const page = await eventually(async () => {
    const a = await activityOf('act-cust-1');
    return a.statusCode === 200 && a.json().activity.length === published.length ? a.json() : undefined;
  }, 30000, 'every order event in the activity');
  expect(page.activity.map((x: { eventId: string }) => x.eventId).sort()).toEqual([...published].sort());
  expect(page.activity[0]).toMatchObject({ orderId, type: 'OrderStatusChanged', status: 'CONFIRMED', totalCents: 2500 });
  expect(page.activity[page.activity.length - 1]).toMatchObject({ orderId, type: 'OrderPlaced', status: 'PENDING', totalCents: 2500 });
  const times = page.activity.map((x: { occurredAt: string }) => x.occurredAt);
  expect([...times].sort().reverse()).toEqual(times);
  expect(page.next).toBeUndefined();
});

test('when an order event is delivered twice, one document exists', async () => {
  const store = new ActivityStore(new MongoConnection(MONGODB_URL, dbName, { maxPoolSize: 2 }));
  try {
    const e = event('OrderStatusChanged', 'twice-order', { orderId: 'twice-order', customerId: 'act-twice', status: 'PAID', reason: null, totalCents: 10, currency: 'USD' });
    expect(await store.record(e)).toBe(true);
    expect(await store.record(e)).toBe(true);
    expect(await mongo.db(dbName).collection(ACTIVITY_COLLECTION).countDocuments({ customerId: 'act-twice' })).toBe(1);
    expect(await store.record({ ...e, data: { note: 'not an order' } })).toBe(false);
  } finally {
    await (store as unknown as { mongo: MongoConnection }).mongo.close();
  }
});

test('a customer\'s activity is read in bounded pages that together hold every entry once', async () => {
  const docs = Array.from({ length: 25 }, (_, i) => ({
    _id: `page-${String(i).padStart(2, '0')}`,
    customerId: 'act-pages',
    orderId: `o-${i}`,
    type: 'OrderStatusChanged',
    status: 'PAID',
    totalCents: i,
    // Pairs share a time: ties are broken by id.
    occurredAt: new Date(Date.UTC(2030, 0, 1, 0, 0, Math.floor(i / 2))),
  }));
  await mongo.db(dbName).collection<ActivityDoc>(ACTIVITY_COLLECTION).insertMany(docs);
  const seen: string[] = [];
  const sizes: number[] = [];
  let query = '?limit=10';
  for (;;) {
    const r = await activityOf('act-pages', query);
    expect(r.statusCode).toBe(200);
    const b = r.json();
    sizes.push(b.activity.length);
    seen.push(...b.activity.map((x: { eventId: string }) => x.eventId));
    if (!b.next) break;
    query = `?limit=10&before=${b.next}`;
  }
  expect(sizes).toEqual([10, 10, 5]);
  expect(seen).toEqual(docs.map((d) => d._id).reverse());
  expect((await activityOf('act-pages', '?limit=101')).json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'limit' });
  expect((await activityOf('act-pages', '?before=not-a-cursor')).json().error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'before: must be the next cursor of an earlier page' });
  expect((await activityOf('bad id!')).statusCode).toBe(400);
});

test('a secondary region forwards activity reads home: the elastic cluster is only in the primary', () => {
  expect(placeOf('GET', '/analytics/customers/:customerId/activity')).toBe('home');
});

describe('shard mode', () => {
  test('sends shardCollection with the hashed customer key, and fails clearly on a server that cannot shard', async () => {
    const connection = new MongoConnection(MONGODB_URL, shardedDbName, { maxPoolSize: 2, driver: { monitorCommands: true } });
    const sent: Document[] = [];
    (await connection.connect()).on('commandStarted', (c) => sent.push(c.command));
    try {
      const host = new URL(MONGODB_URL).host;
      await expect(migrateActivity(MONGODB_URL, shardedDbName, true, connection)).rejects.toThrow(
        new RegExp(
          `^ANALYTICS_MONGO_SHARDED is on, but the server at ${host.replace('.', '\\.')} could not shard ${shardedDbName}\\.order_activity \\(.+\\): ` +
            'sharding needs a DocumentDB elastic cluster or a mongos; for a single server turn ANALYTICS_MONGO_SHARDED off$',
        ),
      );
      const shard = sent.find((c) => 'shardCollection' in c);
      expect(shard).toMatchObject({ shardCollection: `${shardedDbName}.order_activity`, key: { customerId: 'hashed' }, $db: 'admin' });
    } finally {
      await connection.close();
    }
  });

  test('a rerun on a sharded server that answers "already sharded" succeeds and still indexes', async () => {
    const db: Db = mongo.db(shardedDbName);
    const admin = {
      command: () => Promise.reject(new MongoServerError({ code: 23, errmsg: `sharding already enabled for collection ${shardedDbName}.order_activity` })),
    } as unknown as Db;
    expect(await setUpActivityCollection(db, admin, { sharded: true, where: 'test' })).toEqual([`indexed ${shardedDbName}.${ACTIVITY_COLLECTION} by customerId, occurredAt, _id`]);
    expect(await setUpActivityCollection(db, admin, { sharded: true, where: 'test' })).toEqual([]);
  });
});

describe('credentials', () => {
  test('a URL naming a credential source loses it and its user information for the driver; the user logs in with a bare-password secret', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:elastic-AbC';
    expect(splitMongoUrl(`mongodb://catalog_admin@orders.example:27017/?tls=true&credentials=${arn}`)).toEqual({
      url: 'mongodb://orders.example:27017/?tls=true',
      user: 'catalog_admin',
      source: arn,
    });
    expect(splitMongoUrl('mongodb://a:b@h:1/?tls=true')).toEqual({ url: 'mongodb://a:b@h:1/?tls=true' });
    expect(parseCredentials('s3cretPassw0rd', 'secret x', 'catalog_admin')).toEqual({ user: 'catalog_admin', password: 's3cretPassw0rd' });
    expect(parseCredentials('{"username":"u","password":"p"}', 'secret x', 'catalog_admin')).toEqual({ user: 'u', password: 'p' });
    expect(() => parseCredentials('s3cretPassw0rd', 'secret x')).toThrow('secret x: not a JSON document');
  });
});
