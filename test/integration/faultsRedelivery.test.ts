import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KinesisClient, PutRecordCommand } from "@aws-sdk/client-kinesis";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DeleteMessageCommand, type Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PostCreated, ThreadCreated } from "../../events/forums.js";
import { MediaProcessed } from "../../events/media.js";
import { ProductViewed } from "../../events/products.js";
import { UserProfileUpdated, UserRegistered } from "../../events/users.js";
import { eventBridgeEvent, kinesisEvent, snsEvent, sqsEvent } from "../../local/lambdaEvents.js";
import type { Resources } from "../../local/runtime/provision.js";
import { createForum } from "../../services/forums/store/forums.js";
import { keys as forumKeys } from "../../services/forums/store/keys.js";
import { createThread } from "../../services/forums/store/threads.js";
import { services } from "../../services/index.js";
import { createPending, objectKeys, getMedia as workerItem } from "../../services/media/store/index.js";
import { createProduct } from "../../services/products/store/catalog.js";
import { keys as productKeys } from "../../services/products/store/keys.js";
import { keys as userKeys } from "../../services/users/store.js";
import { resetAwsClients, useAwsClients } from "../../shared/aws/index.js";
import type { Envelope } from "../../shared/events/envelope.js";
import { logger } from "../../shared/logging/index.js";
import {
  buildTopology,
  handlerExport,
  handlerFile,
  type SubscriptionNode,
  type Trigger,
} from "../../shared/topology/index.js";
import { makeImage } from "../fixtures/images/make.js";
import { lambdaContext } from "../support/apiEvents.js";
import { useEmulators } from "../support/emulators.js";
import { useLinks } from "../support/links.js";
import { provisioned } from "../support/provisioned.js";
import { batchesOf, seededRandom, shuffled, twiceOutOfOrder } from "../support/redelivery.js";
import { type StreamReader, streamReader } from "../support/streams.js";

/**
 * Every consumer of the real topology fed every event twice and out of order across keys, over the wire: the four
 * services provisioned on the shared emulators, each subscription's handler loaded from its topology reference, the
 * events built from their contracts and delivered as the subscription's transport delivers them (a rule's or a
 * topic's one event per invocation, a queue's batches, a stream's per-shard batches in key order), every delivery
 * twice. Each counter and effect is then read from DynamoDB Local and compared with its ground truth, and the
 * consumer's DLQ must be empty. A subscription with no case here fails the suite.
 *
 * Reproduce a run with `REDELIVERY_SEED=<seed> npx vitest run test/integration/faultsRedelivery.test.ts`.
 */
