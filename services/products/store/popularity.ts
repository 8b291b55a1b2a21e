import { createHash } from "node:crypto";
import type { Condition, QuerySpec, TransactItem } from "../../../shared/data/index.js";
import type { Product } from "../api.js";
import { productsByIds, productsTable } from "./catalog.js";
import { FEED_SHARDS, keys, rankKey, shardOf } from "./keys.js";

/**
 * The popularity ranking: each product's views, counted from the click-stream (`products.ProductViewed`) in
 * batches, and the most viewed products read back from the `byViews` index.
 *
 * **One writer per counter.** The stream is partitioned by product id, so a product's views are all on one shard,
 * and the event source mapping runs one invocation at a time per shard, in its order (a reshard finishes a parent
 * shard before its children start). So a product's `VIEWS` item, and a shard's checkpoint, each have one writer
 * at a time, and a batch turns into one write per product, whatever its traffic: a product viewed 1,000 times in a
 * batch costs one write, not 1,000.
 *
 * **Exactly once.** A shard's checkpoint (`VIEWSHARD#<shardId>`) holds the sequence number of the last record
 * counted and the fingerprints of the last {@link RECENT_IDS} events counted. A batch is split, in shard order, into
 * chunks that fit one TransactWriteItems each; a chunk commits its products' new totals and moves the checkpoint to
 * its last record **in the same transaction**, under the condition that the checkpoint is still where the chunk
 * starts. So a record is either counted and behind the checkpoint, or not counted and ahead of it, never in between:
 * - records at or behind the checkpoint are skipped: a redelivered batch, an overlapping one, a bisected retry (the
 *   first half, then the whole) count nothing twice;
 * - a chunk whose checkpoint condition fails was counted meanwhile: the checkpoint is read again and the batch
 *   planned again from it;
 * - a failure half-way leaves the chunks before it counted and the checkpoint after them; the batch is reported
 *   failed from the first record not counted, and the retry goes on from there;
 * - an event delivered twice with the same id (a producer's retried put: two records, one event) is counted once if
 *   the second copy comes within {@link RECENT_IDS} records of the first. The decision depends only on the records
 *   before it in the shard, never on where a batch starts, so every way of batching counts the same.
 *
 * **A deleted product leaves the ranking.** Each product's write is checked, in the transaction, against its
 * `PRODUCT` item: the views of a product that is gone are dropped (and its `VIEWS` item deleted), so it never comes
 * back into `popular`; a read leaves out a product deleted since it was counted.
 */

/** Kinesis sequence numbers are decimal strings of up to 129 digits (`0|([1-9]\d{0,128})`, the API reference). */
export const SEQUENCE_WIDTH = 129;

/** How many counted events' fingerprints a checkpoint keeps, to drop an event seen again with the same id. */
export const RECENT_IDS = 1_000;

/** TransactWriteItems takes 100 items: per product a check and a write, and the checkpoint: 2 × 49 + 1 = 99. */
export const PRODUCTS_PER_CHUNK = 49;

/**
 * A sequence number as a fixed-width string, so that string order is number order (in memory and in DynamoDB).
 *
 * @example
 * ```ts
 * sequenceKey("42") < sequenceKey("100"); // true
 * ```
 */
export const sequenceKey = (sequenceNumber: string): string => sequenceNumber.padStart(SEQUENCE_WIDTH, "0");

/**
 * An event id as 12 base64url characters (72 bits of its SHA-256): the checkpoint is rewritten with every chunk,
 * and its write costs one unit per KB, so 1,000 of these (12 KB) rather than ids of up to 128 characters. A false
 * match among 1,000 needs about 2^62 events.
 *
 * @example
 * ```ts
 * fingerprint("01J9Z3…"); // "q1w2e3r4t5y6"
 * ```
 */
export const fingerprint = (eventId: string): string =>
  createHash("sha256").update(eventId).digest("base64url").slice(0, 12);

/** One view, as the counter reads it off its record. */
export interface View {
  readonly sequenceNumber: string;
  readonly eventId: string;
  readonly productId: string;
}

