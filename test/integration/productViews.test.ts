import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KinesisClient, type _Record as KinesisRecord, PutRecordCommand } from "@aws-sdk/client-kinesis";
import { PurgeQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyResult, KinesisStreamBatchResponse } from "aws-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ProductViewed } from "../../events/products.js";
import { kinesisEvent } from "../../local/lambdaEvents.js";
import { handler as countViews } from "../../services/products/consumers/views.js";
import { handler as popular } from "../../services/products/routes/popularProducts.js";
import { handler as recordView } from "../../services/products/routes/recordView.js";
import products from "../../services/products/service.js";
import { deleteProduct, readProduct } from "../../services/products/store/catalog.js";
import { keys, shardOf, timeKey } from "../../services/products/store/keys.js";
import { PRODUCTS_PER_CHUNK } from "../../services/products/store/popularity.js";
import { resetAwsClients, useAwsClients } from "../../shared/aws/index.js";
import { logger } from "../../shared/logging/index.js";
import { apiEvent, lambdaContext } from "../support/apiEvents.js";
import { emfWrittenBy, sumOf } from "../support/emf.js";
import { useEmulators } from "../support/emulators.js";
import { useLinks } from "../support/links.js";
import { provisioned } from "../support/provisioned.js";
import { interceptCommand, type StreamReader, streamReader } from "../support/streams.js";

/**
 * The click-stream end to end on the emulators: `POST /products/{id}/views` puts records on the real stream
 * (kinesalite, the shards the local runtime gives it), the records are read back per shard with GetRecords and
 * handed to the counter as the Lambda event the mapping would build, and the counts are read from DynamoDB Local.
 * Deliveries are replayed the ways Lambda replays them (again, overlapping, bisected, from a reported record), and
 * faults are injected into the counter's own client; everything is checked through clients without faults.
 */
