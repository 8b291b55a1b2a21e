/**
 * The origin cache: a per-sandbox read-through cache in front of a table, with bounded staleness (`ttlMs`),
 * single-flight loads, negative entries and LRU eviction. A writer updates it (write-through) so its own sandbox
 * sees its write at once.
 *
 * @example
 * ```ts
 * const products = new ReadCache<ProductItem>({ ttlMs: 2_000, maxEntries: 5_000 });
 * ```
 */
export type { ReadCacheOptions } from "./ReadCache.js";
export { ReadCache } from "./ReadCache.js";