const emulators = useEmulators();
const prefix = `redeliver-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const seed = Number(process.env.REDELIVERY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = seededRandom(seed);
const topology = buildTopology(services);
const link = useLinks();

const s3 = new S3Client({ ...emulators.clientConfig("s3"), forcePathStyle: true });
const sqs = new SQSClient(emulators.clientConfig("sqs"));
const kinesis = new KinesisClient(emulators.clientConfig("kinesis"));
const ddb = new DynamoDBClient(emulators.clientConfig("dynamodb"));
const doc = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
let resources: Resources = {};
const readers = new Map<string, StreamReader>();

for (const level of ["info", "warn", "error"] as const) vi.spyOn(logger, level).mockImplementation(() => {});

beforeAll(async () => {
  resources = await provisioned(emulators, services, prefix);
  const bucket = resources.MediaBucket;
  if (!bucket) throw new Error(`provisioned only ${Object.keys(resources).join(", ")}`);
  link({
    ...resources,
    MediaBucket: { ...bucket, cdnUrl: bucket.cdnUrl ?? `${emulators.endpoints.s3}/${bucket.name}` },
  });
  useAwsClients({ s3, sqs, kinesis, dynamo: doc });
  for (const stream of topology.streams)
    readers.set(stream.name, await streamReader(kinesis, resourceOf(stream.name).name!));
});

afterAll(() => {
  resetAwsClients();
  s3.destroy();
  sqs.destroy();
  kinesis.destroy();
  ddb.destroy();
});

function resourceOf(name: string) {
  const resource = resources[name];
  if (!resource) throw new Error(`no resource ${name} provisioned`);
  return resource;
}

// ---------------------------------------------------------------------------------------------------------------

type ConsumerHandler = (event: unknown, context: Context) => Promise<unknown>;

/** The subscription's handler, loaded from the reference the topology holds for its function. */
async function handlerOf(subscription: SubscriptionNode): Promise<ConsumerHandler> {
  const ref = topology.functions.find((f) => f.name === subscription.function)!.handler;
  const file = new URL(`../../${handlerFile(ref)}.ts`, import.meta.url).href;
  const module = (await import(/* @vite-ignore */ file)) as Record<string, ConsumerHandler>;
  const handler = module[handlerExport(ref)];
  if (typeof handler !== "function") throw new Error(`${ref} exports no handler`);
  return handler;
}

/** What one case delivers: a body as the transport carries it, and the key the transport may order it by. */
interface Delivery {
  readonly key: string;
  readonly body: string;
}

interface Case {
  /** Creates what the events refer to and returns the events, each once, in the order they happened. */
  events(): Promise<Delivery[]>;
  /** Asserts every counter and effect against its ground truth. */
  verify(): Promise<void>;
}

function envelope<P>(contract: { type: string }, data: P, producer: string): Envelope<string, P> {
  return {
    id: randomUUID(),
    type: contract.type,
    version: 1,
    time: new Date().toISOString(),
    producer,
    correlationId: `c-${randomUUID()}`,
    data,
  };
}

const event = (key: string, body: Envelope): Delivery => ({ key, body: JSON.stringify(body) });
const newId = () => randomUUID().replaceAll("-", "").slice(0, 20);
const at = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();

async function itemAt(table: string, key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
  const out = await doc.send(new GetCommand({ TableName: resourceOf(table).name!, Key: key, ConsistentRead: true }));
  return out.Item;
}

/** Delivers `deliveries` to `handler` as the subscription's trigger invokes it, every one twice, out of order. */
async function deliverTwice(
  subscription: SubscriptionNode,
  handler: ConsumerHandler,
  deliveries: readonly Delivery[],
): Promise<number> {
  const trigger: Trigger = subscription.trigger;
  const ordered = trigger.kind === "kinesis";
  const twice = twiceOutOfOrder(deliveries, (d) => d.key, random, ordered);
  const context = lambdaContext();
  if (trigger.kind === "kinesis") return deliverOnStream(trigger, handler, twice);
  if (trigger.kind === "sqs") {
    const receives = new Map<string, number>();
    const messages = twice.map((d): Message => {
      const count = (receives.get(d.key) ?? 0) + 1;
      receives.set(d.key, count);
      return {
        MessageId: d.key,
        ReceiptHandle: randomUUID(),
        Body: d.body,
        Attributes: { ApproximateReceiveCount: String(count), SentTimestamp: String(Date.now()) },
      };
    });
    for (const batch of batchesOf(messages, Math.min(trigger.batchSize, 4)))
      expect(await handler(sqsEvent(batch, resourceOf(trigger.queue).arn!), context)).toEqual({
        batchItemFailures: [],
      });
    return messages.length;
  }
  for (const delivery of twice) {
    if (subscription.delivery.kind === "topic") {
      const notification = {
        MessageId: randomUUID(),
        TopicArn: resourceOf(subscription.delivery.topic).arn!,
        Message: delivery.body,
        Timestamp: new Date().toISOString(),
      };
      await handler(snsEvent(notification, `${notification.TopicArn}:${randomUUID()}`), context);
    } else {
      const detail = JSON.parse(delivery.body) as Envelope;
      const entry = { Source: `summit.${detail.producer}`, DetailType: detail.type, Detail: delivery.body };
      await handler(
        eventBridgeEvent(entry, { id: randomUUID(), account: "000000000000", region: "us-east-1" }),
        context,
      );
    }
  }
  return twice.length;
}

/**
 * Puts the deliveries on the stream in their order (copies included: a producer's retried puts), reads each shard
 * back and delivers it in small batches, shards interleaved at random, every batch twice (a retry after a crash
 * that came after the writes).
 */
async function deliverOnStream(
  trigger: Extract<Trigger, { kind: "kinesis" }>,
  handler: ConsumerHandler,
  twice: readonly Delivery[],
): Promise<number> {
  const stream = resourceOf(trigger.stream);
  for (const delivery of twice)
    await kinesis.send(
      new PutRecordCommand({ StreamName: stream.name!, PartitionKey: delivery.key, Data: Buffer.from(delivery.body) }),
    );
  const read = await readers.get(trigger.stream)!.readNew();
  const pending = [...read].map(([shardId, records]) => ({ shardId, batches: batchesOf(records, 5) }));
  let invocations = 0;
  for (;;) {
    const open = pending.filter((p) => p.batches.length > 0);
    if (open.length === 0) return invocations;
    const shard = shuffled(open, random)[0]!;
    const batch = shard.batches.shift()!;
    for (let time = 0; time < 2; time++) {
      const response = await handler(kinesisEvent(batch, stream.arn!, shard.shardId), lambdaContext());
      expect(response).toEqual({ batchItemFailures: [] });
      invocations++;
    }
  }
}

/** The messages on the consumer's DLQ now (none is expected: nothing was poison, nothing was given up on). */
async function dlqDepth(subscription: SubscriptionNode): Promise<number> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: resourceOf(subscription.failureDestination).url as string,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
    }),
  );
  return Messages.length;
}

// ---------------------------------------------------------------------------------------------------------------
// The ground truths, one case per subscription name.

/** Distinct authors' threads or posts, each author with a known number. */
function authorTally(kind: "thread" | "post"): Case {
  const authors = Array.from({ length: 6 }, (_, i) => ({ id: `u${newId()}`, count: i + 1 }));
  return {
    async events() {
      const forumId = `f${newId()}`;
      return authors.flatMap(({ id, count }) =>
        Array.from({ length: count }, (_, n) => {
          const threadId = kind === "thread" ? `t${newId()}` : `t${id.slice(1, 8)}${n % 2}`;
          const data = { threadId, forumId, authorId: id, createdAt: at(n) };
          if (kind === "thread") return event(threadId, envelope(ThreadCreated, { ...data, title: "T" }, "forums"));
          return event(threadId, envelope(PostCreated, { ...data, postId: `p${newId()}` }, "forums"));
        }),
      );
    },
    async verify() {
      for (const { id, count } of authors) {
        const stats = await itemAt("UsersTable", userKeys.stats(id));
        expect({ id, count: stats?.[kind === "thread" ? "threads" : "posts"] }).toEqual({ id, count });
      }
    },
  };
}

/** Several media items, each processed more than once (ready, then failed later): the newest event wins. */
function mediaRecords(
  table: "UsersTable" | "ProductsTable",
  mediaKey: (id: string) => { pk: string; sk: string },
): Case {
  const items = Array.from({ length: 5 }, () => ({ mediaId: `m${newId()}`, ownerId: `u${newId()}` }));
  return {
    async events() {
      return items.flatMap(({ mediaId, ownerId }, i) =>
        (["ready", "failed", "ready"] as const).slice(0, 1 + (i % 3)).map((status, n) => {
          const base = { mediaId, ownerId, purpose: "avatar" as const, contentType: "image/png" as const };
          const url = `https://cdn.example.test/${mediaId}.png`;
          const data =
            status === "ready"
              ? { ...base, status, url, thumbnailUrl: url, width: 10, height: 10, processedAt: at(n) }
              : { ...base, status, failureReason: "corrupt", processedAt: at(n) };
          return event(mediaId, envelope(MediaProcessed, data, "media"));
        }),
      );
    },
    async verify() {
      for (const [i, { mediaId }] of items.entries()) {
        const newest = (["ready", "failed", "ready"] as const)[i % 3];
        expect(await itemAt(table, mediaKey(mediaId))).toMatchObject({
          mediaId,
          status: newest,
          processedAt: at(i % 3),
        });
      }
    },
  };
}

