import { randomBytes } from "node:crypto";
import { MediaProcessed } from "../../../events/media.js";
import { resource } from "../../../shared/config.js";
import type { Condition } from "../../../shared/data/index.js";
import type { PayloadOf } from "../../../shared/events/defineEvent.js";
import { emitMetric } from "../../../shared/metrics/index.js";
import { outboxEvent, writeWithEvents } from "../../../shared/outbox/index.js";
import type { Media } from "../api.js";
import { mediaMetrics } from "../metrics.js";
import { keys, objectKeys } from "./keys.js";
import { mediaTable } from "./table.js";

/**
 * Media items (`MEDIA#<mediaId>` / `MEDIA`): created `pending` by `POST /media/uploads`, made final exactly once by
 * the worker (`ready` with its size and URLs, or `failed` with a reason), each final state committed with
 * `media.MediaProcessed` through the outbox.
 */
export { mediaTable };

export type MediaStatus = Media["status"];
export type ImageContentType = Media["contentType"];
export type MediaPurpose = Media["purpose"];

/** A media item as stored: the API's `Media`, the length the upload was signed for, and when it became final. */
export interface MediaItem {
  readonly mediaId: string;
  readonly ownerId: string;
  readonly purpose: MediaPurpose;
  readonly status: MediaStatus;
  readonly contentType: ImageContentType;
  /** The exact byte length the presigned PUT binds: S3 refuses any other. */
  readonly contentLength: number;
  /** The original's key in the bucket (`objectKeys(mediaId).original`). */
  readonly objectKey: string;
  readonly width?: number;
  readonly height?: number;
  readonly url?: string;
  readonly thumbnailUrl?: string;
  readonly failureReason?: string;
  readonly createdAt: string;
  /** When the worker decided (final items only). */
  readonly processedAt?: string;
}

/** What the worker found in a good upload. */
export interface ReadyMedia {
  readonly width: number;
  readonly height: number;
  readonly url: string;
  readonly thumbnailUrl: string;
}

const MEDIA_FIELDS = [
  "mediaId",
  "ownerId",
  "purpose",
  "status",
  "contentType",
  "width",
  "height",
  "url",
  "thumbnailUrl",
  "failureReason",
  "createdAt",
] as const;

/** An opaque, URL-safe id: 128 random bits, 22 characters. */
export function newMediaId(): string {
  return randomBytes(16).toString("base64url");
}

/** The API's `Media` from the stored item: the contract's fields, the optional ones only when set. */
export function toMedia(item: MediaItem): Media {
  const out: Record<string, unknown> = {};
  for (const field of MEDIA_FIELDS) if (item[field] !== undefined && item[field] !== null) out[field] = item[field];
  return out as Media;
}

/**
 * The URL readers fetch an object at: the bucket's CDN in the cloud (its link's `cdnUrl`), the local S3 locally
 * (the runtime links the bucket with its path-style URL as `cdnUrl`). Each key segment is percent-encoded.
 */
export function publicUrl(objectKey: string): string {
  const base = resource("MediaBucket").cdnUrl;
  if (typeof base !== "string" || base === "") throw new Error("MediaBucket is linked without a cdnUrl");
  return `${base.replace(/\/+$/, "")}/${objectKey.split("/").map(encodeURIComponent).join("/")}`;
}

/** The media item, read consistently (the worker decides on what is there now), or `undefined`. */
export async function getMedia(mediaId: string): Promise<MediaItem | undefined> {
  const item = await mediaTable.get<MediaItem & { pk: string; sk: string }>(keys.media(mediaId), { consistent: true });
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, ...media } = item;
  return media;
}

/** How long a presigned upload URL lives (15 min): S3 refuses the PUT after it. */
export const UPLOAD_TTL_SECONDS = 15 * 60;
/**
 * A pending item whose upload URL expired this long ago can no longer receive its bytes, and S3's notification of a
 * PUT made just before the expiry has long arrived: it is failed, so that nothing stays pending forever.
 */
export const ABANDONED_GRACE_SECONDS = 5 * 60;

