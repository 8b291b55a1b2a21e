import { AsyncLocalStorage } from "node:async_hooks";
import { GetObjectCommand, type GetObjectCommandOutput, PutObjectCommand } from "@aws-sdk/client-s3";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { UploadReceived } from "../../../events/media.js";
import { s3Client } from "../../../shared/aws/s3.js";
import { onSqs, PoisonError } from "../../../shared/consume/index.js";
import type { Envelope } from "../../../shared/events/envelope.js";
import { logger } from "../../../shared/logging/index.js";
import { decodeUpload, READ_MARGIN_BYTES, WORKER_MAX_RECEIVE_COUNT } from "../image/index.js";
import { getMedia, type MediaItem, markFailed, markReady, mediaIdOf, objectKeys, publicUrl } from "../store/index.js";

/**
 * The media worker: `media.UploadReceived` off its queue, each upload checked and thumbnailed, the item marked
 * `ready` or `failed` (the store commits `media.MediaProcessed` through the outbox with it, exactly once).
 *
 * What arrives on the queue is what S3 sends there: its event notification (`{ Records: [{ eventSource: "aws:s3",
 * s3: { bucket, object } }] }`, the key URL-encoded), or its `s3:TestEvent` when the notification is configured.
 * Neither is our envelope, so each message is first read here: a test event is dropped with a log line (never the
 * failure queue), each object-created record becomes the `UploadReceived` envelope it stands for (a key that is not
 * an upload's original, such as the thumbnail the worker itself writes, is dropped), and any other body goes to
 * `onSqs` as it is (an envelope sent directly; anything else is poison for the failure queue).
 *
 * Every upload ends in one state: `ready`, or `failed` with its reason (not the claimed type, truncated or
 * corrupt, too many pixels, too large). A duplicate notification finds the item final and does nothing. A
 * transient error (S3, DynamoDB) is retried by SQS; on the last receive (`ApproximateReceiveCount` reaching the
 * queue's `maxReceiveCount`, {@link WORKER_MAX_RECEIVE_COUNT}) the item is marked `failed: could not be processed`
 * so nothing stays pending behind the DLQ.
 */

const attempt = new AsyncLocalStorage<{ readonly receiveCount: number }>();

const consume = onSqs(UploadReceived, async (upload) => {
  await processUpload(upload, attempt.getStore()?.receiveCount ?? 1);
});

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const failed = new Set<string>();
  for (const record of event.Records) {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
    for (const body of uploadBodies(record)) {
      const response = await attempt.run({ receiveCount }, () => consume({ Records: [{ ...record, body }] }, context));
      if (response.batchItemFailures.length > 0) failed.add(record.messageId);
    }
  }
  return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
}

type Upload = { readonly mediaId: string; readonly bucket: string; readonly key: string; readonly size: number };

/** One upload: ends with the item final, or throws for SQS to retry (never on the last receive). */
export async function processUpload(upload: Upload, receiveCount: number): Promise<void> {
  const at = { mediaId: upload.mediaId, key: upload.key, receiveCount };
  const keys = objectKeys(upload.mediaId);
  if (upload.key !== keys.original) {
    throw new PoisonError("Refused", `${upload.key} is not the original of media ${upload.mediaId}`);
  }
  const item = await getMedia(upload.mediaId);
  if (!item) {
    logger.warn("no media item for this upload; dropped", at);
    return;
  }
  if (item.status !== "pending") {
    logger.info("media item already processed (a duplicate notification); nothing to do", {
      ...at,
      status: item.status,
    });
    return;
  }
  try {
    const reason = await thumbnailAndMarkReady(item, upload, keys);
    if (reason !== undefined) {
      logger.warn("upload refused", { ...at, reason });
      if (!(await markFailed(item.mediaId, reason))) logger.info("media item was already final", at);
    }
  } catch (error) {
    if (receiveCount < WORKER_MAX_RECEIVE_COUNT) throw error;
    // The last receive: after it the message goes to the DLQ and the item would stay pending for ever.
    logger.error("upload could not be processed on its last attempt; marking it failed", { ...at, error });
    await markFailed(item.mediaId, "could not be processed");
  }
}

/** The thumbnail written and the item marked ready; or the reason the upload is refused. */
async function thumbnailAndMarkReady(
  item: MediaItem,
  upload: Upload,
  keys: { readonly original: string; readonly thumbnail: string },
): Promise<string | undefined> {
  const cap = item.contentLength + READ_MARGIN_BYTES;
  const tooLarge = (bytes: number) => `too large: ${bytes} bytes, ${item.contentLength} declared`;
  if (upload.size > cap) return tooLarge(upload.size);

  const read = await readCapped(upload.bucket, keys.original, cap);
  if (read.kind === "missing") return "no upload found";
  if (read.kind === "tooLarge") return tooLarge(read.bytes);

  const decoded = await decodeUpload(read.bytes, item.contentType);
  if (!decoded.ok) return decoded.reason;

  await s3Client().send(
    new PutObjectCommand({
      Bucket: upload.bucket,
      Key: keys.thumbnail,
      Body: decoded.thumbnail.bytes,
      ContentType: decoded.thumbnail.contentType,
      // The key is the media item's own and never rewritten: caches may keep it for good.
      CacheControl: "public, max-age=31536000, immutable",
    }),
  );
  const marked = await markReady(item.mediaId, {
    width: decoded.width,
    height: decoded.height,
    url: publicUrl(keys.original),
    thumbnailUrl: publicUrl(keys.thumbnail),
  });
  if (!marked) logger.info("media item was already final", { mediaId: item.mediaId });
  return undefined;
}

