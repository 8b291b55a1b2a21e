import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DeleteMessageCommand, type Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { SQSEvent } from "aws-lambda";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { UploadReceived } from "../../events/media.js";
import { sqsEvent } from "../../local/lambdaEvents.js";
import { handler } from "../../services/media/consumers/worker.js";
import { THUMBNAIL_LONGEST_SIDE, thumbnailSize, WORKER_MAX_RECEIVE_COUNT } from "../../services/media/image/index.js";
import media from "../../services/media/service.js";
import { createPending, getMedia, type MediaItem, objectKeys } from "../../services/media/store/index.js";
import { resetAwsClients, useAwsClients } from "../../shared/aws/index.js";
import type { LinkedResource } from "../../shared/config.js";
import { resourceNameFor } from "../../shared/events/resources.js";
import { logger } from "../../shared/logging/index.js";
import { contentTypeOf, FIXTURE_SIZES, type FixtureFormat, makeImage, makePixelBomb } from "../fixtures/images/make.js";
import { lambdaContext } from "../support/apiEvents.js";
import { emfWrittenBy, sumOf } from "../support/emf.js";
import { useEmulators } from "../support/emulators.js";
import { useLinks } from "../support/links.js";
import { provisioned } from "../support/provisioned.js";

/**
 * The media worker over the wire: the service's topology provisioned on the emulators (DynamoDB Local, fauxqs S3
 * and SQS, the bucket's notification to the UploadReceived queue), real uploads put in the bucket, the messages S3
 * sends to the queue received and handed to the handler as Lambda would (`sqsEvent`), and the outcome read back:
 * the item, its outbox, the thumbnail's real dimensions.
 */
const emulators = useEmulators();
const prefix = `mediaw-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const link = useLinks();

const s3 = new S3Client({ ...emulators.clientConfig("s3"), forcePathStyle: true });
const sqs = new SQSClient(emulators.clientConfig("sqs"));
const ddb = new DynamoDBClient(emulators.clientConfig("dynamodb"));
const doc = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
let resources: Record<string, LinkedResource> = {};
let bucket = "";
let queue: LinkedResource = {};
let table = "";

for (const level of ["info", "warn", "error"] as const) vi.spyOn(logger, level).mockImplementation(() => {});

beforeAll(async () => {
  resources = await provisioned(emulators, [media], prefix);
  const { MediaTable, MediaBucket } = resources;
  const uploads = resources[resourceNameFor(UploadReceived)];
  if (!MediaTable || !MediaBucket || !uploads) throw new Error(`provisioned ${Object.keys(resources).join(", ")}`);
  table = MediaTable.name!;
  bucket = MediaBucket.name!;
  queue = uploads;
  const cdnUrl = MediaBucket.cdnUrl ?? `${emulators.endpoints.s3}/${bucket}`;
  link({ ...resources, MediaBucket: { ...MediaBucket, cdnUrl } });
  useAwsClients({ s3, dynamo: doc, sqs });
});

afterAll(() => {
  resetAwsClients();
  s3.destroy();
  sqs.destroy();
  ddb.destroy();
});

// ---------------------------------------------------------------------------------------------------------------

/** Every message on the upload queue now (deleted once received), as the Lambda event the mapping would send. */
async function drain(until: (messages: Message[]) => boolean): Promise<Message[]> {
  const messages: Message[] = [];
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        AttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    for (const message of Messages) {
      messages.push(message);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }));
    }
    if (until(messages)) return messages;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the queue did not deliver what was expected (${messages.length} messages)`);
}

const mentions = (key: string) => (messages: Message[]) => messages.some((m) => (m.Body ?? "").includes(key));

/** A pending item, its bytes put where the presigned PUT puts them, and the notification S3 sent for them. */
async function upload(
  bytes: Buffer,
  contentType: MediaItem["contentType"],
): Promise<{ item: MediaItem; event: SQSEvent }> {
  const item = await createPending({
    ownerId: `owner-${randomUUID()}`,
    purpose: "product",
    contentType,
    contentLength: bytes.length,
  });
  const key = objectKeys(item.mediaId).original;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: contentType }));
  const messages = await drain(mentions(key));
  return { item, event: sqsEvent(messages, queue.arn!) };
}

async function run(event: SQSEvent) {
  return handler(event, lambdaContext());
}

