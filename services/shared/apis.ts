/**
 * The calls one domain makes on another, typed once for both sides: the callee's module exposes
 * the API in-process (`ModuleInstance.api`) and its HTTP client implements the same interface,
 * so a caller gets the same type whether the callee shares its process or not.
 */

/** A product of the catalogue, as the product API returns it. */
export interface Product {
  id: string;
  name: string;
  priceCents: number;
  currency: string;
  version: number;
}

/** The catalogue, as checkout prices an order. */
export interface ProductApi {
  getProducts(ids: string[]): Promise<Map<string, Product>>;
}

/** Stock, as checkout checks it. */
export interface InventoryApi {
  /** Units available per product (stale-tolerant: a replica or the cache may answer). */
  availability(ids: string[]): Promise<Map<string, number>>;
}

/** Payment, as checkout checks a token. */
export interface PaymentApi {
  /** Resolves when the token may be charged; throws PAYMENT_DECLINED otherwise. */
  verify(token: string): Promise<void>;
}

/** The in-process API of each domain other domains call. */
export interface DomainApis {
  product: ProductApi;
  inventory: InventoryApi;
  payment: PaymentApi;
}

/** A domain other domains call. */
export type CalledDomain = keyof DomainApis;

/** The API a module of domain `D` exposes: its entry in {@link DomainApis}, or none. */
export type ApiOf<D extends string> = D extends CalledDomain ? DomainApis[D] : never;
