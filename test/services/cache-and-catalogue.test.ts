/** Cache-aside in a Redis cluster, invalidated by events; the catalogue in MongoDB (FerretDB). */
jest.setTimeout(120000);
import { Cluster } from 'ioredis';
import { MongoClient } from 'mongodb';
import { MONGODB_URL, REDIS_CLUSTER_NODES, uniqueName } from '../support/servers';
import { checkout, eventually, post, seed, startSystem, waitForConsumersIdle, type TestSystem } from './harness';

describe('cache-aside in the Redis cluster', () => {
  let s: TestSystem;
  let redis: Cluster;
  const prefix = `${uniqueName('cache')}:`;

  beforeAll(async () => {
    s = await startSystem('cache', {
      servers: ['postgres', 'kafka', 'redis-cluster'],
      env: { CACHE: 'true', REDIS_CLUSTER_NODES: REDIS_CLUSTER_NODES.map((n) => `${n.host}:${n.port}`).join(','), CACHE_KEY_PREFIX: prefix },
    });
    redis = new Cluster(REDIS_CLUSTER_NODES.map((n) => ({ host: n.host, port: n.port })));
    await seed(s, [{ id: 'c-1', priceCents: 1000, stock: 10 }]);
    // Let the seed's own change events be consumed first, so they do not race the tests.
    await eventually(async () => (await s.outboxPending()) === 0, 30000, 'seed events published');
    await waitForConsumersIdle(s.prefix, [
      { group: 'product-cache', topics: ['products'] },
      { group: 'stock-cache', topics: ['inventory'] },
    ]);
  }, 120000);

  afterAll(async () => {
    await redis?.quit();
    await s?.close();
  });

  test('a product read is cached, served from the cache, and refreshed when ProductChanged is consumed', async () => {
    expect((await s.inject({ method: 'GET', url: '/products/c-1' })).json().priceCents).toBe(1000);
    expect(JSON.parse((await redis.get(`${prefix}product:{c-1}`))!).priceCents).toBe(1000);
    // A change behind the service's back is not seen: reads come from the cache.
    await s.inventory.query("UPDATE products SET price_cents = 1 WHERE id = 'c-1'");
    expect((await s.inject({ method: 'GET', url: '/products/c-1' })).json().priceCents).toBe(1000);
    // A change through the service publishes ProductChanged; the consumer drops the entry.
    await s.inject({ method: 'PUT', url: '/products/c-1', payload: { name: 'Product c-1', priceCents: 1200 } });
    await eventually(async () => (await s.inject({ method: 'GET', url: '/products/c-1' })).json().priceCents === 1200, 30000, 'new price');
  });

  test('stock levels are cached and invalidated by the saga\'s StockReserved', async () => {
    const level = async () => (await s.inject({ method: 'GET', url: '/stock?ids=c-1' })).json().stock[0].available;
    await eventually(async () => (await level()) === 10, 30000, 'initial stock');
    expect(await redis.get(`${prefix}stock:{c-1}`)).toBe('10');
    const r = await post(s, checkout('cache-cust', [{ productId: 'c-1', quantity: 3 }]), 'cache-key-0001');
    expect(r.status).toBe(201);
    await eventually(async () => (await level()) === 7, 30000, 'stock after reservation');
  });

  test('when Redis answers nothing, reads fall through to the database', async () => {
    const { Cache } = await import('../../services/shared/cache');
    const { createLogger } = await import('../../services/shared/logger');
    const dead = new Cache(Cache.connect({ ...s.cfg, REDIS_CLUSTER_NODES: [], REDIS_URL: 'redis://127.0.0.1:1' })!, '', 60, createLogger('t', 'silent'));
    const got = await dead.getMany('product', ['x'], () => Promise.resolve(new Map([['x', 42]])));
    expect(got.get('x')).toBe(42);
    await dead.close();
  });
});

describe('the product catalogue in MongoDB', () => {
  let s: TestSystem;
  let mongo: MongoClient;
  const dbName = uniqueName('catalog');

  beforeAll(async () => {
    s = await startSystem('mongo', { servers: ['postgres', 'kafka', 'ferretdb'], env: { CATALOG_STORE: 'mongo', MONGO_URL: MONGODB_URL, MONGO_DB: dbName } });
    mongo = new MongoClient(MONGODB_URL);
    await mongo.connect();
  }, 120000);

  afterAll(async () => {
    await mongo?.db(dbName).dropDatabase().catch(() => undefined);
    await mongo?.close();
    await s?.close();
  });

  test('products are stored as documents and checkout prices orders from them', async () => {
    await seed(s, [{ id: 'm-1', priceCents: 2599, stock: 5 }]);
    const doc = await mongo.db(dbName).collection<{ _id: string; priceCents: number; version: number }>('products').findOne({ _id: 'm-1' });
    expect(doc).toMatchObject({ _id: 'm-1', priceCents: 2599, version: 1 });
    const r = await post(s, checkout('mongo-cust', [{ productId: 'm-1', quantity: 2 }]), 'mongo-key-0001');
    expect(r.status).toBe(201);
    expect(r.body.totalCents).toBe(5198);
    await s.inject({ method: 'PUT', url: '/products/m-1', payload: { name: 'Renamed', priceCents: 100 } });
    expect((await s.inject({ method: 'GET', url: '/products/m-1' })).json()).toMatchObject({ name: 'Renamed', priceCents: 100, version: 2 });
    const ready = await s.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json().checks.mongodb).toBe('ok');
    // Each write left its ProductChanged and no intent behind.
    expect((await s.inventory.query('SELECT count(*)::int AS n FROM catalog_intents')).rows[0].n).toBe(0);
    expect((await s.inventory.query("SELECT count(*)::int AS n FROM outbox WHERE type = 'ProductChanged' AND key = 'm-1'")).rows[0].n).toBe(2);
  });

  test('a catalogue write whose process died before its event is announced by the sweeper', async () => {
    // As if the process wrote the document and died before the outbox row.
    await s.inventory.query("INSERT INTO catalog_intents (id, product_id, created_at) VALUES (gen_random_uuid(), 'm-1', now() - interval '1 minute')");
    await mongo.db(dbName).collection<{ _id: string; priceCents: number }>('products').updateOne({ _id: 'm-1' }, { $set: { priceCents: 7 } });
    const { sweepCatalogIntents } = await import('../../services/product/repository');
    expect(await sweepCatalogIntents(s.rt.db('inventory'), 30000)).toBe(1);
    expect((await s.inventory.query('SELECT count(*)::int AS n FROM catalog_intents')).rows[0].n).toBe(0);
    const ev = await s.inventory.query("SELECT payload FROM outbox WHERE type = 'ProductChanged' AND key = 'm-1' ORDER BY id DESC LIMIT 1");
    expect(ev.rows[0].payload.data).toEqual({ id: 'm-1', recovered: true });
  });
});
