import {
  type Checkpoint,
  type ChunkPlan,
  type Condition,
  type CountChunk,
  type Counted,
  planChunks as planStreamChunks,
  type QuerySpec,
  streamCounter,
  type TransactItem,
} from "../../../shared/data/index.js";
import { emitMetric } from "../../../shared/metrics/index.js";
import type { Product } from "../api.js";
import { productsMetrics } from "../metrics.js";
import { productsByIds, productsTable } from "./catalog.js";
import { FEED_SHARDS, keys, rankKey, shardOf } from "./keys.js";

/**
 * The popularity ranking: each product's views, counted from the click-stream (`products.ProductViewed`) in
 * batches, and the most viewed products read back from the `byViews` index.
 *
 * **One write per product per batch, exactly once.** The stream is partitioned by product id, so a product's views
 * are all on one shard; the shared stream counter (`shared/data/streamCounter.ts`, which says how) turns a batch of a
 * shard into one write per product viewed in it, committed with the shard's checkpoint (`VIEWSHARD#<shardId>`) in
 * one transaction: a product viewed 1,000 times in a batch costs one write, not 1,000, and a redelivered,
 * overlapping or bisected batch counts nothing twice.
 *
 * **A deleted product leaves the ranking.** Each product's write is checked, in the transaction, against its
 * `PRODUCT` item: the views of a product that is gone are dropped (and its `VIEWS` item deleted), so it never comes
 * back into `popular`; a read leaves out a product deleted since it was counted.
 */

export { fingerprint, RECENT_IDS, SEQUENCE_WIDTH, sequenceKey } from "../../../shared/data/index.js";

/** TransactWriteItems takes 100 items: per product a check and a write, and the checkpoint: 2 × 49 + 1 = 99. */
export const PRODUCTS_PER_CHUNK = 49;

/** One view, as the counter reads it off its record. */
export interface View {
  readonly sequenceNumber: string;
  readonly eventId: string;
  readonly productId: string;
}

/** The views of consecutive records, as one transaction counts them. */
export interface ViewChunk {
  /** The chunk's first record: where a retry resumes when the chunk fails. */
  readonly first: string;
  /** The chunk's last record: where the checkpoint moves when it commits. */
  readonly last: string;
  /** Views to add, by product (at most {@link PRODUCTS_PER_CHUNK} products). */
  readonly counts: ReadonlyMap<string, number>;
  /** The checkpoint's fingerprints once the chunk is counted. */
  readonly recent: readonly string[];
  /** Records of the chunk dropped as an event already counted. */
  readonly duplicates: number;
}

const viewPlan = (productsPerChunk: number): ChunkPlan<View> => ({
  keysOf: (view) => [view.productId],
  maxKeys: productsPerChunk,
});

/** The views a chunk adds, by product. */
function viewCounts(records: readonly View[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { productId } of records) counts.set(productId, (counts.get(productId) ?? 0) + 1);
  return counts;
}

/**
 * The chunks that count `views` (one shard's records, in its order) after `checkpoint` (the shared planner, at most
 * {@link PRODUCTS_PER_CHUNK} products a chunk), with each chunk's views by product. Pure.
 *
 * @example
 * ```ts
 * const [chunk] = planChunks([{ sequenceNumber: "7", eventId: "e1", productId: "p1" }], { recent: [] });
 * chunk.counts.get("p1"); // 1
 * ```
 */
export function planChunks(
  views: readonly View[],
  checkpoint: Checkpoint,
  productsPerChunk = PRODUCTS_PER_CHUNK,
): ViewChunk[] {
  return planStreamChunks(views, checkpoint, viewPlan(productsPerChunk)).map(
    ({ first, last, records, recent, duplicates }) => ({
      first,
      last,
      counts: viewCounts(records),
      recent,
      duplicates,
    }),
  );
}

interface ViewsItem {
  readonly productId: string;
  readonly views: number;
}

const absent: Condition = { expression: "attribute_not_exists(pk)" };
const present: Condition = { expression: "attribute_exists(pk)" };

