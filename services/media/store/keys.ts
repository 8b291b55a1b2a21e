/**
 * The media table, one item per fact (single-table design, string keys `pk`/`sk`):
 *
 * | pk | sk | what |
 * |---|---|---|
 * | `MEDIA#<mediaId>` | `MEDIA` | the media item: owner, purpose, claimed type and length, status, and once final its size and URLs or its reason |
 * | `<idempotency key>` | `IDEMPOTENCY` | the HTTP layer's idempotency records (`expiresAt` TTL) |
 * | `OUTBOX#<mediaId>` | `<time>#<eventId>` | `media.MediaProcessed`, committed with the final state (`shared/outbox`) |
 *
 * Every read is by key: one item per upload, no index, no hot partition.
 */
export const keys = {
  media: (mediaId: string) => ({ pk: `MEDIA#${mediaId}`, sk: "MEDIA" }),
} as const;

/**
 * Where a media item's bytes live in the bucket: the original as uploaded (the presigned PUT's key, so an object
 * names its item and nothing else can be written there) and the worker's thumbnail beside it.
 */
export function objectKeys(mediaId: string): { readonly original: string; readonly thumbnail: string } {
  return { original: `media/${mediaId}/original`, thumbnail: `media/${mediaId}/thumbnail.webp` };
}

/** The media id an object key belongs to (`media/<id>/…`), or `undefined` for a key that is not a media object. */
export function mediaIdOf(objectKey: string): string | undefined {
  return /^media\/([A-Za-z0-9_-]{1,64})\/(original|thumbnail\.webp)$/.exec(objectKey)?.[1];
}
