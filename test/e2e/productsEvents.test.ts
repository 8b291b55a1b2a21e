import { randomUUID } from "node:crypto";
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MediaProcessed } from "../../events/media.js";
import { ProductCreated, ProductDeleted, ProductUpdated, ProductViewed } from "../../events/products.js";
import type { Product } from "../../services/products/api.js";
import { resetAwsClients } from "../../shared/aws/index.js";
import { linkEnv, resetResourceCache } from "../../shared/config.js";
import type { PayloadInput } from "../../shared/events/defineEvent.js";
import { type Envelope, envelopeSchema } from "../../shared/events/envelope.js";
import { logger } from "../../shared/logging/index.js";
import { publish } from "../../shared/publish/index.js";
import { type DevServer, startDev } from "../support/devServer.js";
import {
  type Account,
  eventually,
  ISO_TIME,
  newProduct,
  type Popular,
  productsClient,
  type Reply,
  sleep,
  slow,
  uid,
} from "../support/productsClient.js";
import { createQueue } from "../support/transportWiring.js";
import {
  linksSeenBothWays,
  outline,
  type TraceDocument,
  traceEntries,
  type XrayReader,
  xrayReader,
} from "../support/xray.js";

/**
 * The products service's asynchronous side through a real `npm run dev`: product images from processed media (SNS),
 * the click-stream counted into `popular` exactly once however often a record is delivered (Kinesis), and the
 * product events it publishes, captured from the local EventBridge bus.
 */

let dev: DevServer;
let sqs: SQSClient;
let bus: EventBridgeClient;
let kinesis: KinesisClient;
let xray: XrayReader;
const savedEnv = { ...process.env };
logger.setLogLevel("SILENT");

beforeAll(async () => {
  dev = await startDev();
  sqs = new SQSClient(dev.clientConfig("sqs"));
  bus = new EventBridgeClient(dev.clientConfig("eventbridge"));
  kinesis = new KinesisClient({ ...dev.clientConfig("kinesis"), requestHandler: new NodeHttpHandler() });
  xray = xrayReader(dev.clientConfig("xray"));
  // `publish()` here is the media service's own: it finds the emulators and the topic in the environment.
  Object.assign(process.env, dev.env, linkEnv("MediaMediaProcessedTopic", dev.resources.MediaMediaProcessedTopic!));
  resetAwsClients();
  resetResourceCache();
}, 90_000);

afterAll(async () => {
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
  resetAwsClients();
  resetResourceCache();
  for (const client of [sqs, bus, kinesis, xray?.client]) client?.destroy();
  await dev?.stop();
}, 30_000);

const { call, expectOk, expectProblem, signUp, create, createProduct, get, popular } = productsClient(() => dev);

// ---- 1. images from processed media ----------------------------------------------------------------------------

function media(ownerId: string, status: "ready" | "failed"): PayloadInput<typeof MediaProcessed> {
  const mediaId = uid("m");
  return {
    mediaId,
    ownerId,
    purpose: "product",
    status,
    contentType: "image/png",
    processedAt: new Date().toISOString(),
    ...(status === "ready"
      ? {
          width: 1024,
          height: 768,
          url: `https://cdn.example.com/media/${mediaId}/full.png`,
          thumbnailUrl: `https://cdn.example.com/media/${mediaId}/thumb.png`,
        }
      : { failureReason: "not an image" }),
  };
}

const imageOf = (item: PayloadInput<typeof MediaProcessed>) => ({
  mediaId: item.mediaId,
  url: item.url,
  thumbnailUrl: item.thumbnailUrl,
});

/** Creates until the answer is not a 403 (what an image gets until the media consumer has recorded the item). */
const createWhenRecorded = (seller: Account, imageMediaIds: string[]) =>
  eventually(
    () => call<Product>("POST", "/products", { token: seller.token, json: newProduct(uid("cat"), { imageMediaIds }) }),
    (reply) => reply.status !== 403,
    20_000,
    250,
  );

