/**
 * How the transports misdeliver, as pure functions over what a test delivers: every item twice, shuffled across
 * keys, with the order per key kept where the transport keeps it (Kinesis orders per partition key, the others
 * promise no order at all). Seeded, so that a failing run repeats from the seed it prints.
 */

/**
 * A seeded generator of numbers in [0, 1) (mulberry32: small, fast, and good enough to shuffle test deliveries).
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * random(); // the same first number for every run seeded 42
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Every item twice, in an order shuffled across keys. With `keepKeyOrder`, each key's items (then their copies,
 * as a producer's retried puts land after the originals) keep their order, and only the keys are interleaved:
 * what a stream sharded by that key delivers. Without it, everything is shuffled: what a queue, a topic or a bus may
 * deliver.
 *
 * @example
 * ```ts
 * twiceOutOfOrder([a1, a2, b1], (x) => x.key, seededRandom(1), true); // e.g. [a1, b1, a2, b1, a1, a2]
 * ```
 */
export function twiceOutOfOrder<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  random: () => number,
  keepKeyOrder: boolean,
): T[] {
  if (!keepKeyOrder) return shuffled([...items, ...items], random);
  const perKey = new Map<string, T[]>();
  for (const item of items) perKey.set(keyOf(item), [...(perKey.get(keyOf(item)) ?? []), item]);
  const queues = [...perKey.values()].map((list) => [...list, ...list]);
  const merged: T[] = [];
  // Picks the next key in proportion to what it has left: a uniform interleaving of the keys' sequences.
  for (let left = queues.reduce((sum, q) => sum + q.length, 0); left > 0; left--) {
    let pick = Math.floor(random() * left);
    const queue = queues.find((q) => {
      if (pick < q.length) return true;
      pick -= q.length;
      return false;
    })!;
    merged.push(queue.shift()!);
  }
  return merged;
}

/**
 * A Fisher–Yates shuffle of a copy of `items`.
 *
 * @example
 * ```ts
 * shuffled([1, 2, 3], seededRandom(7)); // a permutation of [1, 2, 3]
 * ```
 */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * `items` cut into consecutive batches of at most `size`.
 *
 * @example
 * ```ts
 * batchesOf([1, 2, 3], 2); // [[1, 2], [3]]
 * ```
 */
export function batchesOf<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  return batches;
}
