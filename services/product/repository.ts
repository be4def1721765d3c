/**
 * Where the catalogue lives: PostgreSQL (the inventory database) or MongoDB/DocumentDB
 * (CATALOG_STORE=mongo). Either way a change is followed by a ProductChanged event.
 */
import { MongoClient, type Collection } from 'mongodb';
import type { Product } from '../shared/apis';
import { Batcher } from '../shared/batcher';
import type { Db } from '../shared/db';
import { appendOutbox, event } from '../shared/events';
import { newId } from '../shared/ids';
import type { Runtime } from '../shared/runtime';

/** What a catalogue write sets. */
export interface ProductFields {
  name: string;
  priceCents: number;
  currency: string;
}

export interface ProductRepo {
  load(ids: string[]): Promise<Map<string, Product>>;
  /** Upserts and records ProductChanged for the relay. */
  save(id: string, p: ProductFields): Promise<Product>;
  close?(): Promise<void>;
}

export function pgRepo(rt: Runtime): ProductRepo {
  const db = rt.db('inventory');
  const batch = new Batcher<string, Product>(async (ids) => {
    const rows = await db.queryStale<{ id: string; name: string; price_cents: number; currency: string; version: number }>(
      'SELECT id, name, price_cents, currency, version FROM products WHERE id = ANY($1::text[])',
      [ids],
      'products-by-id',
    );
    return new Map(rows.map((r) => [r.id, { id: r.id, name: r.name, priceCents: Number(r.price_cents), currency: r.currency, version: r.version }]));
  });
  return {
    load: (ids) => batch.get(ids),
    async save(id, p) {
      return db.tx(async (c) => {
        const r = await c.query<{ version: number }>(
          `INSERT INTO products (id, name, price_cents, currency) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, price_cents = EXCLUDED.price_cents, currency = EXCLUDED.currency,
             version = products.version + 1, updated_at = now()
           RETURNING version`,
          [id, p.name, p.priceCents, p.currency],
        );
        const product = { id, ...p, version: r.rows[0].version };
        await appendOutbox(c, [event('ProductChanged', id, product)]);
        return product;
      });
    },
  };
}

interface ProductDoc {
  _id: string;
  name: string;
  priceCents: number;
  currency: string;
  version: number;
}

export function mongoRepo(rt: Runtime): ProductRepo {
  const client = new MongoClient(rt.cfg.MONGO_URL!, { serverSelectionTimeoutMS: 5000, maxPoolSize: rt.cfg.DB_POOL_MAX });
  rt.readiness.push({ name: 'mongodb', check: async () => void (await client.db(rt.cfg.MONGO_DB).command({ ping: 1 })) });
  const col: Collection<ProductDoc> = client.db(rt.cfg.MONGO_DB).collection<ProductDoc>('products');
  const products = () => col;
  const db = rt.db('inventory');
  return {
    close: () => client.close(),
    async load(ids) {
      const docs = await products().find({ _id: { $in: ids } }).toArray();
      return new Map(docs.map((d) => [d._id, { id: d._id, name: d.name, priceCents: d.priceCents, currency: d.currency, version: d.version }]));
    },
    async save(id, p) {
      // MongoDB and PostgreSQL share no transaction. The write is announced first (an intent
      // row); the event goes out with the intent's removal after the write; the sweeper turns
      // intents left by a crash into events. So every change is followed by a ProductChanged.
      const intent = newId();
      await db.query('INSERT INTO catalog_intents (id, product_id) VALUES ($1, $2)', [intent, id]);
      const doc = await products().findOneAndUpdate(
        { _id: id },
        { $set: { name: p.name, priceCents: p.priceCents, currency: p.currency }, $inc: { version: 1 } },
        { upsert: true, returnDocument: 'after' },
      );
      const product = { id, name: doc!.name, priceCents: doc!.priceCents, currency: doc!.currency, version: doc!.version };
      await db.tx(async (c) => {
        await c.query('DELETE FROM catalog_intents WHERE id = $1', [intent]);
        await appendOutbox(c, [event('ProductChanged', id, product)]);
      });
      return product;
    },
  };
}

/** Publishes ProductChanged for catalogue writes whose process died mid-way (intents older than `graceMs`). */
export async function sweepCatalogIntents(db: Db, graceMs: number): Promise<number> {
  return db.tx(async (c) => {
    const r = await c.query<{ product_id: string }>(
      `DELETE FROM catalog_intents WHERE id IN (
         SELECT id FROM catalog_intents WHERE created_at < now() - make_interval(secs => $1::double precision / 1000) FOR UPDATE SKIP LOCKED
       ) RETURNING product_id`,
      [graceMs],
    );
    const ids = [...new Set(r.rows.map((x) => x.product_id))];
    await appendOutbox(c, ids.map((id) => event('ProductChanged', id, { id, recovered: true })));
    return ids.length;
  });
}