describe("MediaProcessed over SNS: product images", () => {
  test(
    "the seller's own ready media become the product's images; another's, a failed or an unknown one are 403",
    slow,
    async () => {
      const [seller, other] = await Promise.all([signUp("Seller"), signUp("Other")]);
      const failed = media(seller.userId, "failed");
      const ready = media(seller.userId, "ready");
      const second = media(seller.userId, "ready");
      const others = media(other.userId, "ready");
      for (const item of [failed, ready, second, others]) await publish(MediaProcessed, item);

      const created = await createWhenRecorded(seller, [ready.mediaId]);
      const product = expectOk(created, 201);
      expect(product.images).toEqual([imageOf(ready)]);
      expect(expectOk(await get(product.productId))).toEqual(product);

      // Recorded as the other user's (they can use it), and so refused to the seller.
      expectOk(await createWhenRecorded(other, [others.mediaId]), 201);
      for (const imageMediaIds of [[others.mediaId], [ready.mediaId, others.mediaId], [failed.mediaId], [uid("m")]]) {
        const reply = await call("POST", "/products", {
          token: seller.token,
          json: newProduct(uid("cat"), { imageMediaIds }),
        });
        expectProblem(reply, "forbidden");
      }
      expectProblem(
        await call("POST", "/products", {
          token: other.token,
          json: newProduct(uid("cat"), { imageMediaIds: [ready.mediaId] }),
        }),
        "forbidden",
      );

      // PATCH: the same rule; refused, nothing changes; two own images in order; none.
      const path = `/products/${product.productId}`;
      expectProblem(
        await call("PATCH", path, { token: seller.token, json: { imageMediaIds: [others.mediaId], name: "Stolen" } }),
        "forbidden",
      );
      expect(expectOk(await call("GET", path, { token: seller.token }))).toEqual(product);
      const recorded = await eventually(
        () =>
          call<Product>("PATCH", path, {
            token: seller.token,
            json: { imageMediaIds: [second.mediaId, ready.mediaId] },
          }),
        (reply) => reply.status !== 403,
        20_000,
        250,
      );
      const twoImages = expectOk(recorded);
      expect(twoImages).toEqual({
        ...product,
        images: [imageOf(second), imageOf(ready)],
        updatedAt: expect.stringMatching(ISO_TIME),
      });
      const none = expectOk(await call<Product>("PATCH", path, { token: seller.token, json: { imageMediaIds: [] } }));
      expect(none).toEqual({ ...twoImages, images: [], updatedAt: expect.stringMatching(ISO_TIME) });
    },
  );
});

// ---- 2. the click-stream ---------------------------------------------------------------------------------------

interface StreamRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly envelope: Envelope<string, { productId: string }>;
}

/** Every record on the view stream so far, from the start of each shard. */
async function streamRecords(): Promise<StreamRecord[]> {
  const StreamName = dev.resources.ProductsProductViewedStream!.name!;
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName }));
  const records: StreamRecord[] = [];
  for (const shard of Shards) {
    let { ShardIterator: iterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId!, ShardIteratorType: "TRIM_HORIZON" }),
    );
    for (let round = 0; iterator && round < 100; round++) {
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of out.Records ?? []) {
        const data = record.Data!;
        records.push({
          partitionKey: record.PartitionKey!,
          data,
          envelope: JSON.parse(Buffer.from(data).toString("utf8")) as StreamRecord["envelope"],
        });
      }
      if ((out.Records ?? []).length === 0 || out.MillisBehindLatest === 0) break;
      iterator = out.NextShardIterator;
    }
  }
  return records;
}

/** Puts `records` on the view stream again, byte for byte, with their own partition keys. */
async function putAgain(records: readonly StreamRecord[]): Promise<void> {
  const out = await kinesis.send(
    new PutRecordsCommand({
      StreamName: dev.resources.ProductsProductViewedStream!.name!,
      Records: records.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
    }),
  );
  expect(out.FailedRecordCount ?? 0).toBe(0);
}