async function outboxOf(mediaId: string): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await doc.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": `OUTBOX#${mediaId}` },
      ConsistentRead: true,
    }),
  );
  return Items;
}

async function processed(bytes: Buffer, contentType: MediaItem["contentType"]): Promise<MediaItem> {
  const { item, event } = await upload(bytes, contentType);
  expect(await run(event)).toEqual({ batchItemFailures: [] });
  const after = await getMedia(item.mediaId);
  if (!after) throw new Error("the item is gone");
  return after;
}

// ---------------------------------------------------------------------------------------------------------------

describe("S3's test event", () => {
  it("is sent when the notification is configured, and the worker drops it: no failure, no failure queue", async () => {
    const messages = await drain((all) => all.some((m) => (m.Body ?? "").includes("s3:TestEvent")));
    const test = messages.filter((m) => (m.Body ?? "").includes("s3:TestEvent"));
    expect(JSON.parse(test[0]!.Body!)).toMatchObject({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket: bucket });
    const warned = vi.mocked(logger.warn).mock.calls.length;
    expect(await run(sqsEvent(test, queue.arn!))).toEqual({ batchItemFailures: [] });
    // A poison record is logged as it goes to the failure queue: nothing of the kind happened.
    expect(vi.mocked(logger.warn).mock.calls.length).toBe(warned);
    expect(vi.mocked(logger.info).mock.calls.some(([message]) => message === "S3 test event ignored")).toBe(true);
  });
});

describe("real images become ready, with a thumbnail of the right size", () => {
  for (const format of ["png", "jpeg", "webp"] as const satisfies readonly FixtureFormat[]) {
    for (const [width, height] of FIXTURE_SIZES) {
      it(`${format} ${width}×${height}`, async () => {
        const item = await processed(await makeImage(format, width, height), contentTypeOf[format]);
        expect(item).toMatchObject({ status: "ready", width, height });
        const keys = objectKeys(item.mediaId);
        expect(item.url).toMatch(new RegExp(`/${keys.original}$`));
        expect(item.thumbnailUrl).toMatch(new RegExp(`/${keys.thumbnail.replace(".", "\\.")}$`));

        // The thumbnail as stored, read back and decoded: its real dimensions.
        const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys.thumbnail }));
        expect(stored.ContentType).toBe("image/webp");
        const meta = await sharp(Buffer.from(await stored.Body!.transformToByteArray())).metadata();
        expect(meta.format).toBe("webp");
        expect({ width: meta.width, height: meta.height }).toEqual(thumbnailSize({ width, height }));
        expect(Math.max(meta.width, meta.height)).toBe(Math.min(THUMBNAIL_LONGEST_SIDE, Math.max(width, height)));

        // The thumbnail is fetchable at its public URL (locally, the local S3).
        expect((await fetch(item.thumbnailUrl!)).status).toBe(200);

        const outbox = await outboxOf(item.mediaId);
        expect(outbox).toHaveLength(1);
        expect(JSON.parse(String(outbox[0]!.envelope))).toMatchObject({
          type: "media.MediaProcessed",
          data: { mediaId: item.mediaId, status: "ready", width, height },
        });
      });
    }
  }

  it("drops the notification of the thumbnail the worker wrote itself", async () => {
    const { item, event } = await upload(await makeImage("png", 300, 200), "image/png");
    await run(event);
    const thumbnail = objectKeys(item.mediaId).thumbnail;
    const messages = await drain(mentions(thumbnail));
    expect(await run(sqsEvent(messages, queue.arn!))).toEqual({ batchItemFailures: [] });
    expect(await outboxOf(item.mediaId)).toHaveLength(1);
  });
});

