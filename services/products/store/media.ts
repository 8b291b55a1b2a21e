import type { MediaProcessed } from "../../../events/media.js";
import type { Condition, TransactItem } from "../../../shared/data/index.js";
import type { PayloadOf } from "../../../shared/events/defineEvent.js";
// The leaf module, not the `shared/http` face: the store is also imported by consumers, which carry no middy.
import { HttpProblem } from "../../../shared/http/problem.js";
import type { Image } from "../api.js";
import { keys } from "./keys.js";
import { productsTable } from "./table.js";

/**
 * A processed media item, kept as `media.MediaProcessed` told it (owner, status, URLs): what a product image may be.
 */
export type MediaItem = PayloadOf<typeof MediaProcessed>;

/** A product showing a media item (`MEDIA#<mediaId>` / `USEDBY#<productId>`). */
export interface MediaUse {
  readonly mediaId: string;
  readonly productId: string;
}

export async function getMedia(mediaId: string, consistent = false): Promise<MediaItem | undefined> {
  return productsTable.get<MediaItem>(keys.media(mediaId), { consistent });
}

/**
 * Records a processed media item. A redelivery, or an older event arriving after a newer one, changes nothing.
 * Returns whether the item was written.
 */
export async function recordMedia(media: MediaItem): Promise<boolean> {
  return productsTable.put(
    { ...keys.media(media.mediaId), ...media },
    {
      condition: {
        expression: "attribute_not_exists(pk) OR processedAt < :processedAt",
        values: { ":processedAt": media.processedAt },
      },
    },
  );
}

/**
 * The images `mediaIds` name, in that order, if every one is the seller's own media item and `ready` (one batch
 * read); otherwise the 403 problem, listing each refused id at its place in `body.imageMediaIds`.
 */
export async function imagesFor(mediaIds: readonly string[], sellerId: string): Promise<Image[]> {
  if (mediaIds.length === 0) return [];
  const found = new Map(
    (await productsTable.batchGet<MediaItem>(mediaIds.map(keys.media))).map((media) => [media.mediaId, media]),
  );
  const images: Image[] = [];
  const refused: string[] = [];
  for (const mediaId of mediaIds) {
    const media = found.get(mediaId);
    if (media?.ownerId === sellerId && media.status === "ready" && media.url && media.thumbnailUrl)
      images.push({ mediaId, url: media.url, thumbnailUrl: media.thumbnailUrl });
    else refused.push(mediaId);
  }
  if (refused.length > 0) throw refusedImages(mediaIds, refused);
  return images;
}

/** The 403 for the `refused` images (not the seller's own ready media), each named at its place in `mediaIds`. */
export function refusedImages(mediaIds: readonly string[], refused: readonly string[]): HttpProblem {
  return new HttpProblem("forbidden", `not your ready images: ${refused.join(", ")}`, {
    errors: refused.map((mediaId) => ({
      path: `body.imageMediaIds.${mediaIds.indexOf(mediaId)}`,
      message: `media ${mediaId} is not one of your ready images`,
    })),
  });
}

/**
 * Transaction items that hold only while each media item is still the seller's and `ready`: a write that adds an
 * image commits with them, so an item that failed meanwhile is refused rather than shown (the media consumer's
 * sweep of `USEDBY#` items would not find a product that wrote its mark after the sweep read).
 */
export function stillReady(mediaIds: readonly string[], sellerId: string): TransactItem[] {
  const condition: Condition = {
    expression: "#status = :ready AND #owner = :owner",
    names: { "#status": "status", "#owner": "ownerId" },
    values: { ":ready": "ready", ":owner": sellerId },
  };
  return mediaIds.map((mediaId) => ({ check: { key: keys.media(mediaId), condition } }));
}

/** The writes that mark `added` as shown by the product and unmark `removed`. */
export function mediaUses(productId: string, added: readonly string[], removed: readonly string[]): TransactItem[] {
  return [
    ...added.map(
      (mediaId): TransactItem => ({ put: { item: { ...keys.mediaUse(mediaId, productId), mediaId, productId } } }),
    ),
    ...removed.map((mediaId): TransactItem => ({ delete: { key: keys.mediaUse(mediaId, productId) } })),
  ];
}

/**
 * The products showing a media item, read from its `USEDBY#` items (one partition, no scan), consistently: a
 * product whose write committed before this read is in the answer.
 */
export async function productsShowing(mediaId: string): Promise<string[]> {
  const productIds: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await productsTable.queryPage<MediaUse & Record<string, unknown>>(
      {
        keyCondition: "pk = :pk AND begins_with(sk, :used)",
        values: { ":pk": keys.media(mediaId).pk, ":used": "USEDBY#" },
        consistent: true,
      },
      { limit: 100, cursor },
    );
    productIds.push(...page.items.map((use) => use.productId));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return productIds;
}