const viewsOf = (answer: Popular, productId: string) =>
  answer.items.find((item) => item.product.productId === productId)?.views;

async function view(productId: string): Promise<void> {
  const reply = await call("POST", `/products/${productId}/views`);
  expect(reply.status, reply.text).toBe(202);
}

/** Polls `popular` until the product's count reaches at least `atLeast`; returns the count then. */
async function viewsReach(productId: string, atLeast: number): Promise<number | undefined> {
  const answer = await eventually(
    () => popular(),
    (a) => (viewsOf(a, productId) ?? 0) >= atLeast,
    45_000,
    500,
  );
  return viewsOf(answer, productId);
}

/** Long enough for the stream consumer's batch window (1 s), its poller and the read caches (5 s) to pass. */
const SETTLE_MS = 7_000;

describe("ProductViewed over Kinesis: views", () => {
  test("N accepted views are counted exactly N times, however often their records are delivered", {
    timeout: 180_000,
  }, async () => {
    const seller = await signUp("Seller");
    const product = await createProduct(seller, newProduct(uid("cat")));
    const runnerUp = await createProduct(seller, newProduct(uid("cat")));
    const N = 5;
    for (let i = 0; i < N; i++) await view(product.productId);
    for (let i = 0; i < 2; i++) await view(runnerUp.productId);

    // The very records the API put on the stream: N of them, one event id each.
    const mine = (records: readonly StreamRecord[]) =>
      records.filter((r) => r.envelope.type === ProductViewed.type && r.envelope.data?.productId === product.productId);
    const originals = mine(await eventually(streamRecords, (records) => mine(records).length >= N, 10_000, 500));
    expect(originals).toHaveLength(N);
    expect(new Set(originals.map((r) => r.envelope.id)).size).toBe(N);
    for (const record of originals) {
      expect(record.partitionKey).toBe(product.productId);
      expect(v.parse(ProductViewed.schema, record.envelope.data)).toEqual({
        productId: product.productId,
        viewerId: null,
        viewedAt: expect.stringMatching(ISO_TIME),
      });
    }

    // Every record delivered twice more in one go (duplicates inside one batch), then one more real view behind them
    // on the same shard: once it is counted, every duplicate ahead of it has been processed.
    await putAgain([...originals, ...originals]);
    await view(product.productId);
    const first = await viewsReach(product.productId, N + 1);
    console.log(`[views] after ${N} views, 2×${N} duplicate deliveries and 1 more view: ${first}`);
    expect(first).toBe(N + 1);

    // Redelivered once more, long after they were counted (duplicates across batches), and another sentinel.
    await putAgain(originals);
    await view(product.productId);
    expect(await viewsReach(product.productId, N + 2)).toBe(N + 2);
    await sleep(SETTLE_MS);
    const settled = await popular();
    console.log(
      `[views] after a third delivery of every record and 1 more view, settled: ${viewsOf(settled, product.productId)}`,
    );
    expect(viewsOf(settled, product.productId)).toBe(N + 2);
    expect(viewsOf(settled, runnerUp.productId)).toBe(2);

    // Most viewed first, each with the product as GET shows it.
    const views = settled.items.map((item) => item.views);
    expect(views).toEqual([...views].sort((a, b) => b - a));
    const at = (id: string) => settled.items.findIndex((item) => item.product.productId === id);
    expect(at(product.productId)).toBeLessThan(at(runnerUp.productId));
    expect(settled.items[at(product.productId)]).toEqual({ product, views: N + 2 });
    expect(settled.items[at(runnerUp.productId)]).toEqual({ product: runnerUp, views: 2 });
    expect((await popular(1)).items).toHaveLength(1);
  });

  test("a deleted product leaves popular", slow, async () => {
    const seller = await signUp("Seller");
    const product = await createProduct(seller, newProduct(uid("cat")));
    for (let i = 0; i < 3; i++) await view(product.productId);
    expect(await viewsReach(product.productId, 3)).toBe(3);

    const reply = await call("DELETE", `/products/${product.productId}`, { token: seller.token });
    expect(reply.status, reply.text).toBe(204);
    // A view straight after the delete may still be accepted (the read path's staleness bound); it must not bring the
    // product back.
    const late = await call("POST", `/products/${product.productId}/views`);
    expect([202, 404], late.text).toContain(late.status);
    const after = await eventually(
      () => popular(),
      (a) => viewsOf(a, product.productId) === undefined,
      20_000,
      500,
    );
    expect(after.items.map((item) => item.product.productId)).not.toContain(product.productId);
    // And it stays out: views are refused once the delete is visible, and nothing brings it back.
    const refused = await eventually(
      () => call("POST", `/products/${product.productId}/views`),
      (r) => r.status === 404,
      10_000,
      250,
    );
    expectProblem(refused, "not-found");
    await sleep(SETTLE_MS);
    expect((await popular()).items.map((item) => item.product.productId)).not.toContain(product.productId);
  });

  test("a view repeated with the same idempotency-key gets the first answer and is counted once", slow, async () => {
    const seller = await signUp("Seller");
    const product = await createProduct(seller, newProduct(uid("cat")));
    const key = randomUUID();
    const first = await call("POST", `/products/${product.productId}/views`, { headers: { "idempotency-key": key } });
    const again = await call("POST", `/products/${product.productId}/views`, { headers: { "idempotency-key": key } });
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.text).toBe(first.text);
    // A sentinel behind them on the same shard: once it is counted, so is everything before it.
    await view(product.productId);
    await sleep(SETTLE_MS);
    expect(await viewsReach(product.productId, 2)).toBe(2);
  });

  test(
    "every view's trace shows the consumer that counted it: in the same trace or through a link (via Kinesis)",
    slow,
    async () => {
      const seller = await signUp("Seller");
      const product = await createProduct(seller, newProduct(uid("cat")));
      const replies = [];
      for (let i = 0; i < 3; i++) {
        const reply = await call("POST", `/products/${product.productId}/views`);
        expect(reply.status, reply.text).toBe(202);
        replies.push(reply);
      }
      expect(await viewsReach(product.productId, 3)).toBe(3);

      const consumer = "ProductsProductViewed";
      const hasConsumer = (documents: TraceDocument[]) =>
        traceEntries(documents).some((e) => e.kind === "segment" && e.name === consumer && !e.inProgress);
      for (const [i, reply] of replies.entries()) {
        const reached = async () => {
          const documents = await xray.traceDocuments(reply.traceId);
          const linked = await xray.linkedFrom(reply.traceId);
          const counted = linked.find((t) => hasConsumer(t.documents));
          return { documents, linked, counted, found: hasConsumer(documents) || counted !== undefined };
        };
        const { documents, linked, counted, found } = await eventually(reached, (r) => r.found, 15_000, 300);
        expect(
          found,
          `view ${i + 1}: no ${consumer} in trace ${reply.traceId} nor through a link; linked ${linked.map((t) => t.traceId).join(", ")}; entries:\n${outline(traceEntries(documents))}`,
        ).toBe(true);
        // Kinesis carries no trace: the consumer's trace links to the view's publish, and says so in its documents.
        if (!hasConsumer(documents))
          expect(counted?.links).toContainEqual({
            trace_id: reply.traceId,
            id: expect.any(String),
            attributes: { "messaging.system": "kinesis" },
          });
        if (counted) {
          const publish = traceEntries(documents).find((e) => e.id === counted.links[0]?.id);
          expect(publish, `the link names no (sub)segment of ${reply.traceId}`).toBeDefined();
        }
        // `/_dev/traces/{traceId}` names the same links, both ways, as the X-Ray documents hold.
        const seen = await linksSeenBothWays(xray, dev.url, reply.traceId);
        expect(seen.dev).toEqual(seen.documents);
      }
    },
  );
});