/** Threads of two forums: each forum's `threadCount` is its number of distinct threads. */
function forumThreads(): Case {
  const forums: { forumId: string; threads: number }[] = [];
  return {
    async events() {
      const deliveries: Delivery[] = [];
      for (const threads of [3, 5]) {
        const forum = await createForum("owner", { name: "F", description: null });
        forums.push({ forumId: forum.forumId, threads });
        for (let n = 0; n < threads; n++) {
          const thread = await createThread(forum.forumId, `u${newId()}`, { title: "T", body: "B" });
          const data = {
            threadId: thread.threadId,
            forumId: forum.forumId,
            authorId: thread.authorId,
            title: "T",
            createdAt: thread.createdAt,
          };
          deliveries.push(event(thread.threadId, envelope(ThreadCreated, data, "forums")));
        }
      }
      return deliveries;
    },
    async verify() {
      for (const { forumId, threads } of forums)
        expect({ forumId, threads: (await itemAt("ForumsTable", forumKeys.forum(forumId)))?.threadCount }).toEqual({
          forumId,
          threads,
        });
    },
  };
}

/** Posts over several threads of two forums by three authors: each forum's `postCount`, each author's posts. */
function forumPosts(): Case {
  const truth = { forums: new Map<string, number>(), authors: new Map<string, number>() };
  const authors = [`u${newId()}`, `u${newId()}`, `u${newId()}`];
  return {
    async events() {
      const deliveries: Delivery[] = [];
      for (const threads of [2, 3]) {
        const forum = await createForum("owner", { name: "F", description: null });
        for (let t = 0; t < threads; t++) {
          const thread = await createThread(forum.forumId, "owner", { title: "T", body: "B" });
          for (let n = 0; n < 4 + t; n++) {
            const authorId = authors[(n + t) % authors.length]!;
            truth.forums.set(forum.forumId, (truth.forums.get(forum.forumId) ?? 0) + 1);
            truth.authors.set(authorId, (truth.authors.get(authorId) ?? 0) + 1);
            const data = {
              postId: `p${newId()}`,
              threadId: thread.threadId,
              forumId: forum.forumId,
              authorId,
              createdAt: at(n),
            };
            deliveries.push(event(thread.threadId, envelope(PostCreated, data, "forums")));
          }
        }
      }
      return deliveries;
    },
    async verify() {
      for (const [forumId, posts] of truth.forums)
        expect({ forumId, posts: (await itemAt("ForumsTable", forumKeys.forum(forumId)))?.postCount }).toEqual({
          forumId,
          posts,
        });
      for (const [userId, posts] of truth.authors)
        expect({ userId, posts: (await itemAt("ForumsTable", forumKeys.authorPosts(userId)))?.posts }).toEqual({
          userId,
          posts,
        });
    },
  };
}

