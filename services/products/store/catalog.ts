import { randomBytes } from "node:crypto";
import { ProductCreated, ProductDeleted, ProductUpdated } from "../../../events/products.js";
import { ReadCache } from "../../../shared/cache/index.js";
import type { Condition, Page, QuerySpec, TransactOutcome } from "../../../shared/data/index.js";
import { emitMetric } from "../../../shared/metrics/index.js";
import { outboxEvent, writeWithEvents } from "../../../shared/outbox/index.js";
import type { Image, Product } from "../api.js";
import { productsMetrics } from "../metrics.js";
import { FEED_SHARDS, keys, shardOf, timeKey } from "./keys.js";
import { mediaUses, refusedImages, stillReady } from "./media.js";
import { productsTable } from "./table.js";

/**
 * The catalogue: product items (`PRODUCT#<id>` / `PRODUCT`, see `keys.ts`), their reads through the origin cache,
 * and every write of them, each committed with its event (`shared/outbox`) and the `USEDBY#` marks of the images
 * it shows, in one transaction.
 */
export { productsTable };

/** A product as stored: the API's fields, its version, the ids of its images, and its index keys. */
export interface ProductItem extends Product {
  readonly version: number;
  readonly imageMediaIds: readonly string[];
  /** `byFeed`: every product, newest first, over {@link FEED_SHARDS} partitions. */
  readonly feedPk: string;
  readonly feedSk: string;
  /** `byCategory`: one category, newest first, over as many partitions. */
  readonly categoryPk: string;
  readonly categorySk: string;
}

/** What a seller writes: everything but the images. */
export interface ProductFields {
  readonly name: string;
  readonly description: string | null;
  readonly priceCents: number;
  readonly currency: string;
  readonly category: string;
}

/** A change: any of the fields, and the images (already checked: the seller's own and ready). */
export type ProductChange = Partial<ProductFields> & { readonly images?: readonly Image[] };

/** The names `products.ProductUpdated` lists in `changed`: the `Product` fields a write may move. */
export type ChangedField = keyof ProductChange;

const CHANGEABLE: readonly ChangedField[] = ["name", "description", "priceCents", "currency", "category", "images"];
const PRODUCT_FIELDS = [
  "productId",
  "sellerId",
  "name",
  "description",
  "priceCents",
  "currency",
  "category",
  "images",
  "createdAt",
  "updatedAt",
] as const;

/**
 * The origin cache. 2 s: with the HTTP `max-age` 1 and `s-maxage` 2 (api.ts), a write reaches every reader within
 * 5 s, and the writer's own sandbox at once (write-through below). A product item is at most a few KB, so 5,000
 * entries stay well under 50 MB of the function's memory.
 */
export const PRODUCT_CACHE_TTL_MS = 2_000;
const cached = new ReadCache<ProductItem>({ ttlMs: PRODUCT_CACHE_TTL_MS, maxEntries: 5_000 });

/** An opaque, URL-safe id: 128 random bits, 22 characters (short ids keep the sharded feed's cursors short). */
export function newProductId(): string {
  return randomBytes(16).toString("base64url");
}

/** The API's `Product` from the stored item (only the contract's fields). */
export function toProduct(item: ProductItem): Product {
  const out: Record<string, unknown> = {};
  for (const field of PRODUCT_FIELDS) out[field] = item[field] ?? null;
  out.images = item.images ?? [];
  return out as Product;
}

/**
 * The product, through the origin cache: a read within {@link PRODUCT_CACHE_TTL_MS} of the last one (or of this
 * sandbox's own write) does not reach the table, and neither does a repeated read of a product that does not exist.
 */
export async function findProduct(productId: string): Promise<ProductItem | undefined> {
  return cached.get(productId, () => productsTable.get<ProductItem>(keys.product(productId)));
}

/** The product as it is now (a consistent read, for a writer about to change it); refreshes the cache. */
export async function readProduct(productId: string): Promise<ProductItem | undefined> {
  const item = await productsTable.get<ProductItem>(keys.product(productId), { consistent: true });
  cached.set(productId, item);
  return item;
}

/** The `Product`s of those of `ids` that exist: from the cache, and one batch read for the rest. */
export async function productsByIds(ids: readonly string[]): Promise<Map<string, Product>> {
  const found = await cached.getMany(ids, async (missing) => {
    const items = await productsTable.batchGet<ProductItem>(missing.map(keys.product));
    return new Map(items.map((item) => [item.productId, item]));
  });
  const products = new Map<string, Product>();
  for (const [id, item] of found) if (item) products.set(id, toProduct(item));
  return products;
}