// ---- 3. what the products service publishes ----------------------------------------------------------------------

interface BusEvent {
  readonly source: string;
  readonly "detail-type": string;
  readonly detail: Envelope<string, { productId: string } & Record<string, unknown>>;
}

/** Everything received from a queue so far (each message deleted once read); `until` long-polls for more. */
function mailbox(queueUrl: string) {
  const received: Message[] = [];
  const poll = async () => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length > 0) {
      received.push(...Messages);
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    return received;
  };
  return {
    until: (done: (messages: readonly Message[]) => boolean, timeoutMs?: number) => eventually(poll, done, timeoutMs),
  };
}

describe("the products service's own events, captured from the bus", () => {
  let captured: ReturnType<typeof mailbox>;

  beforeAll(async () => {
    const queue = await createQueue(sqs, "products-events");
    const rule = uid("products-events");
    const busName = dev.resources.Bus!.name!;
    await bus.send(
      new PutRuleCommand({
        Name: rule,
        EventBusName: busName,
        EventPattern: JSON.stringify({ source: ["summit.products"] }),
      }),
    );
    const out = await bus.send(
      new PutTargetsCommand({ Rule: rule, EventBusName: busName, Targets: [{ Id: "capture", Arn: queue.arn }] }),
    );
    expect(out.FailedEntryCount ?? 0).toBe(0);
    captured = mailbox(queue.url);
    await live();
  }, 60_000);

  /** The envelope frame of an event published while serving `reply`: its correlation id and its trace. */
  function expectEnvelope(event: BusEvent, reply: Reply<unknown>) {
    const envelope = v.parse(envelopeSchema, event.detail);
    expect(event.source).toBe("summit.products");
    expect(event["detail-type"]).toBe(envelope.type);
    expect(envelope).toMatchObject({ version: 1, producer: "products", correlationId: reply.correlationId });
    expect(envelope.traceHeader).toMatch(new RegExp(`(^|;)Root=${reply.traceId}(;|$)`));
  }

  const eventsOf = (messages: readonly Message[], productId: string) =>
    messages.map((m) => JSON.parse(m.Body!) as BusEvent).filter((event) => event.detail.data?.productId === productId);

  /** One product's life through the API, each request with its own correlation id: create, two PATCHes, delete. */
  let life: {
    seller: Account;
    input: ReturnType<typeof newProduct>;
    product: Product;
    created: Reply<Product>;
    renamed: Reply<Product>;
    described: Reply<Product>;
    deleted: Reply<unknown>;
  };
  async function live() {
    const correlation = (step: string) => ({ "x-correlation-id": `${step}-${randomUUID()}` });
    const seller = await signUp("Seller");
    const input = newProduct(uid("cat"), { priceCents: 1500 });
    const { reply: created, product } = await create(seller.token, input, correlation("create"));
    const path = `/products/${product.productId}`;
    const patch = (json: unknown, step: string) =>
      call<Product>("PATCH", path, { token: seller.token, json, headers: correlation(step) });
    const renamed = await patch({ name: "Renamed", priceCents: 1700 }, "rename");
    // priceCents is sent as it is: only the description moves.
    const described = await patch({ description: "Now described", priceCents: 1700 }, "describe");
    const deleted = await call("DELETE", path, { token: seller.token, headers: correlation("delete") });
    expectOk(renamed);
    expectOk(described);
    expect(deleted.status, deleted.text).toBe(204);
    life = { seller, input, product, created, renamed, described, deleted };
  }

  test(
    "ProductCreated, ProductUpdated naming exactly what changed, ProductDeleted: once each, valid against their contracts, with the request's correlation id and trace",
    slow,
    async () => {
      const { seller, input, product, created, renamed, described, deleted } = life;
      const ofType = (messages: readonly Message[], type: string) =>
        eventsOf(messages, product.productId).filter((e) => e.detail.type === type);
      await captured.until(
        (messages) =>
          ofType(messages, ProductDeleted.type).length >= 1 && ofType(messages, ProductUpdated.type).length >= 2,
        30_000,
      );
      const all = await captured.until(() => false, 2_000); // a short drain catches any duplicate
      const events = eventsOf(all, product.productId);
      console.log(`[events] captured for one product: ${events.map((e) => e.detail.type).join(", ")}`);

      const createdEvents = ofType(all, ProductCreated.type);
      expect(createdEvents).toHaveLength(1);
      expectEnvelope(createdEvents[0]!, created);
      expect(v.parse(ProductCreated.schema, createdEvents[0]!.detail.data)).toEqual({
        productId: product.productId,
        sellerId: seller.userId,
        name: input.name,
        priceCents: 1500,
        currency: input.currency,
        category: input.category,
        createdAt: product.createdAt,
      });

      const updates = ofType(all, ProductUpdated.type).sort((a, b) => a.detail.time.localeCompare(b.detail.time));
      expect(updates).toHaveLength(2);
      [
        { reply: renamed, changed: ["name", "priceCents"] },
        { reply: described, changed: ["description"] },
      ].forEach(({ reply, changed }, i) => {
        const event = updates[i]!;
        expectEnvelope(event, reply);
        const data = v.parse(ProductUpdated.schema, event.detail.data);
        expect({ ...data, changed: [...data.changed].sort() }).toEqual({
          productId: product.productId,
          sellerId: seller.userId,
          name: reply.body.name,
          priceCents: reply.body.priceCents,
          currency: reply.body.currency,
          category: reply.body.category,
          changed: [...changed].sort(),
          updatedAt: reply.body.updatedAt,
        });
      });

      const deletedEvents = ofType(all, ProductDeleted.type);
      expect(deletedEvents).toHaveLength(1);
      expectEnvelope(deletedEvents[0]!, deleted);
      const gone = v.parse(ProductDeleted.schema, deletedEvents[0]!.detail.data);
      expect(gone).toEqual({
        productId: product.productId,
        sellerId: seller.userId,
        category: input.category,
        deletedAt: expect.stringMatching(ISO_TIME),
      });
      expect(Date.parse(gone.deletedAt)).toBeGreaterThanOrEqual(Date.parse(described.body.updatedAt));
      expect(events).toHaveLength(4);
    },
  );

  test(
    "each of those requests' traces holds the publish of its event: in the same trace, or through a link where one publisher batch mixed several requests",
    slow,
    async () => {
      const { created, renamed, described, deleted } = life;
      // The outbox publisher's invocation is a trace of its own (the table's stream starts one) that links to each
      // request; each event is published in a segment of its request's trace (api-contract.md, "Tracing across hops").
      const publishes = (documents: TraceDocument[]) =>
        traceEntries(documents).filter((e) => e.namespace === "aws" && e.operation === "PutEvents" && !e.inProgress);
      for (const [step, reply] of Object.entries({ created, renamed, described, deleted })) {
        const reached = async () => {
          const documents = await xray.traceDocuments(reply.traceId);
          const linked = await xray.linkedFrom(reply.traceId);
          return { documents, linked, puts: [documents, ...linked.map((t) => t.documents)].flatMap(publishes) };
        };
        const { documents, linked, puts } = await eventually(reached, (r) => r.puts.length > 0, 15_000, 300);
        expect(
          puts.length,
          `${step}: no PutEvents in trace ${reply.traceId} nor in a trace that links to it; linked ${linked.map((t) => t.traceId).join(", ")}; entries:\n${outline(traceEntries(documents))}`,
        ).toBeGreaterThanOrEqual(1);
        for (const put of puts) expect(put).toMatchObject({ error: false, fault: false });
        // Every trace that links here does so from the table's stream (the publisher) or a stream consumer.
        for (const trace of linked)
          for (const link of trace.links)
            expect(["dynamodb-streams", "kinesis"]).toContain(link.attributes["messaging.system"]);
      }
    },
  );
});
