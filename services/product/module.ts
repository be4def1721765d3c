/**
 * Product catalogue: in PostgreSQL (the inventory database) or MongoDB/DocumentDB
 * (CATALOG_STORE=mongo), read through the in-process cache (LOCAL_CACHE_ENTRIES) and the Redis
 * cache (CACHE). A change publishes ProductChanged; the cache consumer deletes the Redis entry
 * and every instance's listener its own. This file wires the reads through the caches and holds
 * the routes; repository.ts holds the catalogue's stores.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Product, ProductApi } from '../shared/apis';
import { AppError } from '../shared/errors';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { id as idSchema, parse } from '../shared/validation';
import { mongoRepo, pgRepo, sweepCatalogIntents } from './repository';

export type { Product, ProductApi } from '../shared/apis';

const ProductBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  priceCents: z.number().int().min(0).max(100_000_000),
  currency: z.enum(['USD', 'EUR', 'GBP']).default('USD'),
});
const ProductParams = z.object({ id: idSchema });
const ProductsQuery = z.object({ ids: z.string().min(1).max(2000) });

export const productModule: ModuleDef<'product'> = {
  domain: 'product',
  create(rt: Runtime) {
    const repo = rt.cfg.CATALOG_STORE === 'mongo' ? mongoRepo(rt) : pgRepo(rt);
    const cache = rt.cache();
    const local = rt.localCache<Product>('product');
    let sweeper: NodeJS.Timeout | undefined;
    // Runs beside the relay, whose events it completes.
    const sweep = {
      name: 'catalog-intent-sweeper',
      start() {
        sweeper = setInterval(() => void sweepCatalogIntents(rt.db('inventory'), 30000).catch((err: unknown) => rt.log.warn({ err }, 'catalogue intent sweep failed')), 10000);
        sweeper.unref();
      },
      stop() {
        clearInterval(sweeper);
        return Promise.resolve();
      },
    };
    const shared = (ids: string[]) => (cache ? cache.getMany('product', ids, (missing) => repo.load(missing)) : repo.load(ids));
    const api: ProductApi = {
      getProducts(ids) {
        return local ? local.getMany(ids, shared) : shared(ids);
      },
    };
    return {
      api,
      outboxes: ['inventory'],
      jobs: rt.cfg.CATALOG_STORE === 'mongo' && rt.cfg.RELAY ? [sweep] : [],
      stop: async () => {
        await repo.close?.();
      },
      consumers: cache
        ? [{ name: 'product-cache', topics: ['products'], handlers: { ProductChanged: async (e) => cache.invalidate('product', [e.key]) } }]
        : [],
      listeners: local
        ? [{ name: `product-local-cache.${rt.instanceId}`, topics: ['products'], ephemeral: true, handlers: { ProductChanged: (e) => Promise.resolve(local.invalidate(e.key, e.data.version)) } }]
        : [],
      routes(app: FastifyInstance) {
        app.put('/products/:id', async (req) => {
          const { id } = parse(ProductParams, req.params);
          const body = parse(ProductBody, req.body);
          return repo.save(id, body);
        });
        app.get('/products/:id', async (req) => {
          const { id } = parse(ProductParams, req.params);
          const p = (await api.getProducts([id])).get(id);
          if (!p) throw new AppError('NOT_FOUND', `Product ${id} does not exist.`);
          return p;
        });
        app.get('/products', async (req) => {
          const { ids } = parse(ProductsQuery, req.query);
          const list = ids.split(',');
          for (const [i, x] of list.entries()) parse(idSchema, x, `ids[${i}]`);
          const found = await api.getProducts(list);
          return { products: list.filter((x) => found.has(x)).map((x) => found.get(x)) };
        });
      },
    };
  },
};
