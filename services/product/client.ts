/** The product API over HTTP (breaker, timeout, retries), for processes that do not host product. */
import type { Runtime } from '../shared/runtime';
import type { Product, ProductApi } from './module';

export function productHttp(rt: Runtime): ProductApi {
  return {
    async getProducts(ids) {
      const r = await rt.client('product').get<{ products: Product[] }>(`/products?ids=${ids.map(encodeURIComponent).join(',')}`);
      return new Map(r.products.map((p) => [p.id, p]));
    },
  };
}