/** How far a shard is counted: the last record's sequence key (none before the first chunk) and recent events. */
export interface Checkpoint {
  readonly sequence?: string;
  /** Fingerprints of the last {@link RECENT_IDS} events counted, oldest first. */
  readonly recent: readonly string[];
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

/**
 * The chunks that count `views` (one shard's records, in its order) after `checkpoint`: records at or behind it
 * are left out, an event whose fingerprint is among the last {@link RECENT_IDS} counted is a duplicate, and a chunk
 * closes before a record that would bring a product more than it holds. Pure: the same views and checkpoint give
 * the same chunks.
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
  const recent = [...checkpoint.recent];
  const seen = new Set(recent);
  const chunks: ViewChunk[] = [];
  let open: { first: string; last: string; counts: Map<string, number>; duplicates: number } | undefined;
  const close = () => {
    if (open) chunks.push({ ...open, recent: [...recent] });
    open = undefined;
  };

  for (const view of views) {
    if (checkpoint.sequence !== undefined && sequenceKey(view.sequenceNumber) <= checkpoint.sequence) continue;
    const id = fingerprint(view.eventId);
    const duplicate = seen.has(id);
    if (!duplicate && open && open.counts.size >= productsPerChunk && !open.counts.has(view.productId)) close();
    open ??= { first: view.sequenceNumber, last: view.sequenceNumber, counts: new Map(), duplicates: 0 };
    open.last = view.sequenceNumber;
    if (duplicate) {
      open.duplicates++;
      continue;
    }
    open.counts.set(view.productId, (open.counts.get(view.productId) ?? 0) + 1);
    recent.push(id);
    seen.add(id);
    // A sliding window of the last RECENT_IDS events, whatever the batches: ids are unique in it.
    if (recent.length > RECENT_IDS) seen.delete(recent.shift()!);
  }
  close();
  return chunks;
}

interface CheckpointItem {
  readonly shardId: string;
  readonly sequence: string;
  readonly recent: string[];
}

interface ViewsItem {
  readonly productId: string;
  readonly views: number;
}

const absent: Condition = { expression: "attribute_not_exists(pk)" };
const present: Condition = { expression: "attribute_exists(pk)" };

/**
 * How far `shardId` is counted (read consistently: the counter goes on from exactly there).
 *
 * @example
 * ```ts
 * const checkpoint = await readCheckpoint("shardId-000000000000"); // { sequence: "000…4961", recent: [...] }
 * ```
 */
export async function readCheckpoint(shardId: string): Promise<Checkpoint> {
  const item = await productsTable.get<CheckpointItem>(keys.viewShard(shardId), { consistent: true });
  return item ? { sequence: item.sequence, recent: item.recent ?? [] } : { recent: [] };
}

/**
 * Counts one chunk of `shardId` if the checkpoint is still at `after` (the sequence key the chunk was planned
 * from): each product's total becomes its current one plus the chunk's views, under a condition on the current
 * one, and the checkpoint moves to the chunk's end, in one transaction. Products found gone are dropped (their
 * `VIEWS` item deleted) and the rest sent again. `moved`: the checkpoint, or a count, is not where it was read
 * (the chunk may be counted already): read the checkpoint again and plan again.
 *
 * @example
 * ```ts
 * const outcome = await countChunk("shardId-000000000000", chunk, checkpoint.sequence); // "counted"
 * ```
 */
export async function countChunk(
  shardId: string,
  chunk: ViewChunk,
  after: string | undefined,
): Promise<"counted" | "moved"> {
  const counts = new Map(chunk.counts);
  const gone: string[] = [];
  const checkpoint: TransactItem = {
    update: {
      key: keys.viewShard(shardId),
      spec: { set: { shardId, sequence: sequenceKey(chunk.last), recent: [...chunk.recent] } },
      condition:
        after === undefined
          ? absent
          : { expression: "#sequence = :after", names: { "#sequence": "sequence" }, values: { ":after": after } },
    },
  };
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
    if (outcome.committed) return "counted";
    const missing = outcome.failed.map((index) => checked[index]);
    if (missing.some((productId) => productId === undefined)) return "moved";
    for (const productId of missing as string[]) {
      counts.delete(productId);
      gone.push(productId);
    }
  }
}

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

/** Plans again from a fresh checkpoint at most this many times in one batch (each time something moved). */
const REPLANS = 3;

/** How a batch was counted: all of it, or up to `retryFrom` (the first record not counted) and why not further. */
export type Counted = { readonly retryFrom?: undefined } | { readonly retryFrom: string; readonly error: unknown };

/**
 * Counts one shard's `views` (a batch, in shard order) exactly once, chunk by chunk (see the module's comment).
 * When a chunk fails, the chunks before it are counted, the checkpoint is after them, and `retryFrom` is the chunk's
 * first record. A failure to read the checkpoint rejects; so does a checkpoint that keeps moving (another writer).
 *
 * @example
 * ```ts
 * const counted = await countViews(shardId, views);
 * if (counted.retryFrom !== undefined) logger.error("views not counted", { error: counted.error });
 * ```
 */
export async function countViews(shardId: string, views: readonly View[]): Promise<Counted> {
  let checkpoint = await readCheckpoint(shardId);
  for (let plan = 1; ; plan++) {
    let after = checkpoint.sequence;
    let moved = false;
    for (const chunk of planChunks(views, checkpoint)) {
      try {
        moved = (await countChunk(shardId, chunk, after)) === "moved";
      } catch (error) {
        return { retryFrom: chunk.first, error };
      }
      if (moved) break;
      after = sequenceKey(chunk.last);
    }
    if (!moved) return {};
    if (plan >= REPLANS) throw new Error(`${shardId}: the view checkpoint kept moving under the counter`);
    checkpoint = await readCheckpoint(shardId);
  }
}

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