type Read =
  | { readonly kind: "bytes"; readonly bytes: Buffer }
  | { readonly kind: "tooLarge"; readonly bytes: number }
  | { readonly kind: "missing" };

/** The object's bytes, reading no more than `cap` + 1 of them (a bigger object is refused, not buffered). */
async function readCapped(bucket: string, key: string, cap: number): Promise<Read> {
  let response: GetObjectCommandOutput;
  try {
    response = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${cap}` }));
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return { kind: "missing" };
    throw error;
  }
  const body = response.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
  if (!body) return { kind: "bytes", bytes: Buffer.alloc(0) };
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > cap) {
      body.destroy?.();
      return { kind: "tooLarge", bytes: total };
    }
    chunks.push(Buffer.from(chunk));
  }
  return { kind: "bytes", bytes: Buffer.concat(chunks, total) };
}

// ---------------------------------------------------------------------------------------------------------------
// What S3 puts on the queue

interface S3EventRecord {
  readonly eventSource?: unknown;
  readonly eventName?: unknown;
  readonly eventTime?: unknown;
  readonly responseElements?: { readonly "x-amz-request-id"?: unknown };
  readonly s3?: {
    readonly bucket?: { readonly name?: unknown };
    readonly object?: { readonly key?: unknown; readonly size?: unknown; readonly sequencer?: unknown };
  };
}

/**
 * The bodies to hand to `onSqs` for one message: none for S3's test event or a key that is not an upload, one
 * `UploadReceived` envelope per object-created record, or the body itself when S3 did not write it.
 */
export function uploadBodies(record: Pick<SQSRecord, "body" | "messageId">): string[] {
  let value: unknown;
  try {
    value = JSON.parse(record.body);
  } catch {
    return [record.body];
  }
  if (typeof value !== "object" || value === null) return [record.body];
  const message = value as { Service?: unknown; Event?: unknown; Records?: unknown };
  if (message.Event === "s3:TestEvent") {
    // Sent once when the bucket's notification is configured ("Event message structure"): nothing to process.
    logger.info("S3 test event ignored", {
      messageId: record.messageId,
      bucket: (value as { Bucket?: unknown }).Bucket,
    });
    return [];
  }
  if (!Array.isArray(message.Records) || !message.Records.every(isS3Record)) return [record.body];
  const bodies: string[] = [];
  for (const s3Record of message.Records) {
    const envelope = uploadEnvelope(s3Record);
    if (envelope) bodies.push(JSON.stringify(envelope));
    else logger.info("S3 notification is not an upload's original; ignored", { messageId: record.messageId, s3Record });
  }
  return bodies;
}

function isS3Record(value: unknown): value is S3EventRecord {
  return typeof value === "object" && value !== null && (value as S3EventRecord).eventSource === "aws:s3";
}

/** The `UploadReceived` envelope an object-created record stands for, or `undefined` when it is not an upload. */
function uploadEnvelope(record: S3EventRecord): Envelope<"media.UploadReceived"> | undefined {
  const bucket = record.s3?.bucket?.name;
  const encodedKey = record.s3?.object?.key;
  const size = record.s3?.object?.size;
  if (typeof record.eventName !== "string" || !record.eventName.startsWith("ObjectCreated:")) return undefined;
  if (typeof bucket !== "string" || typeof encodedKey !== "string") return undefined;
  const key = decodeEventKey(encodedKey);
  const mediaId = key === undefined ? undefined : originalOf(key);
  if (key === undefined || mediaId === undefined) return undefined;
  const time = typeof record.eventTime === "string" ? record.eventTime : new Date().toISOString();
  const requestId = record.responseElements?.["x-amz-request-id"];
  const sequencer = record.s3?.object?.sequencer;
  return {
    // The same object version gives the same id, whichever duplicate of the notification carries it.
    id: `s3-${mediaId}-${typeof sequencer === "string" ? sequencer : time}`.slice(0, 128),
    type: UploadReceived.type,
    version: UploadReceived.version,
    time,
    producer: "media",
    correlationId: typeof requestId === "string" && requestId ? requestId : mediaId,
    data: { mediaId, bucket, key, size: typeof size === "number" ? size : 0, receivedAt: time },
  };
}

/** S3 event keys are URL-encoded form-style (`+` for a space). */
function decodeEventKey(key: string): string | undefined {
  try {
    return decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

/** The media id whose original is stored under `key`; `undefined` for any other key (the thumbnail included). */
function originalOf(key: string): string | undefined {
  const mediaId = mediaIdOf(key);
  return mediaId !== undefined && objectKeys(mediaId).original === key ? mediaId : undefined;
}