/** Names for several users (a registration, or renames at increasing times): the directory keeps the newest. */
function authorNames(kind: "registered" | "renamed"): Case {
  const users = Array.from({ length: 5 }, (_, i) => ({
    userId: `u${newId()}`,
    names: 1 + (kind === "renamed" ? i % 3 : 0),
  }));
  const nameOf = (userId: string, n: number) => `${kind} ${userId.slice(1, 6)} ${n}`;
  return {
    async events() {
      return users.flatMap(({ userId, names }) =>
        Array.from({ length: names }, (_, n) =>
          kind === "registered"
            ? event(
                userId,
                envelope(
                  UserRegistered,
                  { userId, email: `${userId}@example.test`, displayName: nameOf(userId, n), createdAt: at(n) },
                  "users",
                ),
              )
            : event(
                userId,
                envelope(
                  UserProfileUpdated,
                  { userId, displayName: nameOf(userId, n), avatar: null, changed: ["displayName"], updatedAt: at(n) },
                  "users",
                ),
              ),
        ),
      );
    },
    async verify() {
      for (const { userId, names } of users)
        expect((await itemAt("ForumsTable", forumKeys.author(userId)))?.displayName).toBe(nameOf(userId, names - 1));
    },
  };
}

/** Product views over products on every shard: each product's `views` is its number of distinct view events. */
function productViews(): Case {
  const truth = new Map<string, number>();
  return {
    async events() {
      const deliveries: Delivery[] = [];
      for (let p = 0; p < 6; p++) {
        const product = await createProduct(
          "seller-1",
          { name: "P", description: null, priceCents: 100, currency: "EUR", category: "books" },
          [],
        );
        truth.set(product.productId, p + 1);
        for (let n = 0; n <= p; n++) {
          const data = { productId: product.productId, viewerId: n % 2 ? `u${newId()}` : null, viewedAt: at(n) };
          deliveries.push(event(product.productId, envelope(ProductViewed, data, "products")));
        }
      }
      return deliveries;
    },
    async verify() {
      for (const [productId, views] of truth)
        expect({ productId, views: (await itemAt("ProductsTable", productKeys.views(productId)))?.views }).toEqual({
          productId,
          views,
        });
    },
  };
}

