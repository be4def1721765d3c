/**
 * Inventory: stock levels and reservations. Reservation is a conditional UPDATE
 * (`available >= quantity`), all items or none, in the transaction that records the event
 * as processed: stock is never oversold and an event never reserves twice. Releases
 * (payment declined, shipment failed) put reserved stock back once. This file wires the layers:
 * the routes and consumers, stock.ts (use cases), repository.ts (SQL).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { InventoryApi } from '../shared/apis';
import { Batcher } from '../shared/batcher';
import type { AnyEvent } from '../shared/events';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { id as idSchema, parse } from '../shared/validation';
import { availableStock } from './repository';
import { commitStock, releaseStock, reserveStock, setAvailable } from './stock';

export type { InventoryApi } from '../shared/apis';

const StockQuery = z.object({ ids: z.string().min(1).max(2000) });
const StockParams = z.object({ productId: idSchema });
const StockBody = z.strictObject({ available: z.number().int().min(0).max(1_000_000_000) });

export const inventoryModule: ModuleDef<'inventory'> = {
  domain: 'inventory',
  create(rt: Runtime) {
    const db = rt.db('inventory');
    const cache = rt.cache();
    // Concurrent availability reads become one query.
    const batch = new Batcher<string, number>((ids) => availableStock(db, ids));
    const load = (ids: string[]) => batch.get(ids);
    const api: InventoryApi = {
      availability: (ids) => (cache ? cache.getMany('stock', ids, load) : load(ids)),
    };

    const invalidate = async (e: AnyEvent<'StockReserved' | 'StockReleased' | 'StockChanged'>) => {
      const ids = e.type === 'StockChanged' ? [e.key] : e.data.items.map((i) => i.productId);
      await cache!.invalidate('stock', ids);
    };

    return {
      api,
      outboxes: ['inventory'],
      consumers: [
        { name: 'inventory-reserve', topics: ['orders'], handlers: { OrderPlaced: (e) => reserveStock(db, e) } },
        {
          name: 'inventory-release',
          topics: ['payments', 'shipping'],
          handlers: { PaymentDeclined: (e) => releaseStock(db, e), ShipmentFailed: (e) => releaseStock(db, e), ShipmentCreated: (e) => commitStock(db, e) },
        },
        ...(cache
          ? [{ name: 'stock-cache', topics: ['inventory' as const], handlers: { StockReserved: invalidate, StockReleased: invalidate, StockChanged: invalidate } }]
          : []),
      ],
      routes(app: FastifyInstance) {
        app.get('/stock', async (req) => {
          const { ids } = parse(StockQuery, req.query);
          const list = ids.split(',');
          for (const [i, x] of list.entries()) parse(idSchema, x, `ids[${i}]`);
          const levels = await api.availability(list);
          return { stock: list.map((productId) => ({ productId, available: levels.get(productId) ?? 0 })) };
        });
        app.put('/stock/:productId', async (req) => {
          const { productId } = parse(StockParams, req.params);
          const { available } = parse(StockBody, req.body);
          return setAvailable(db, productId, available);
        });
      },
    };
  },
};
