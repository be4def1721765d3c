/**
 * Inventory: stock levels and reservations. Reservation is a conditional UPDATE
 * (`available >= quantity`), all items or none, in the transaction that records the event
 * as processed: stock is never oversold and an event never reserves twice. Releases
 * (payment declined, shipment failed) put reserved stock back once.
 */
import type { FastifyInstance } from 'fastify';
import type { PoolClient } from 'pg';
import { z } from 'zod';
import type { InventoryApi } from '../shared/apis';
import { appendOutbox, event, markProcessed, type AnyEvent, type TypedEvent } from '../shared/events';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { Batcher } from '../shared/batcher';
import { id as idSchema, parse } from '../shared/validation';

export type { InventoryApi } from '../shared/apis';

class Insufficient extends Error {
  constructor(readonly productId: string) {
    super(`insufficient stock of ${productId}`);
  }
}

export const inventoryModule: ModuleDef<'inventory'> = {
  domain: 'inventory',
  create(rt: Runtime) {
    const db = rt.db('inventory');
    const cache = rt.cache();
    const batch = new Batcher<string, number>(async (ids) => {
      const rows = await db.queryStale<{ product_id: string; available: number }>('SELECT product_id, available FROM stock WHERE product_id = ANY($1::text[])', [ids], 'stock-by-id');
      return new Map(rows.map((r) => [r.product_id, r.available]));
    });
    const load = (ids: string[]) => batch.get(ids);
    const api: InventoryApi = {
      availability: (ids) => (cache ? cache.getMany('stock', ids, load) : load(ids)),
    };

    async function reserve(e: TypedEvent<'OrderPlaced'>): Promise<void> {
      const o = e.data;
      await db.tx(async (c) => {
        if (!(await markProcessed(c, 'inventory-reserve', e.id))) return;
        // Lock rows in one order so concurrent reservations cannot deadlock.
        const items = [...o.items].sort((a, b) => (a.productId < b.productId ? -1 : 1));
        await c.query('SAVEPOINT reserve');
        try {
          for (const it of items) {
            const r = await c.query(
              'UPDATE stock SET available = available - $2, reserved = reserved + $2, updated_at = now() WHERE product_id = $1 AND available >= $2',
              [it.productId, it.quantity],
            );
            if (r.rowCount === 0) throw new Insufficient(it.productId);
          }
          await c.query(
            `INSERT INTO reservations (order_id, product_id, quantity, status)
             SELECT $1, x.product_id, x.quantity, 'RESERVED' FROM jsonb_to_recordset($2::jsonb) AS x(product_id text, quantity int)`,
            [o.orderId, JSON.stringify(items.map((i) => ({ product_id: i.productId, quantity: i.quantity })))],
          );
          await appendOutbox(c, [event('StockReserved', o.orderId, o)]);
        } catch (err) {
          if (!(err instanceof Insufficient)) throw err;
          await c.query('ROLLBACK TO SAVEPOINT reserve');
          await appendOutbox(c, [event('StockRejected', o.orderId, { orderId: o.orderId, productId: err.productId, items: o.items })]);
        }
      });
    }

    async function settle(c: PoolClient, orderId: string, to: 'RELEASED' | 'COMMITTED'): Promise<{ productId: string; quantity: number }[]> {
      const r = await c.query<{ product_id: string; quantity: number }>(
        `UPDATE reservations SET status = $2, updated_at = now() WHERE order_id = $1 AND status = 'RESERVED' RETURNING product_id, quantity`,
        [orderId, to],
      );
      const rows = [...r.rows].sort((a, b) => (a.product_id < b.product_id ? -1 : 1));
      for (const x of rows) {
        await c.query(
          to === 'RELEASED'
            ? 'UPDATE stock SET available = available + $2, reserved = reserved - $2, updated_at = now() WHERE product_id = $1'
            : 'UPDATE stock SET reserved = reserved - $2, updated_at = now() WHERE product_id = $1',
          [x.product_id, x.quantity],
        );
      }
      return rows.map((x) => ({ productId: x.product_id, quantity: x.quantity }));
    }

    async function release(e: AnyEvent<'PaymentDeclined' | 'ShipmentFailed'>): Promise<void> {
      await db.tx(async (c) => {
        if (!(await markProcessed(c, 'inventory-release', e.id))) return;
        const items = await settle(c, e.key, 'RELEASED');
        if (items.length > 0) await appendOutbox(c, [event('StockReleased', e.key, { orderId: e.key, items, cause: e.type })]);
      });
    }

    async function commit(e: TypedEvent<'ShipmentCreated'>): Promise<void> {
      await db.tx(async (c) => {
        if (!(await markProcessed(c, 'inventory-release', e.id))) return;
        await settle(c, e.key, 'COMMITTED');
      });
    }

    const invalidate = async (e: AnyEvent<'StockReserved' | 'StockReleased' | 'StockChanged'>) => {
      const ids = e.type === 'StockChanged' ? [e.key] : e.data.items.map((i) => i.productId);
      await cache!.invalidate('stock', ids);
    };

    return {
      api,
      outboxes: ['inventory'],
      consumers: [
        { name: 'inventory-reserve', topics: ['orders'], handlers: { OrderPlaced: reserve } },
        { name: 'inventory-release', topics: ['payments', 'shipping'], handlers: { PaymentDeclined: release, ShipmentFailed: release, ShipmentCreated: commit } },
        ...(cache
          ? [{ name: 'stock-cache', topics: ['inventory' as const], handlers: { StockReserved: invalidate, StockReleased: invalidate, StockChanged: invalidate } }]
          : []),
      ],
      routes(app: FastifyInstance) {
        app.get('/stock', async (req) => {
          const { ids } = parse(z.object({ ids: z.string().min(1).max(2000) }), req.query);
          const list = ids.split(',');
          for (const [i, x] of list.entries()) parse(idSchema, x, `ids[${i}]`);
          const levels = await api.availability(list);
          return { stock: list.map((productId) => ({ productId, available: levels.get(productId) ?? 0 })) };
        });
        app.put('/stock/:productId', async (req) => {
          const { productId } = parse(z.object({ productId: idSchema }), req.params);
          const { available } = parse(z.strictObject({ available: z.number().int().min(0).max(1_000_000_000) }), req.body);
          await db.tx(async (c) => {
            await c.query(
              `INSERT INTO stock (product_id, available) VALUES ($1, $2)
               ON CONFLICT (product_id) DO UPDATE SET available = EXCLUDED.available, updated_at = now()`,
              [productId, available],
            );
            await appendOutbox(c, [event('StockChanged', productId, { productId, available })]);
          });
          return { productId, available };
        });
      },
    };
  },
};