/**
 * One page of products, newest first: every product (`byFeed`) or one category (`byCategory`), each merged over
 * its {@link FEED_SHARDS} partitions.
 */
export async function listProducts(query: {
  readonly category?: string | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}): Promise<Page<Product>> {
  const shards = Array.from(
    { length: FEED_SHARDS },
    (_, shard): QuerySpec =>
      query.category === undefined
        ? { index: "byFeed", keyCondition: "feedPk = :pk", values: { ":pk": keys.feed(shard) }, forward: false }
        : {
            index: "byCategory",
            keyCondition: "categoryPk = :pk",
            values: { ":pk": keys.category(query.category, shard) },
            forward: false,
          },
  );
  const page = await productsTable.mergedPage<ProductItem>(shards, { limit: query.limit, cursor: query.cursor });
  return { items: page.items.map(toProduct), nextCursor: page.nextCursor };
}

/**
 * Lists a product: the item, the `USEDBY#` marks of its images (each while that media item is still the seller's
 * and ready) and `products.ProductCreated`, in one transaction. A media item that failed since `images` were
 * checked is the 403 problem.
 */
export async function createProduct(
  sellerId: string,
  fields: ProductFields,
  images: readonly Image[],
  nowMs: number = Date.now(),
): Promise<ProductItem> {
  const productId = newProductId();
  const createdAt = new Date(nowMs).toISOString();
  const shard = shardOf(productId);
  const item: ProductItem = {
    productId,
    sellerId,
    ...fields,
    images: [...images],
    imageMediaIds: images.map((image) => image.mediaId),
    createdAt,
    updatedAt: createdAt,
    version: 1,
    feedPk: keys.feed(shard),
    feedSk: timeKey(createdAt, productId),
    categoryPk: keys.category(fields.category, shard),
    categorySk: timeKey(createdAt, productId),
  };
  const { name, priceCents, currency, category } = item;
  const outcome = await writeWithEvents(
    productsTable,
    [
      { put: { item: { ...keys.product(productId), ...item }, condition: { expression: "attribute_not_exists(pk)" } } },
      ...stillReady(item.imageMediaIds, sellerId),
      ...mediaUses(productId, item.imageMediaIds, []),
    ],
    [
      outboxEvent(
        ProductCreated,
        { productId, sellerId, name, priceCents, currency, category, createdAt },
        { orderKey: productId },
      ),
    ],
  );
  if (!outcome.committed) {
    refuseIfImagesFailed(outcome, item.imageMediaIds, item.imageMediaIds);
    throw new Error(`product ${productId} could not be created (items ${outcome.failed.join(", ")})`);
  }
  emitMetric(productsMetrics, "ProductsCreated", 1);
  cached.set(productId, item);
  return item;
}

/** How {@link updateProduct} ended: written (with what moved), nothing to write, or stale (re-read and retry). */
export type UpdateOutcome =
  | { readonly status: "updated"; readonly item: ProductItem; readonly changed: readonly ChangedField[] }
  | { readonly status: "unchanged"; readonly item: ProductItem }
  | { readonly status: "stale" };

/**
 * Writes the fields of `change` whose value differs from `current` (only those), if the product is still at
 * `current.version` (optimistic concurrency), with `products.ProductUpdated` naming exactly them in `changed`, in one
 * transaction. Images that come in are marked `USEDBY#` (while still the seller's and ready: else the 403 problem),
 * images that leave are unmarked; a new category moves the product to that category's feed (same shard).
 */