/**
 * The item as a reader should see it: a pending one that can no longer be uploaded is made `failed` first (with
 * `media.MediaProcessed`, through the outbox, so the owner services learn it too), the first reader deciding.
 */
export async function settledMedia(mediaId: string, nowMs: number = Date.now()): Promise<MediaItem | undefined> {
  const item = await getMedia(mediaId);
  if (item?.status !== "pending") return item;
  const abandonedAt = Date.parse(item.createdAt) + (UPLOAD_TTL_SECONDS + ABANDONED_GRACE_SECONDS) * 1000;
  if (nowMs < abandonedAt) return item;
  await markFailed(mediaId, "no upload arrived before its upload URL expired", nowMs);
  return getMedia(mediaId);
}

/** A new `pending` item for an upload the caller is about to make (the id is new: a clash is a fault). */
export async function createPending(
  upload: Pick<MediaItem, "ownerId" | "purpose" | "contentType" | "contentLength">,
  nowMs: number = Date.now(),
): Promise<MediaItem> {
  const mediaId = newMediaId();
  const item: MediaItem = {
    mediaId,
    ownerId: upload.ownerId,
    purpose: upload.purpose,
    status: "pending",
    contentType: upload.contentType,
    contentLength: upload.contentLength,
    objectKey: objectKeys(mediaId).original,
    createdAt: new Date(nowMs).toISOString(),
  };
  const written = await mediaTable.put(
    { ...keys.media(mediaId), ...item },
    { condition: { expression: "attribute_not_exists(pk)" } },
  );
  if (!written) throw new Error(`media ${mediaId} already exists`);
  return item;
}

const STILL_PENDING: Condition = {
  expression: "#status = :pending",
  names: { "#status": "status" },
  values: { ":pending": "pending" },
};

type FinalChange =
  | ({ readonly status: "ready" } & ReadyMedia)
  | { readonly status: "failed"; readonly failureReason: string };

/**
 * Makes a pending item final and commits `media.MediaProcessed` with it, in one transaction that holds only while
 * the item is still pending: the first decision wins, a redelivery or a second worker changes nothing. `true` when
 * this call decided; `false` for an unknown item or one already final.
 */
async function finish(mediaId: string, change: FinalChange, nowMs: number): Promise<boolean> {
  const item = await getMedia(mediaId);
  if (item?.status !== "pending") return false;
  const processedAt = new Date(nowMs).toISOString();
  const payload: PayloadOf<typeof MediaProcessed> = {
    mediaId,
    ownerId: item.ownerId,
    purpose: item.purpose,
    contentType: item.contentType,
    processedAt,
    ...change,
  };
  const outcome = await writeWithEvents(
    mediaTable,
    [{ update: { key: keys.media(mediaId), spec: { set: { ...change, processedAt } }, condition: STILL_PENDING } }],
    [outboxEvent(MediaProcessed, payload, { orderKey: mediaId })],
  );
  if (outcome.committed) emitMetric(mediaMetrics, change.status === "ready" ? "MediaReady" : "MediaFailed", 1);
  return outcome.committed;
}

/**
 * `ready`, with the decoded size and the URLs of the original and the thumbnail, and `media.MediaProcessed`.
 * Exactly once: `false` (and nothing written) for an item that is unknown or already final.
 */
export function markReady(mediaId: string, ready: ReadyMedia, nowMs: number = Date.now()): Promise<boolean> {
  const { width, height, url, thumbnailUrl } = ready;
  return finish(mediaId, { status: "ready", width, height, url, thumbnailUrl }, nowMs);
}

/**
 * `failed`, with the reason (the bytes are not the image they claim to be, too many pixels, …), and
 * `media.MediaProcessed`. Exactly once: `false` (and nothing written) for an item that is unknown or already final.
 */
export function markFailed(mediaId: string, reason: string, nowMs: number = Date.now()): Promise<boolean> {
  return finish(mediaId, { status: "failed", failureReason: reason.slice(0, 500) || "failed" }, nowMs);
}
