/**
 * Reading orders, as a story: find the database that may answer (the projection when CQRS reads
 * are on, a replica when it may lag, the primary when the truth is needed), then read there.
 *
 * Read-your-writes: a customer reading their own order, or their own list, soon after writing
 * reads the primary, never a replica that may not have the write yet.
 */
import type { Config } from '../shared/config';
import { bucketOf, bucketOfOrderId } from '../shared/ids';
import type { RecentWriters } from '../shared/recent-writers';
import { loadFromLog, readView, type EventLogSchema } from './event-log';
import type { Order } from './model';
import { findOrder, listByCustomer } from './repository';
import type { OrderStore } from './store';

export interface OrderReadDeps {
  cfg: Pick<Config, 'ORDER_BUCKETS' | 'READ_YOUR_WRITES_WINDOW_MS'>;
  store: OrderStore;
  /** Customers who wrote recently, so their reads go to the primary. */
  recentWriters: RecentWriters;
  /** Present when event sourcing is on: whether a database has the log's tables yet. */
  eventLog?: EventLogSchema;
  /** Whether the projection answers reads (the cqrs-reads flag). */
  cqrsReads: () => Promise<boolean>;
}

/** The order `id`, as `requester` (the customer asking, when known) may see it; undefined when there is none. */
export async function readOrder(d: OrderReadDeps, id: string, requester: string | undefined): Promise<Order | undefined> {
  const { cfg, store, eventLog } = d;
  const bucket = bucketOfOrderId(id);
  if (bucket >= cfg.ORDER_BUCKETS) return undefined;
  const replica = eventLog && (await store.replica(bucket));
  // The cqrs-reads flag off: the order tables answer, as they do without event sourcing; the projection goes on.
  if (replica && (await d.cqrsReads()) && (await eventLog.ready(replica))) {
    const view = await readView(replica, id);
    if (view) return view;
    // Not projected yet, or written before its log began and not imported yet: the write model has it.
    const primary = await store.primary(bucket);
    return (await loadFromLog(primary, id)) ?? findOrder(primary, id);
  }
  if (!store.staleReads) {
    const o = await findOrder(await store.primary(bucket), id);
    // A bucket moved to another shard since the map was read: read the map again and ask the new shard.
    if (!o && store.sharded && (await store.refresh())) return findOrder(await store.primary(bucket), id);
    return o;
  }
  const stale = await findOrder(await store.replica(bucket), id);
  // Not replicated yet, or the customer's own fresh order: the primary has the truth.
  if (!stale) return findOrder(await store.primary(bucket), id);
  const fresh = Date.now() - Date.parse(stale.createdAt) < cfg.READ_YOUR_WRITES_WINDOW_MS;
  if (requester === stale.customerId && (fresh || (await d.recentWriters.recently(requester)))) return findOrder(await store.primary(bucket), id);
  return stale;
}

/** A customer's latest `limit` orders, newest first; from the primary when the requester is that customer and wrote recently. */
export async function listCustomerOrders(d: OrderReadDeps, customerId: string, limit: number, requester: string | undefined): Promise<Order[]> {
  const { store } = d;
  const bucket = bucketOf(customerId, d.cfg.ORDER_BUCKETS);
  const own = store.staleReads && requester === customerId && (await d.recentWriters.recently(customerId));
  const pool = own ? await store.primary(bucket) : await store.replica(bucket);
  return listByCustomer(pool, customerId, limit);
}