/** Real uploads and the notifications S3 sent for them: each item ready once, with one MediaProcessed. */
function uploads(queueName: string): Case {
  const mediaIds: string[] = [];
  return {
    async events() {
      const bucket = resourceOf("MediaBucket").name!;
      const queueUrl = resourceOf(queueName).url as string;
      const originals = new Map<string, string>();
      for (let i = 0; i < 3; i++) {
        const bytes = await makeImage("png", 40 + i, 30);
        const item = await createPending({
          ownerId: `u${newId()}`,
          purpose: "product",
          contentType: "image/png",
          contentLength: bytes.length,
        });
        const key = objectKeys(item.mediaId).original;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: "image/png" }));
        mediaIds.push(item.mediaId);
        originals.set(key, item.mediaId);
      }
      const deliveries: Delivery[] = [];
      const deadline = Date.now() + 10_000;
      while (deliveries.length < originals.size && Date.now() < deadline) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const message of Messages) {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
          const key = [...originals.keys()].find((k) => (message.Body ?? "").includes(k));
          if (key) deliveries.push({ key: message.MessageId!, body: message.Body! });
        }
      }
      expect(deliveries).toHaveLength(originals.size);
      return deliveries;
    },
    async verify() {
      for (const mediaId of mediaIds) {
        expect(await workerItem(mediaId)).toMatchObject({ mediaId, status: "ready", width: expect.any(Number) });
        const { Items = [] } = await doc.send(
          new QueryCommand({
            TableName: resourceOf("MediaTable").name!,
            KeyConditionExpression: "pk = :pk",
            ExpressionAttributeValues: { ":pk": `OUTBOX#${mediaId}` },
            ConsistentRead: true,
          }),
        );
        expect(Items.map((item) => JSON.parse(String(item.envelope)).type)).toEqual([MediaProcessed.type]);
      }
    },
  };
}

/** Every subscription of the topology, by name, and the case that knows its ground truth. */
const cases: Record<string, (subscription: SubscriptionNode) => Case> = {
  UsersMediaProcessedMediaProcessed: () => mediaRecords("UsersTable", userKeys.media),
  UsersThreadCreatedThreadCreated: () => authorTally("thread"),
  UsersPostCreatedPostCreated: () => authorTally("post"),
  ProductsProductViewedProductViewed: () => productViews(),
  ProductsMediaProcessedMediaProcessed: () => mediaRecords("ProductsTable", productKeys.media),
  ForumsThreadCreatedThreadCreated: () => forumThreads(),
  ForumsPostCreatedPostCreated: () => forumPosts(),
  ForumsAuthorsUserRegistered: () => authorNames("registered"),
  ForumsAuthorsUserProfileUpdated: () => authorNames("renamed"),
  MediaWorkerUploadReceived: (subscription) =>
    uploads(subscription.trigger.kind === "sqs" ? subscription.trigger.queue : subscription.failureDestination),
};

// ---------------------------------------------------------------------------------------------------------------

describe("every consumer, every event twice and out of order across keys", () => {
  const matrix: string[] = [];
  afterAll(() => {
    if (matrix.length > 0) console.info(`redelivery (seed ${seed}):\n${matrix.join("\n")}`);
  });

  it("has a case for every subscription of the topology, and none for a subscription it lacks", () => {
    expect(Object.keys(cases).sort()).toEqual(topology.subscriptions.map((s) => s.name).sort());
  });

  for (const subscription of topology.subscriptions) {
    it(`${subscription.name} (${subscription.transport} → ${subscription.trigger.kind}): counters exact (seed ${seed})`, async () => {
      const make = cases[subscription.name];
      if (!make) throw new Error(`no redelivery case for ${subscription.name}: add one with its ground truth`);
      const fn = topology.functions.find((f) => f.name === subscription.function)!;
      link({ FailureQueue: resourceOf(fn.aliases.FailureQueue ?? subscription.failureDestination) });
      const handler = await handlerOf(subscription);
      const scenario = make(subscription);
      const events = await scenario.events();
      const invocations = await deliverTwice(subscription, handler, events);
      await scenario.verify();
      expect(await dlqDepth(subscription)).toBe(0);
      matrix.push(
        `  ${subscription.name.padEnd(40)} ${subscription.transport.padEnd(11)} ${String(events.length).padStart(3)} events ×2, ${invocations} invocations: exact, DLQ empty`,
      );
    });
  }
});