const emulators = useEmulators();
const prefix = `views-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const link = useLinks();

const observedTable = new DynamoDBClient(emulators.clientConfig("dynamodb"));
const observer = DynamoDBDocumentClient.from(observedTable);
const kinesis = new KinesisClient(emulators.clientConfig("kinesis"));
const sqs = new SQSClient(emulators.clientConfig("sqs"));
let table = "";
let streamName = "";
let streamArn = "";
let failureQueueUrl = "";

/** The stream's shards, and where each one's reading stands: the next records come after what was read. */
let stream: StreamReader;
let shards: StreamReader["shards"] = [];

beforeAll(async () => {
  const resources = await provisioned(emulators, [products], prefix);
  const { ProductsTable, ProductsProductViewedStream: viewStream, ProductsProductViewedDlq: dlq } = resources;
  if (!ProductsTable || !viewStream || !dlq) throw new Error(`provisioned only ${Object.keys(resources).join(", ")}`);
  table = ProductsTable.name!;
  streamName = viewStream.name!;
  streamArn = viewStream.arn!;
  failureQueueUrl = dlq.url as string;
  // As the topology links the consumer: its DLQ is its failure queue.
  link({ ProductsTable, ProductsProductViewedStream: viewStream, FailureQueue: dlq });

  stream = await streamReader(kinesis, streamName);
  shards = stream.shards;
});

afterAll(() => {
  observedTable.destroy(); // a document client's destroy() leaves its base client open
  kinesis.destroy();
  sqs.destroy();
});

/** The clients the code under test runs with, fresh for each test so that no injected fault outlives it. */
let clients: { dynamo: DynamoDBClient; kinesis: KinesisClient };
vi.spyOn(logger, "info").mockImplementation(() => {});
const loggedErrors = vi.spyOn(logger, "error").mockImplementation(() => {});
vi.spyOn(logger, "warn").mockImplementation(() => {});

beforeEach(() => {
  clients = {
    dynamo: new DynamoDBClient(emulators.clientConfig("dynamodb")),
    kinesis: new KinesisClient(emulators.clientConfig("kinesis")),
  };
  useAwsClients({
    // As shared/aws/dynamo.ts builds it; the document client sends through the base client's middleware stack.
    dynamo: DynamoDBDocumentClient.from(clients.dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    kinesis: clients.kinesis,
  });
  loggedErrors.mockClear();
});

afterEach(() => {
  resetAwsClients();
  for (const client of Object.values(clients)) client.destroy();
});

/**
 * Watches the calls of `command` (its SDK name) on the base DynamoDB client the code under test uses; the calls
 * numbered in `failing` (1 is the first) throw before anything is sent, so the SDK does not retry them.
 */
const intercept = (command: string, failing: number[] = []) => interceptCommand(clients.dynamo, command, failing);

/** The shard a record keyed `productId` lands on. */
const shardOfKey = (productId: string): string => stream.shardOfKey(productId);

/** New product ids, all on `shardId` when given. */
function productIds(count: number, shardId?: string): string[] {
  const ids: string[] = [];
  while (ids.length < count) {
    const id = `p${randomUUID().replaceAll("-", "").slice(0, 20)}`;
    if (shardId === undefined || shardOfKey(id) === shardId) ids.push(id);
  }
  return ids;
}

/** Lists products as the catalogue stores them (written directly: the tests choose ids on a given shard). */
async function createProducts(ids: readonly string[]): Promise<void> {
  const at = new Date().toISOString();
  await Promise.all(
    ids.map((productId) =>
      observer.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...keys.product(productId),
            productId,
            sellerId: "seller-1",
            name: `Product ${productId}`,
            description: null,
            priceCents: 1_000,
            currency: "EUR",
            category: "books",
            images: [],
            createdAt: at,
            updatedAt: at,
            version: 1,
            imageMediaIds: [],
            feedPk: keys.feed(shardOf(productId)),
            feedSk: timeKey(at, productId),
            categoryPk: keys.category("books", shardOf(productId)),
            categorySk: timeKey(at, productId),
          },
        }),
      ),
    ),
  );
}

function viewRequest(productId: string) {
  return apiEvent({
    httpMethod: "POST",
    path: `/products/${productId}/views`,
    resource: "/products/{productId}/views",
    pathParameters: { productId },
    headers: {},
  });
}

/** Posts `times` views of each product, each answered 202 with no body. */
async function view(productId: string, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    const response = (await recordView(viewRequest(productId), lambdaContext())) as APIGatewayProxyResult;
    expect(response.statusCode).toBe(202);
    expect(response.body).toBe("");
  }
}

/** Every record put on each shard since the last read, in shard order. */
const readNew = () => stream.readNew();

/** The records of the one shard that holds every new record (the test put them all there). */
const readShard = (shardId: string) => stream.readShard(shardId);

/** One invocation of the counter on `records` of `shardId`, as the stream's event source mapping makes it. */
async function deliver(shardId: string, records: readonly KinesisRecord[]): Promise<string[]> {
  const response = (await countViews(
    kinesisEvent(records, streamArn, shardId),
    lambdaContext(),
  )) as KinesisStreamBatchResponse;
  return response.batchItemFailures.map((failure) => failure.itemIdentifier);
}

/** Delivers every shard's new records, each shard's as one batch; no record may fail. */
async function deliverAll(read: Map<string, KinesisRecord[]>): Promise<void> {
  for (const [shardId, records] of read) expect(await deliver(shardId, records)).toEqual([]);
}

/** The counted views of each product (0 when it has none), and whether its `VIEWS` item exists. */
async function countsOf(ids: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  for (let start = 0; start < ids.length; start += 100) {
    const out = await observer.send(
      new BatchGetCommand({
        RequestItems: { [table]: { Keys: ids.slice(start, start + 100).map(keys.views), ConsistentRead: true } },
      }),
    );
    for (const item of out.Responses?.[table] ?? []) counts[item.productId as string] = item.views as number;
  }
  return counts;
}

const expected = (entries: readonly (readonly [string, number])[]) => Object.fromEntries(entries);

/** The same record's data put again: a producer's retried put (a new record, the same event id). */
const putAgain = (record: KinesisRecord) => stream.putAgain(record);

async function popularOf(query: Record<string, string> | null) {
  const response = (await popular(
    apiEvent({
      httpMethod: "GET",
      path: "/products/popular",
      resource: "/products/popular",
      headers: {},
      queryStringParameters: query,
    }),
    lambdaContext(),
  )) as APIGatewayProxyResult;
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

describe("POST /products/{productId}/views", () => {
  it("puts one ProductViewed record on the stream per view, keyed by the product", async () => {
    const [id] = productIds(1);
    await createProducts([id!]);
    await view(id!, 3);
    const read = await readNew();
    const records = [...read.values()].flat();
    expect(records).toHaveLength(3);
    expect([...read.keys()]).toEqual([shardOfKey(id!)]);
    for (const record of records) {
      const envelope = JSON.parse(Buffer.from(record.Data!).toString("utf8"));
      expect(record.PartitionKey).toBe(id);
      expect(envelope).toMatchObject({ type: ProductViewed.type, version: 1, data: { productId: id, viewerId: null } });
    }
    expect(new Set(records.map((record) => JSON.parse(Buffer.from(record.Data!).toString("utf8")).id)).size).toBe(3);
    await deliverAll(read);
    expect(await countsOf([id!])).toEqual({ [id!]: 3 });
  });

  it("answers 404 for an unknown product, reading the table at most once for a burst of 50", async () => {
    const gets = intercept("GetItemCommand");
    const [unknown] = productIds(1);
    for (let i = 0; i < 50; i++) {
      const response = (await recordView(viewRequest(unknown!), lambdaContext())) as APIGatewayProxyResult;
      expect(response.statusCode).toBe(404);
      expect(response.headers?.["content-type"]).toBe("application/problem+json");
      expect(JSON.parse(response.body)).toMatchObject({ status: 404 });
    }
    expect(gets.calls).toBeLessThanOrEqual(1);
    expect(await readNew()).toEqual(new Map());
  });
});

describe("the view counter", () => {
  it("counts a batch with one write per product, not one per view", async () => {
    const ids = productIds(3);
    await createProducts(ids);
    await view(ids[0]!, 5);
    await view(ids[1]!, 3);
    await view(ids[2]!, 1);
    const transactions = intercept("TransactWriteItemsCommand");
    await deliverAll(await readNew());
    expect(await countsOf(ids)).toEqual(
      expected([
        [ids[0]!, 5],
        [ids[1]!, 3],
        [ids[2]!, 1],
      ]),
    );
    // Seen before marshalling or after it, depending on where the document client's own middleware stands.
    type Sent = { Update?: { Key: { sk: string | { S: string } } } };
    const skOf = (item: Sent) => {
      const sk = item.Update?.Key.sk;
      return typeof sk === "string" ? sk : sk?.S;
    };
    const writes = transactions.inputs.flatMap((input) => (input as { TransactItems: Sent[] }).TransactItems);
    expect(transactions.calls).toBe(new Set(ids.map(shardOfKey)).size); // one transaction per shard's batch
    expect(writes.filter((item) => skOf(item) === "VIEWS")).toHaveLength(3);
  });

  it("counts nothing twice when the same batch is delivered again", async () => {
    const shard = shards[0]!.id;
    const ids = productIds(2, shard);
    await createProducts(ids);
    await view(ids[0]!, 4);
    await view(ids[1]!, 2);
    const records = await readShard(shard);
    const first = await emfWrittenBy(async () => expect(await deliver(shard, records)).toEqual([]));
    const again = await emfWrittenBy(async () => expect(await deliver(shard, records)).toEqual([]));
    expect(await countsOf(ids)).toEqual(
      expected([
        [ids[0]!, 4],
        [ids[1]!, 2],
      ]),
    );
    // The metric counts where the counter does: the six views once, the redelivery nothing.
    expect(sumOf(first, "ProductViewsCounted")).toBe(6);
    expect(first.find((m) => m.name === "ProductViewsCounted")).toMatchObject({ namespace: "Summit", unit: "Count" });
    expect(sumOf(again, "ProductViewsCounted")).toBe(0);
  });

  it("counts overlapping batches once, and a bisected retry (the first half, then the whole)", async () => {
    const shard = shards[1]!.id;
    const ids = productIds(3, shard);
    await createProducts(ids);
    for (const [i, id] of ids.entries()) await view(id, 3 + i); // 3, 4, 5: 12 records, interleaved below
    const overlapping = await readShard(shard);
    expect(await deliver(shard, overlapping.slice(0, 7))).toEqual([]);
    expect(await deliver(shard, overlapping.slice(4, 10))).toEqual([]);
    expect(await deliver(shard, overlapping.slice(2))).toEqual([]);
    expect(await countsOf(ids)).toEqual(
      expected([
        [ids[0]!, 3],
        [ids[1]!, 4],
        [ids[2]!, 5],
      ]),
    );

    for (const id of ids) await view(id, 2);
    const bisected = await readShard(shard);
    expect(await deliver(shard, bisected.slice(0, bisected.length / 2))).toEqual([]);
    expect(await deliver(shard, bisected)).toEqual([]);
    expect(await countsOf(ids)).toEqual(
      expected([
        [ids[0]!, 5],
        [ids[1]!, 6],
        [ids[2]!, 7],
      ]),
    );
  });

  it("counts an event put twice once, in one batch and across batches", async () => {
    const shard = shards[2]!.id;
    const [id] = productIds(1, shard);
    await createProducts([id!]);
    await view(id!, 2);
    const originals = await readShard(shard);
    await putAgain(originals[1]!);
    const [copy] = await readShard(shard);
    // One batch holding both the originals and the copy of the second.
    expect(await deliver(shard, [...originals, copy!])).toEqual([]);
    expect(await countsOf([id!])).toEqual({ [id!]: 2 });

    // A copy of the first arriving in a later batch.
    await putAgain(originals[0]!);
    await view(id!, 1);
    const later = await readShard(shard);
    expect(later).toHaveLength(2);
    expect(await deliver(shard, later)).toEqual([]);
    expect(await countsOf([id!])).toEqual({ [id!]: 3 });
  });

  it("loses nothing and counts nothing twice when it fails half-way, then is retried", async () => {
    const shard = shards[0]!.id;
    const ids = productIds(PRODUCTS_PER_CHUNK + 11, shard); // two chunks
    await createProducts(ids);
    for (const id of ids) await view(id, 1);
    await view(ids[0]!, 1);
    await view(ids.at(-1)!, 2);
    const records = await readShard(shard);
    const want = expected(ids.map((id, i) => [id, i === 0 ? 2 : i === ids.length - 1 ? 3 : 1]));

    const transactions = intercept("TransactWriteItemsCommand", [2]);
    const failed = await deliver(shard, records);
    expect(transactions.calls).toBe(2);
    // Reported from the first record of the second chunk: its first product, the 50th, and everything after.
    const firstUncounted = records.findIndex((record) => record.PartitionKey === ids[PRODUCTS_PER_CHUNK]);
    expect(failed).toEqual(records.slice(firstUncounted).map((record) => record.SequenceNumber));
    expect(loggedErrors).toHaveBeenCalled();
    const halfWay = await countsOf(ids);
    expect(Object.values(halfWay).filter((n) => n > 0)).toHaveLength(PRODUCTS_PER_CHUNK);
    expect(halfWay[ids[0]!]).toBe(1); // its second view comes after the first chunk

    // Lambda resumes at the lowest reported sequence number; a later full redelivery changes nothing either.
    expect(await deliver(shard, records.slice(firstUncounted))).toEqual([]);
    expect(await countsOf(ids)).toEqual(want);
    expect(await deliver(shard, records)).toEqual([]);
    expect(await countsOf(ids)).toEqual(want);
  });

  it("drops the views of a product deleted before they are counted, and it leaves popular", async () => {
    const shard = shards[1]!.id;
    const [kept, deleted] = productIds(2, shard);
    await createProducts([kept!, deleted!]);
    await view(deleted!, 200);
    await view(kept!, 1);
    await deliverAll(await readNew());
    expect(
      (await popularOf({ limit: "50" })).body.items.map(
        (item: { product: { productId: string } }) => item.product.productId,
      ),
    ).toContain(deleted);

    await view(deleted!, 2);
    await view(kept!, 2);
    // Deleted by the catalogue (its PRODUCT and VIEWS items together) before the new views are counted.
    expect(await deleteProduct((await readProduct(deleted!))!)).toBe(true);
    await deliverAll(await readNew());
    expect(await countsOf([kept!, deleted!])).toEqual({ [kept!]: 3, [deleted!]: 0 });

    // A product whose VIEWS item outlived it (say, removed by hand): its next views are dropped and the item goes.
    await view(kept!, 1);
    const [stray] = productIds(1, shard);
    await createProducts([stray!]);
    await view(stray!, 150);
    await deliverAll(await readNew());
    await view(stray!, 1);
    await observer.send(new DeleteCommand({ TableName: table, Key: keys.product(stray!) }));
    await deliverAll(await readNew());
    expect(await countsOf([kept!, stray!])).toEqual({ [kept!]: 4, [stray!]: 0 });

    const listed = (await popularOf({ limit: "50" })).body.items.map(
      (item: { product: { productId: string } }) => item.product.productId,
    );
    expect(listed).not.toContain(deleted);
    expect(listed).not.toContain(stray);
    expect(listed).toContain(kept);
  });

  it("sends a record that can never be valid to the failure queue and counts the rest", async () => {
    await sqs.send(new PurgeQueueCommand({ QueueUrl: failureQueueUrl }));
    const shard = shards[2]!.id;
    const [id] = productIds(1, shard);
    await createProducts([id!]);
    await view(id!, 1);
    const bad = {
      id: randomUUID(),
      type: ProductViewed.type,
      version: 1,
      time: new Date().toISOString(),
      producer: "x",
      correlationId: "c",
      data: { productId: "not a url-safe id!", viewerId: null, viewedAt: new Date().toISOString() },
    };
    await kinesis.send(
      new PutRecordCommand({ StreamName: streamName, PartitionKey: id!, Data: Buffer.from(JSON.stringify(bad)) }),
    );
    await view(id!, 1);
    const records = await readShard(shard);
    expect(records).toHaveLength(3);
    expect(await deliver(shard, records)).toEqual([]);
    expect(await countsOf([id!])).toEqual({ [id!]: 2 });
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: failureQueueUrl, MessageAttributeNames: ["All"], WaitTimeSeconds: 1 }),
    );
    expect(Messages).toHaveLength(1);
    expect(Messages[0]!.MessageAttributes?.errorCode?.StringValue).toBe("InvalidPayload");
  });
});

describe("GET /products/popular", () => {
  it("lists the most viewed first, up to the limit, merged over every ranking partition", async () => {
    const ids = productIds(4);
    await createProducts(ids);
    const views = [400, 300, 250, 220];
    for (const [i, id] of ids.entries()) await view(id, views[i]);
    await deliverAll(await readNew());

    const top = await popularOf({ limit: "3" });
    expect(top.status).toBe(200);
    expect(
      top.body.items.map((item: { product: { productId: string }; views: number }) => [
        item.product.productId,
        item.views,
      ]),
    ).toEqual([
      [ids[0], 400],
      [ids[1], 300],
      [ids[2], 250],
    ]);
    expect(top.body.items[0].product).toMatchObject({ productId: ids[0], name: `Product ${ids[0]}`, images: [] });

    const all = await popularOf(null);
    expect(all.body.items).toHaveLength(20); // the default limit (this file counted more products than that)
    const counts = all.body.items.map((item: { views: number }) => item.views);
    expect(counts).toEqual([...counts].sort((a: number, b: number) => b - a));
    expect(
      all.body.items.slice(0, 4).map((item: { product: { productId: string } }) => item.product.productId),
    ).toEqual(ids);

    for (const limit of ["0", "51", "x"]) expect((await popularOf({ limit })).status).toBe(400);
  });
});