export async function updateProduct(
  current: ProductItem,
  change: ProductChange,
  updatedAt: string = new Date().toISOString(),
): Promise<UpdateOutcome> {
  const set: Record<string, unknown> = {};
  const changed: ChangedField[] = [];
  for (const field of CHANGEABLE) {
    const value = change[field];
    if (value === undefined || sameValue(field, current[field], value)) continue;
    set[field] = value;
    changed.push(field);
  }
  if (changed.length === 0) return { status: "unchanged", item: current };

  const productId = current.productId;
  const imageMediaIds = change.images?.map((image) => image.mediaId) ?? current.imageMediaIds;
  const added = imageMediaIds.filter((id) => !current.imageMediaIds.includes(id));
  const removed = current.imageMediaIds.filter((id) => !imageMediaIds.includes(id));
  if (change.images) set.imageMediaIds = imageMediaIds;
  if (change.category !== undefined && changed.includes("category"))
    set.categoryPk = keys.category(change.category, shardOf(productId));
  const item = { ...current, ...set, updatedAt, version: current.version + 1 } as ProductItem;

  const { sellerId, name, priceCents, currency, category } = item;
  const outcome = await writeWithEvents(
    productsTable,
    [
      {
        update: {
          key: keys.product(productId),
          spec: { set: { ...set, updatedAt, version: item.version } },
          condition: atVersion(current.version),
        },
      },
      ...stillReady(added, sellerId),
      ...mediaUses(productId, added, removed),
    ],
    [
      outboxEvent(
        ProductUpdated,
        { productId, sellerId, name, priceCents, currency, category, changed: [...changed], updatedAt },
        // One product's events reach the bus in the order they were made.
        { orderKey: productId },
      ),
    ],
  );
  if (!outcome.committed) {
    if (outcome.failed.includes(0)) return { status: "stale" };
    refuseIfImagesFailed(outcome, added, imageMediaIds);
    throw new Error(`product ${productId} could not be updated (items ${outcome.failed.join(", ")})`);
  }
  cached.set(productId, item);
  return { status: "updated", item, changed };
}

/**
 * Removes the product if it is still at `current.version`, with its view count (so it leaves `popular`), the
 * `USEDBY#` marks of its images and `products.ProductDeleted`, in one transaction. `false`: it changed meanwhile
 * (re-read and retry).
 */
export async function deleteProduct(
  current: ProductItem,
  deletedAt: string = new Date().toISOString(),
): Promise<boolean> {
  const { productId, sellerId, category } = current;
  const outcome = await writeWithEvents(
    productsTable,
    [
      { delete: { key: keys.product(productId), condition: atVersion(current.version) } },
      { delete: { key: keys.views(productId) } },
      ...mediaUses(productId, [], current.imageMediaIds),
    ],
    [outboxEvent(ProductDeleted, { productId, sellerId, category, deletedAt }, { orderKey: productId })],
  );
  if (!outcome.committed) return false;
  // Gone for this sandbox at once: its next read is a 404 without asking the table.
  cached.set(productId, undefined);
  return true;
}

const atVersion = (version: number): Condition => ({
  expression: "#version = :version",
  names: { "#version": "version" },
  values: { ":version": version },
});

/** Images are the same when they name the same media in the same order; every other field compares as a value. */
function sameValue(field: ChangedField, before: unknown, after: unknown): boolean {
  if (field !== "images") return before === after;
  const ids = (images: unknown) => ((images ?? []) as readonly Image[]).map((image) => image.mediaId).join("\n");
  return ids(before) === ids(after);
}

/**
 * A write whose media checks (the {@link stillReady} items of `checked`, right after the product's own item) failed:
 * those media items failed or changed hands since they were checked, the 403 problem (naming them in `shown`).
 */
function refuseIfImagesFailed(
  outcome: TransactOutcome & { committed: false },
  checked: readonly string[],
  shown: readonly string[],
): void {
  const refused = outcome.failed.flatMap((index) =>
    index >= 1 && index <= checked.length ? [checked[index - 1]!] : [],
  );
  if (refused.length > 0) throw refusedImages(shown, refused);
}

/**
 * Takes the image `mediaId` off the product (its media item failed), through {@link updateProduct}: a versioned
 * update with `products.ProductUpdated` (`changed: ["images"]`) and the `USEDBY#` mark removed with it, re-read when
 * the product changed meanwhile. A product that no longer shows it (or no longer exists) keeps no mark. Returns
 * whether the product changed; throws when it kept changing (the transport redelivers).
 */
export async function withoutImage(productId: string, mediaId: string): Promise<boolean> {
  for (let attempt = 0; attempt < IMAGE_REMOVAL_ATTEMPTS; attempt++) {
    const current = await readProduct(productId);
    if (!current?.imageMediaIds.includes(mediaId)) {
      await productsTable.delete(keys.mediaUse(mediaId, productId));
      return false;
    }
    const images = current.images.filter((image) => image.mediaId !== mediaId);
    const outcome = await updateProduct(current, { images });
    if (outcome.status !== "stale") return outcome.status === "updated";
  }
  throw new Error(`product ${productId} kept changing while the failed image ${mediaId} was taken off it`);
}

/** More than a seller's own PATCH (three): the consumer must win eventually, and SNS retries on top. */
const IMAGE_REMOVAL_ATTEMPTS = 5;
