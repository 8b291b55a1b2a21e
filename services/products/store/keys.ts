import { createHash } from "node:crypto";

/**
 * The products table, one item per fact (single-table design, string keys `pk`/`sk`), and the three indexes that
 * serve every list without a scan:
 *
 * | pk | sk | what | index keys |
 * |---|---|---|---|
 * | `PRODUCT#<productId>` | `PRODUCT` | the product, with `version` for optimistic updates | `feedPk`/`feedSk`, `categoryPk`/`categorySk` |
 * | `PRODUCT#<productId>` | `VIEWS` | its view count, added per batch of the click-stream | `rankPk`/`rankSk` |
 * | `MEDIA#<mediaId>` | `MEDIA` | a processed media item (owner, status, URLs): what a product image may be | |
 * | `MEDIA#<mediaId>` | `USEDBY#<productId>` | a product showing the item, so a failed or removed item leaves it | |
 * | `VIEWSHARD#<shardId>` | `CHECKPOINT` | how far the view counter got in one shard of the click-stream | |
 * | `<idempotency key>` | `IDEMPOTENCY` | the HTTP layer's idempotency records (`expiresAt` TTL) | |
 * | `OUTBOX#<productId>` | `<time>#<eventId>` | an event committed with the write that caused it (`shared/outbox`) | |
 *
 * **No hot partition.** "Newest first over every product" written to one index partition would take every create in
 * the system: the seed's 400 writes a second, with peaks several times higher, against the 1,000 write units a second
 * one partition takes (more for items over 1 KB). So the feed is spread over {@link FEED_SHARDS} partitions by a hash of
 * the product id (`FEED#<n>`), each sorted by `<createdAt>#<productId>`, and a page merges the shards' heads
 * (`shared/data` `mergedPage`): 8 × 1,000 = 8,000 writes a second of headroom, and a page costs 8 small queries, which
 * the caches in front of the table absorb (reads are 100 to 1). A category is one more such feed (`CATEGORY#<c>#<n>`),
 * spread the same way so one popular category cannot heat a partition either. The ranking is spread likewise
 * (`POPULAR#<n>`, sorted by the zero-padded count), and a product's count changes once per batch of views, never
 * once per view, so one hot product takes one write per batch whatever its traffic.
 */
export const FEED_SHARDS = 8;

/** `n` in 0…FEED_SHARDS-1, the same for a product forever (its index entries never move between shards). */
export function shardOf(productId: string): number {
  return createHash("sha256").update(productId).digest().readUInt32BE(0) % FEED_SHARDS;
}

/** Views as a sort key: zero-padded so that string order is number order (the stacks declare index keys as strings). */
export const rankKey = (views: number, productId: string): string =>
  `${String(Math.max(0, Math.floor(views))).padStart(15, "0")}#${productId}`;

/** Newest first: the creation time, then the id to break ties. */
export const timeKey = (createdAt: string, productId: string): string => `${createdAt}#${productId}`;

export const keys = {
  product: (productId: string) => ({ pk: `PRODUCT#${productId}`, sk: "PRODUCT" }),
  views: (productId: string) => ({ pk: `PRODUCT#${productId}`, sk: "VIEWS" }),
  media: (mediaId: string) => ({ pk: `MEDIA#${mediaId}`, sk: "MEDIA" }),
  mediaUse: (mediaId: string, productId: string) => ({ pk: `MEDIA#${mediaId}`, sk: `USEDBY#${productId}` }),
  viewShard: (shardId: string) => ({ pk: `VIEWSHARD#${shardId}`, sk: "CHECKPOINT" }),
  feed: (shard: number) => `FEED#${shard}`,
  category: (category: string, shard: number) => `CATEGORY#${category}#${shard}`,
  popular: (shard: number) => `POPULAR#${shard}`,
} as const;
