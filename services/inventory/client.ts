/** The inventory API over HTTP (breaker, timeout, retries), for processes that do not host inventory. */
import type { Runtime } from '../shared/runtime';
import type { InventoryApi } from './module';

export function inventoryHttp(rt: Runtime): InventoryApi {
  return {
    async availability(ids) {
      const r = await rt.client('inventory').get<{ stock: { productId: string; available: number }[] }>(`/stock?ids=${ids.map(encodeURIComponent).join(',')}`);
      return new Map(r.stock.map((s) => [s.productId, s.available]));
    },
  };
}
