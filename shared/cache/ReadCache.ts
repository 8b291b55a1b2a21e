export interface ReadCacheOptions {
  /** How long an entry answers before it is loaded again: the staleness bound this cache adds. */
  readonly ttlMs: number;
  /** Entries kept at most; the least recently used goes first. */
  readonly maxEntries: number;
  /** The clock, in milliseconds (tests pass a fake one). */
  readonly now?: () => number;
}

interface Entry<V> {
  readonly value: V | undefined;
  readonly expiresAt: number;
}

/**
 * A small read-through cache for one sandbox, in front of a table: an entry answers for `ttlMs`, then the next read
 * loads it again, so a reader sees a write of another sandbox within `ttlMs`. A sandbox's own writes go through
 * {@link ReadCache.set} / {@link ReadCache.delete}, so it sees them at once.
 *
 * - **Single flight**: concurrent misses of one key share one load.
 * - **Negative entries**: a load that finds nothing (`undefined`) is kept too, for the same time, so a burst of reads
 *   of something that does not exist (a 404) reaches the table once.
 * - **Bounded**: at most `maxEntries`, the least recently used evicted first (a `Map` keeps insertion order, and a
 *   hit moves its entry to the end).
 * - A failed load is not kept: every caller waiting on it gets the error, and the next read tries again.
 *
 * @example
 * ```ts
 * const products = new ReadCache<ProductItem>({ ttlMs: 2_000, maxEntries: 5_000 });
 * const item = await products.get(productId, () => table.get(keys.product(productId)));
 * products.set(productId, updated); // the writer's own sandbox sees its write at once
 * ```
 */
export class ReadCache<V> {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry<V>>();
  /** Loads under way; a write of the key drops its load, so the load's (older) answer is not kept. */
  readonly #loading = new Map<string, Promise<V | undefined>>();

  constructor(options: ReadCacheOptions) {
    if (!Number.isFinite(options?.ttlMs) || options.ttlMs < 0)
      throw new TypeError("ReadCache: ttlMs must be a number of milliseconds, 0 or more");
    if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 1)
      throw new TypeError("ReadCache: maxEntries must be a whole number, 1 or more");
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** Entries held (fresh or not yet evicted). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The value under `key`: the kept one while it is fresh, else what `load` gives (kept, `undefined` included). A
   * load already under way for `key` is shared instead of starting another.
   *
   * @example
   * ```ts
   * const item = await cache.get(id, () => table.get<ProductItem>(keys.product(id)));
   * ```
   */
  async get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const fresh = this.#fresh(key);
    if (fresh) return fresh.value;
    const loading = this.#loading.get(key);
    if (loading) return loading;
    return this.#track(key, load());
  }

  /**
   * The values under `keys` (a key that does not exist maps to `undefined`): fresh entries and loads under way
   * answer for their keys, and every other key is loaded by ONE call of `loadMany`, whose answer is kept (a key it
   * leaves out is kept as `undefined`).
   *
   * @example
   * ```ts
   * const found = await cache.getMany(ids, async (missing) => new Map((await table.batchGet(…)).map((i) => [i.id, i])));
   * ```
   */
  async getMany(
    keys: readonly string[],
    loadMany: (missing: readonly string[]) => Promise<ReadonlyMap<string, V>>,
  ): Promise<Map<string, V | undefined>> {
    const unique = [...new Set(keys)];
    const answers = new Map<string, V | undefined | Promise<V | undefined>>();
    const missing: string[] = [];
    for (const key of unique) {
      const fresh = this.#fresh(key);
      if (fresh) answers.set(key, fresh.value);
      else if (this.#loading.has(key)) answers.set(key, this.#loading.get(key));
      else missing.push(key);
    }
    if (missing.length > 0) {
      const batch = loadMany(missing);
      for (const key of missing)
        answers.set(
          key,
          this.#track(
            key,
            batch.then((found) => found.get(key)),
          ),
        );
    }
    const settled = await Promise.all(unique.map(async (key) => [key, await answers.get(key)] as const));
    return new Map(settled);
  }

  /**
   * Keeps `value` under `key` from now (write-through: the writer's own reads see it at once). `undefined` keeps
   * "there is none", as a read that found nothing would.
   *
   * @example
   * ```ts
   * cache.set(productId, updatedItem);
   * ```
   */
  set(key: string, value: V | undefined): void {
    this.#loading.delete(key);
    this.#keep(key, value);
  }

  /**
   * Forgets `key`: the next read loads it.
   *
   * @example
   * ```ts
   * cache.delete(productId);
   * ```
   */
  delete(key: string): void {
    this.#loading.delete(key);
    this.#entries.delete(key);
  }

  /** Forgets everything. */
  clear(): void {
    this.#loading.clear();
    this.#entries.clear();
  }

  /** The fresh entry under `key`, moved to the most recently used end; a stale one is dropped. */
  #fresh(key: string): Entry<V> | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#entries.set(key, entry);
    return entry;
  }

  #keep(key: string, value: V | undefined): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#now() + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** Shares `loading` for `key` until it settles, then keeps its answer unless a write of the key came meanwhile. */
  #track(key: string, loading: Promise<V | undefined>): Promise<V | undefined> {
    const shared = loading.then(
      (value) => {
        if (this.#loading.get(key) === shared) {
          this.#loading.delete(key);
          this.#keep(key, value);
        }
        return value;
      },
      (error: unknown) => {
        if (this.#loading.get(key) === shared) this.#loading.delete(key);
        throw error;
      },
    );
    this.#loading.set(key, shared);
    return shared;
  }
}