/**
 * Counts one chunk with `checkpoint` (the item moving the shard's checkpoint past it): each product's total becomes
 * its current one plus the chunk's views, under a condition on the current one, in one transaction. Products found
 * gone are dropped (their `VIEWS` item deleted) and the rest sent again. `moved`: the checkpoint, or a count, is not
 * where it was read (the chunk may be counted already): read the checkpoint again and plan again.
 */
async function countChunk(chunk: CountChunk<View>, checkpoint: TransactItem): Promise<"counted" | "moved"> {
  const counts = viewCounts(chunk.records);
  const gone: string[] = [];
  // Each round either commits, or answers `moved`, or drops at least one product: it ends.
  for (;;) {
    const current = await productsTable.batchGet<ViewsItem>([...counts.keys()].map(keys.views), {
      consistent: true,
    });
    const before = new Map(current.map((item) => [item.productId, item.views]));
    const checked: string[] = [];
    const items: TransactItem[] = [];
    for (const [productId, added] of counts) {
      checked[items.length] = productId;
      items.push({ check: { key: keys.product(productId), condition: present } });
      items.push(viewsWrite(productId, before.get(productId), added));
    }
    for (const productId of gone) items.push({ delete: { key: keys.views(productId) } });
    items.push(checkpoint);

    const outcome = await productsTable.transact(items);
    if (outcome.committed) {
      // Counted here and only here: a chunk already counted answers `moved` and adds nothing.
      emitMetric(productsMetrics, "ProductViewsCounted", sum(counts.values()));
      return "counted";
    }
    const missing = outcome.failed.map((index) => checked[index]);
    if (missing.some((productId) => productId === undefined)) return "moved";
    for (const productId of missing as string[]) {
      counts.delete(productId);
      gone.push(productId);
    }
  }
}

const sum = (values: Iterable<number>): number => {
  let total = 0;
  for (const value of values) total += value;
  return total;
};

/** The product's new total (and its place in its ranking partition), if its total is still `before`. */
function viewsWrite(productId: string, before: number | undefined, added: number): TransactItem {
  const views = (before ?? 0) + added;
  return {
    update: {
      key: keys.views(productId),
      spec: { set: { productId, views, rankPk: keys.popular(shardOf(productId)), rankSk: rankKey(views, productId) } },
      condition:
        before === undefined
          ? absent
          : { expression: "#views = :before", names: { "#views": "views" }, values: { ":before": before } },
    },
  };
}

const viewCounter = streamCounter<View>({
  table: productsTable,
  checkpointKey: keys.viewShard,
  ...viewPlan(PRODUCTS_PER_CHUNK),
  commit: countChunk,
});

/**
 * Counts one shard's `views` (a batch, in shard order) exactly once, chunk by chunk. When a chunk fails, the chunks
 * before it are counted, the checkpoint is after them, and `retryFrom` is the chunk's first record.
 *
 * @example
 * ```ts
 * const counted = await countViews(shardId, views);
 * if (counted.retryFrom !== undefined) logger.error("views not counted", { error: counted.error });
 * ```
 */
export const countViews = (shardId: string, views: readonly View[]): Promise<Counted> =>
  viewCounter.count(shardId, views);

/**
 * The `limit` most viewed products, most viewed first: the heads of the {@link FEED_SHARDS} ranking partitions
 * merged (no scan, and no single partition taking every count), then the products. A product deleted since it was
 * counted is left out, and the next ones are read in its place.
 *
 * @example
 * ```ts
 * const items = await popularProducts(10); // [{ product, views: 1200 }, …]
 * ```
 */
export async function popularProducts(limit: number): Promise<{ product: Product; views: number }[]> {
  const shards = Array.from(
    { length: FEED_SHARDS },
    (_, shard): QuerySpec => ({
      index: "byViews",
      keyCondition: "rankPk = :rankPk",
      values: { ":rankPk": keys.popular(shard) },
      forward: false,
    }),
  );
  const items: { product: Product; views: number }[] = [];
  let cursor: string | undefined;
  do {
    const page = await productsTable.mergedPage<ViewsItem>(shards, { limit: limit - items.length, cursor });
    const products = await productsByIds(page.items.map((item) => item.productId));
    for (const { productId, views } of page.items) {
      const product = products.get(productId);
      if (product) items.push({ product, views });
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && items.length < limit);
  return items;
}