describe("uploads that are not what they claim end failed, with the reason", () => {
  const failed = async (bytes: Buffer, contentType: MediaItem["contentType"], reason: RegExp) => {
    let item: MediaItem | undefined;
    const samples = await emfWrittenBy(async () => {
      item = await processed(bytes, contentType);
    });
    if (!item) throw new Error("nothing processed");
    // Counted where the item turned failed, once.
    expect([sumOf(samples, "MediaFailed"), sumOf(samples, "MediaReady")]).toEqual([1, 0]);
    expect(item.status).toBe("failed");
    expect(item.failureReason).toMatch(reason);
    const outbox = await outboxOf(item.mediaId);
    expect(outbox).toHaveLength(1);
    expect(JSON.parse(String(outbox[0]!.envelope)).data).toMatchObject({
      status: "failed",
      failureReason: item.failureReason,
    });
  };

  it("text claiming to be a PNG", () =>
    failed(Buffer.from("just some text, honestly a PNG"), "image/png", /^not a PNG$/));
  it("PNG bytes claiming to be a JPEG", async () =>
    failed(await makeImage("png", 64, 64), "image/jpeg", /^not a JPEG$/));
  it("a truncated JPEG", async () => {
    const whole = await makeImage("jpeg", 640, 480);
    await failed(whole.subarray(0, Math.floor(whole.length / 2)), "image/jpeg", /truncated or corrupt/);
  });
  it("a truncated PNG", async () => {
    const whole = await makeImage("png", 640, 480);
    await failed(whole.subarray(0, Math.floor(whole.length / 2)), "image/png", /truncated or corrupt/);
  });
  it("an image over the pixel limit (a decompression bomb)", async () =>
    failed(await makePixelBomb(), "image/png", /^too many pixels/));

  it("an object larger than the item declared", async () => {
    const bytes = await makeImage("png", 200, 200);
    const item = await createPending({
      ownerId: "owner-big",
      purpose: "post",
      contentType: "image/png",
      contentLength: 10,
    });
    const key = objectKeys(item.mediaId).original;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    expect(await run(sqsEvent(await drain(mentions(key)), queue.arn!))).toEqual({ batchItemFailures: [] });
    expect(await getMedia(item.mediaId)).toMatchObject({
      status: "failed",
      failureReason: expect.stringMatching(/^too large/),
    });
  });
});

describe("duplicates and failures", () => {
  it("a duplicate notification changes nothing: one MediaProcessed in the outbox", async () => {
    const { item, event } = await upload(await makeImage("webp", 500, 400), "image/webp");
    const samples = await emfWrittenBy(async () => {
      expect(await run(event)).toEqual({ batchItemFailures: [] });
      expect(await run(event)).toEqual({ batchItemFailures: [] });
      // The same notification in one batch twice, as SQS's at-least-once delivery may hand it.
      expect(await run({ Records: [...event.Records, ...event.Records] })).toEqual({ batchItemFailures: [] });
    });
    expect(await getMedia(item.mediaId)).toMatchObject({ status: "ready", width: 500, height: 400 });
    expect(await outboxOf(item.mediaId)).toHaveLength(1);
    // Processed once, counted once: the duplicates found the item final and emitted nothing.
    expect(sumOf(samples, "MediaReady")).toBe(1);
    expect(sumOf(samples, "MediaFailed")).toBe(0);
  });

  it("an unknown media id is dropped, not retried", async () => {
    const mediaId = `ghost${Date.now()}`;
    const body = JSON.stringify({
      id: randomUUID(),
      type: UploadReceived.type,
      version: UploadReceived.version,
      time: new Date().toISOString(),
      producer: "media",
      correlationId: "c-1",
      data: { mediaId, bucket, key: objectKeys(mediaId).original, size: 10, receivedAt: new Date().toISOString() },
    });
    expect(await run(sqsEvent([{ MessageId: randomUUID(), Body: body }], queue.arn!))).toEqual({
      batchItemFailures: [],
    });
  });

  it("a transient S3 error is retried, and on the last receive the item is marked failed", async () => {
    const { item, event } = await upload(await makeImage("png", 100, 100), "image/png");
    const broken = new S3Client({ ...emulators.clientConfig("s3"), endpoint: "http://127.0.0.1:9", maxAttempts: 1 });
    useAwsClients({ s3: broken });
    try {
      const record = event.Records.find((r) => r.body.includes(objectKeys(item.mediaId).original))!;
      const attempt = (count: number) =>
        run({ Records: [{ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: String(count) } }] });
      for (let count = 1; count < WORKER_MAX_RECEIVE_COUNT; count++) {
        expect(await attempt(count)).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
        expect((await getMedia(item.mediaId))?.status).toBe("pending");
      }
      expect(await attempt(WORKER_MAX_RECEIVE_COUNT)).toEqual({ batchItemFailures: [] });
      expect(await getMedia(item.mediaId)).toMatchObject({ status: "failed", failureReason: "could not be processed" });
      expect(await outboxOf(item.mediaId)).toHaveLength(1);
    } finally {
      useAwsClients({ s3 });
      broken.destroy();
    }
  });
});
