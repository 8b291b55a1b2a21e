import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AttributeValue,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  type UpdateTableCommandInput,
} from "@aws-sdk/client-dynamodb";
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Emulators, startEmulators } from "../../local/emulators/index.js";
import { ShardCheckpoints } from "../../local/runtime/eventSources/shardCheckpoints.js";
import { ShardPoller, type ShardSource } from "../../local/runtime/eventSources/shardPoller.js";
import { type Runtime, type RuntimeOptions, startRuntime } from "../../local/runtime/index.js";
import type { EventContract } from "../../shared/events/defineEvent.js";
import { defineService, type Topology } from "../../shared/topology/index.js";
import { buildTopology } from "../../shared/topology/topology.js";
import { newSegmentId, newTraceId } from "../../shared/tracing/traceHeader.js";
import { ItemScanned, OrderPlaced, ReceiptIssued } from "../fixtures/events.js";
import { outboxObservations, readObservations } from "../fixtures/handlers/outboxProbePublisher.js";
import { until } from "../support/probe.js";

// biome-ignore lint/suspicious/noExplicitAny: assertions walk the JSON the functions and queues saw
type Json = Record<string, any>;

const PUBLISHER = "test/fixtures/handlers/outboxProbePublisher.handler";
const TABLE = { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt" } as const;
const outboxService = (name: string, table: string, publishes: EventContract) =>
  defineService({
    name,
    basePath: `/${name}`,
    tables: { [table]: TABLE },
    routes: [],
    publishes: [publishes],
    consumers: [],
  });

/**
 * Three services with an outbox each, their mappings tuned per test: `ordered` keeps the publisher's defaults but
 * small batches (retries until the record is 23 h old), `finite` gives up after one retry, and `aged` gives up on
 * records older than a second.
 */
function fixtureTopology(): Topology {
  const base = buildTopology([
    outboxService("ordered", "OrderedTable", OrderPlaced),
    outboxService("finite", "FiniteTable", ReceiptIssued),
    outboxService("aged", "AgedTable", ItemScanned),
  ]);
  const tuned: Record<string, object> = {
    ordered: { batchSize: 10 },
    finite: { batchSize: 10, retries: 1 },
    aged: { maxRecordAgeSeconds: 1 },
  };
  return {
    ...base,
    functions: base.functions.map((fn) => (fn.kind === "publisher" ? { ...fn, handler: PUBLISHER } : fn)),
    outboxes: base.outboxes.map((outbox) => ({ ...outbox, trigger: { ...outbox.trigger, ...tuned[outbox.service] } })),
  };
}

const stage = `ddbs${Date.now().toString(36)}`;
const prefix = `summit-${stage}`;
const file = outboxObservations(stage);
const dataDir = mkdtempSync(join(tmpdir(), "summit-ddb-streams-"));
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const region = "us-east-1";
let emulators: Emulators;
let runtime: Runtime;
let ddb: DynamoDBClient;
let logs: string[] = [];

const runtimeOptions = (): RuntimeOptions => ({
  topology: fixtureTopology(),
  emulators,
  port: 0,
  stage,
  dataDir,
  log: (line) => logs.push(line),
  tuning: {
    dynamodbStreamPollIntervalMs: 50,
    dynamodbStreamRetryBaseDelayMs: 20,
    shardDiscoveryIntervalMs: 500,
    sqsWaitSeconds: 1,
  },
});

beforeAll(async () => {
  emulators = await startEmulators();
  ddb = new DynamoDBClient({ endpoint: emulators.endpoints.dynamodb, region, credentials });
  runtime = await startRuntime(runtimeOptions());
}, 90_000);

afterAll(async () => {
  await runtime?.stop();
  ddb?.destroy();
  await emulators?.stop();
  rmSync(file, { force: true });
  rmSync(dataDir, { recursive: true, force: true });
  logs = [];
});

const tableName = (table: string) => runtime.resources[table]!.name!;
const observed = (fn: string) => readObservations(file).filter((o) => o.fn === fn);
/** The outbox items a function finished with, in order: each successful invocation's records before the first it reported. */
const handled = (fn: string): string[] =>
  observed(fn)
    .filter((o) => !o.failed)
    .flatMap((o) => {
      const firstReported = o.sequenceNumbers.findIndex((s) => o.reported.includes(s));
      return o.eventIds.slice(0, firstReported === -1 ? undefined : firstReported);
    });
const handledAll = (fn: string, ids: readonly string[]) => () => {
  const done = handled(fn);
  return ids.every((id) => done.includes(id));
};

let counter = 0;
/** An outbox item as the lead's writer puts it: the finished envelope as JSON text, with its trace header. */
function outboxItem(orderKey: string, probe = "", traceHeader?: string) {
  const eventId = `evt-${stage}-${++counter}`;
  const envelope = {
    id: eventId,
    type: OrderPlaced.type,
    version: 1,
    time: new Date().toISOString(),
    producer: "ordered",
    correlationId: "c-1",
    ...(traceHeader ? { traceHeader } : {}),
    data: { orderId: orderKey, probe },
  };
  const item: Record<string, AttributeValue> = {
    pk: { S: `OUTBOX#${orderKey}` },
    sk: { S: `${new Date().toISOString()}#${eventId}` },
    eventId: { S: eventId },
    eventType: { S: OrderPlaced.type },
    envelope: { S: JSON.stringify(envelope) },
    expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) },
  };
  return { eventId, item };
}

const put = async (table: string, item: Record<string, AttributeValue>) =>
  ddb.send(new PutItemCommand({ TableName: tableName(table), Item: item }));
/**
 * Outbox items with these probes, in one transaction so the stream holds them side by side (one batch, as far as
 * the poller reads them); resolves to their event ids.
 */
async function transact(table: string, orderKey: string, probes: readonly string[]): Promise<string[]> {
  const items = probes.map((probe) => outboxItem(orderKey, probe));
  await ddb.send(
    new TransactWriteItemsCommand({
      TransactItems: items.map(({ item }) => ({ Put: { TableName: tableName(table), Item: item } })),
    }),
  );
  return items.map((i) => i.eventId);
}

async function drain(queue: string, count: number, timeoutMs = 20_000): Promise<Json[]> {
  const sqs = new SQSClient({ endpoint: emulators.endpoints.sqs, region, credentials });
  const queueUrl = runtime.resources[queue]!.url!;
  const bodies: Json[] = [];
  const deadline = Date.now() + timeoutMs;
  while (bodies.length < count && Date.now() < deadline) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const message of out.Messages ?? []) {
      bodies.push(JSON.parse(message.Body ?? "{}") as Json);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
    }
  }
  sqs.destroy();
  return bodies;
}

describe("provisioning", () => {
  test("every table streams with its view type, and its link names the stream", async () => {
    for (const table of ["OrderedTable", "FiniteTable", "AgedTable"]) {
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: `${prefix}-${table}` }));
      expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_IMAGE" });
      expect(runtime.resources[table]?.streamArn).toBe(Table?.LatestStreamArn);
    }
  });
});

describe("the outbox publisher's stream", () => {
  test("delivers outbox inserts in order, in the DynamoDB stream event's shape, and nothing else", async () => {
    const fn = "OrderedOutboxPublisher";
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const { eventId, item } = outboxItem("order-1");
      ids.push(eventId);
      await put("OrderedTable", item);
      if (i % 10 === 0) await put("OrderedTable", { pk: { S: "ORDER#order-1" }, sk: { S: `v${i}` } }); // an entity
    }
    const first = ids[0]!;
    const modified = outboxItem("order-1");
    await put("OrderedTable", modified.item);
    await ddb.send(
      new UpdateItemCommand({
        TableName: tableName("OrderedTable"),
        Key: { pk: modified.item.pk!, sk: modified.item.sk! },
        UpdateExpression: "SET publishedAt = :p",
        ExpressionAttributeValues: { ":p": { S: "now" } },
      }),
    );
    // The TTL's removal of an outbox item, as DynamoDB records it: a REMOVE.
    await ddb.send(
      new DeleteItemCommand({
        TableName: tableName("OrderedTable"),
        Key: { pk: modified.item.pk!, sk: modified.item.sk! },
      }),
    );
    const last = outboxItem("order-1");
    await put("OrderedTable", last.item);
    await until(handledAll(fn, [last.eventId]), "the last outbox item");

    const calls = observed(fn);
    // The modified and removed item was delivered once, for its INSERT; the MODIFY and REMOVE never.
    expect(handled(fn)).toEqual([...ids, modified.eventId, last.eventId]);
    expect(calls.flatMap((c) => c.eventNames).every((name) => name === "INSERT")).toBe(true);
    expect(calls.flatMap((c) => c.keys).every((key) => key.startsWith("OUTBOX#"))).toBe(true);
    expect(Math.max(...calls.map((c) => c.eventIds.length))).toBeLessThanOrEqual(10); // batchSize

    const record = calls.find((c) => c.eventIds[0] === first)!.event.Records[0] as Json;
    const streamArn = runtime.resources.OrderedTable!.streamArn;
    expect(record).toMatchObject({
      eventName: "INSERT",
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: region,
      eventSourceARN: streamArn,
      dynamodb: {
        Keys: { pk: { S: "OUTBOX#order-1" }, sk: { S: expect.stringContaining(first) } },
        NewImage: { eventId: { S: first }, envelope: { S: expect.stringContaining(first) } },
        StreamViewType: "NEW_IMAGE",
      },
    });
    expect(typeof record.eventID).toBe("string");
    expect(record.dynamodb.OldImage).toBeUndefined();
    expect(Number.isInteger(record.dynamodb.ApproximateCreationDateTime)).toBe(true);
    expect(Math.abs(record.dynamodb.ApproximateCreationDateTime - Date.now() / 1000)).toBeLessThan(3600); // seconds
    expect(record.dynamodb.SequenceNumber).toBe(calls.find((c) => c.eventIds[0] === first)!.sequenceNumbers[0]);
    expect(record.dynamodb.SizeBytes).toBeGreaterThan(0);
  });

  test("a batch starts a new trace, as Lambda does, whatever trace the record's envelope names", async () => {
    const root = newTraceId();
    const traced = outboxItem("order-2", "", `Root=${root};Parent=${newSegmentId()};Sampled=1`);
    await put("OrderedTable", traced.item);
    await until(handledAll("OrderedOutboxPublisher", [traced.eventId]), "the traced item");
    const call = observed("OrderedOutboxPublisher").find((c) => c.eventIds[0] === traced.eventId)!;
    expect(call.trace).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/);
    expect(call.trace).not.toContain(root);
  });

  test("a partial batch failure resumes at the reported record; nothing before it comes again", async () => {
    const fn = "OrderedOutboxPublisher";
    const ids = await transact("OrderedTable", "order-3", ["", "", "report-once", "", ""]);
    await until(handledAll(fn, ids), "the batch with a reported record");
    const calls = observed(fn);
    const reporting = calls.findIndex((c) => c.reported.length > 0 && c.eventIds.includes(ids[2]!));
    expect(reporting).toBeGreaterThanOrEqual(0);
    expect(calls[reporting]!.reported).toEqual([
      calls[reporting]!.sequenceNumbers[calls[reporting]!.eventIds.indexOf(ids[2]!)],
    ]);
    expect(calls[reporting + 1]!.eventIds[0]).toBe(ids[2]);
    const seen = calls.flatMap((c) => c.eventIds);
    expect(seen.filter((id) => id === ids[0])).toHaveLength(1);
    expect(seen.filter((id) => id === ids[1])).toHaveLength(1);
    expect(handled(fn).filter((id) => ids.includes(id))).toEqual(ids);
  });

  test("retrying without limit, a failure that clears loses and reorders nothing", async () => {
    const fn = "OrderedOutboxPublisher";
    const ids = await transact("OrderedTable", "order-4", ["", "", "fail-times:3", "", ""]);
    await until(handledAll(fn, ids), "the batch with a failure that clears");
    const calls = observed(fn);
    expect(calls.filter((c) => c.failed && c.eventIds.includes(ids[2]!))).toHaveLength(3);
    expect(calls.some((c) => c.failed && c.eventIds.length === 1)).toBe(true); // bisected down to it
    expect(handled(fn).filter((id) => ids.includes(id))).toEqual(ids);
    expect(await drain("OrderedOutboxPublisherDlq", 1, 1_500)).toEqual([]);
  });

  test("with finite retries, a failing record is bisected out and its batch record goes to the on-failure queue", async () => {
    const fn = "FiniteOutboxPublisher";
    const ids = await transact("FiniteTable", "order-5", ["", "", "fail-always", "", ""]);
    const [failure] = await drain("FiniteOutboxPublisherDlq", 1);
    expect(failure).toBeDefined();
    const calls = observed(fn);
    const alone = calls.filter((c) => c.failed && c.eventIds.length === 1 && c.eventIds[0] === ids[2]);
    expect(alone.length).toBeGreaterThanOrEqual(1);
    const badSequenceNumber = alone[0]!.sequenceNumbers[0];
    expect(failure!.requestContext).toMatchObject({
      condition: "RetryAttemptsExhausted",
      approximateInvokeCount: 2,
      functionArn: `arn:aws:lambda:${region}:000000000000:function:${fn}`,
    });
    expect(failure!.responseContext).toMatchObject({ statusCode: 200, functionError: "Unhandled" });
    expect(failure!.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: badSequenceNumber,
      endSequenceNumber: badSequenceNumber,
      batchSize: 1,
      streamArn: runtime.resources.FiniteTable!.streamArn,
    });
    expect(failure!.DDBStreamBatchInfo.shardId).toMatch(/^shardId-/);
    expect(Date.parse(failure!.DDBStreamBatchInfo.approximateArrivalOfFirstRecord)).not.toBeNaN();
    await until(handledAll(fn, [ids[0]!, ids[1]!, ids[3]!, ids[4]!]), "the records around the failing one");
    expect(handled(fn)).toEqual([ids[0], ids[1], ids[3], ids[4]]);
  });

  test("retrying without limit stops once the batch is older than the maximum record age", async () => {
    const fn = "AgedOutboxPublisher";
    const stuck = outboxItem("order-6", "fail-always");
    const next = outboxItem("order-6");
    await put("AgedTable", stuck.item);
    await put("AgedTable", next.item);
    const [failure] = await drain("AgedOutboxPublisherDlq", 1);
    expect(failure?.requestContext.condition).toBe("RecordAgeExceeded");
    const badSequenceNumber = observed(fn).find((c) => c.eventIds[0] === stuck.eventId)!.sequenceNumbers[0];
    expect(failure!.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: badSequenceNumber,
      endSequenceNumber: badSequenceNumber,
      batchSize: 1,
    });
    await until(handledAll(fn, [next.eventId]), "the record after the aged one");
  });

  test("the health report counts the stream pollers", async () => {
    const health = await runtime.health();
    expect(health.body.services).toEqual({ ordered: "ok", finite: "ok", aged: "ok" });
  });

  test("checkpoints: a restarted poller resumes after the last record handled, and nothing comes again", async () => {
    await runtime.stop();
    expect(existsSync(join(dataDir, "runtime", "stream-checkpoints.json"))).toBe(true);
    const before = readObservations(file).length;
    const items = [outboxItem("order-7"), outboxItem("order-7")];
    for (const { item } of items) await put("OrderedTable", item);
    runtime = await startRuntime(runtimeOptions());
    const ids = items.map((i) => i.eventId);
    await until(handledAll("OrderedOutboxPublisher", ids), "the items written while stopped");
    await new Promise((resolve) => setTimeout(resolve, 300)); // any redelivery would come with the first reads
    const after = readObservations(file).slice(before);
    expect(after.flatMap((o) => o.eventIds)).toEqual(ids);
  });

  test("a table left by an older local state, with no stream or another view of it, is brought in line", async () => {
    const update = (TableName: string, StreamSpecification: UpdateTableCommandInput["StreamSpecification"]) =>
      ddb.send(new UpdateTableCommand({ TableName, StreamSpecification }));
    const old = { finite: runtime.resources.FiniteTable!.streamArn, aged: runtime.resources.AgedTable!.streamArn };
    await runtime.stop();
    await update(`${prefix}-FiniteTable`, { StreamEnabled: false });
    await update(`${prefix}-AgedTable`, { StreamEnabled: false });
    await update(`${prefix}-AgedTable`, { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" });
    runtime = await startRuntime(runtimeOptions());
    for (const table of ["FiniteTable", "AgedTable"]) {
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: `${prefix}-${table}` }));
      expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_IMAGE" });
      expect(runtime.resources[table]?.streamArn).toBe(Table?.LatestStreamArn);
    }
    expect(runtime.resources.FiniteTable!.streamArn).not.toBe(old.finite);
    expect(runtime.resources.AgedTable!.streamArn).not.toBe(old.aged);
    // The pollers read the new streams.
    const next = outboxItem("order-8");
    await put("FiniteTable", next.item);
    await until(handledAll("FiniteOutboxPublisher", [next.eventId]), "an item on the new stream");
  });
});

describe("shard lineage", () => {
  test("a child shard is read only once its parent is read to its end", async () => {
    interface Rec {
      readonly seq: string;
    }
    const shards: Record<string, Rec[]> = {
      parent: [{ seq: "1" }, { seq: "2" }, { seq: "3" }],
      child: [{ seq: "4" }, { seq: "5" }],
    };
    const log: string[] = [];
    const delivered: string[] = [];
    let parentEmptyReads = 0;
    const source: ShardSource<Rec> = {
      batchInfo: "DDBStreamBatchInfo",
      arrivalPrecisionMs: 0,
      // The child is listed first: the order of the description does not matter, the lineage does.
      describe: async () => [{ shardId: "child", parentShardId: "parent" }, { shardId: "parent" }],
      iterator: async (shardId, after) => {
        log.push(`iterator ${shardId}`);
        const position = after ? shards[shardId]!.findIndex((r) => r.seq === after) + 1 : 0;
        return `${shardId}:${position}`;
      },
      read: async (iterator) => {
        const [shardId, at] = iterator.split(":") as [string, string];
        const position = Number(at);
        const record = shards[shardId]![position];
        if (record) return { records: [record], next: `${shardId}:${position + 1}` };
        // The parent stays open for a few reads, then closes (DynamoDB closes a shard and opens its child).
        if (shardId === "parent" && ++parentEmptyReads > 3) {
          log.push("parent closed");
          return { records: [] };
        }
        return { records: [], next: iterator };
      },
      sequenceNumber: (record) => record.seq,
      arrivedAt: () => new Date(),
      filterView: (record) => record,
      event: (records) => ({ Records: records }),
    };
    const sqs = new SQSClient({ endpoint: emulators.endpoints.sqs, region, credentials });
    const poller = new ShardPoller<Rec>({
      name: "lineage",
      source,
      sqs,
      streamArn: "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x",
      fn: "Lineage",
      functionArn: "arn:aws:lambda:us-east-1:000000000000:function:Lineage",
      invoke: async (_fn, event) => {
        delivered.push(...(event as { Records: Rec[] }).Records.map((r) => r.seq));
        return { outcome: { ok: true, value: null, durationMs: 0 }, traceHeader: "" };
      },
      batchSize: 10,
      batchWindowSeconds: 0,
      retries: 0,
      bisectOnError: true,
      onFailureUrl: "",
      checkpoints: new ShardCheckpoints(),
      pollIntervalMs: 10,
      // Long: the child must start because its parent finished, not because the stream was described again.
      discoveryIntervalMs: 60_000,
    });
    try {
      await until(() => delivered.length === 5, "both shards' records", 10_000);
    } finally {
      await poller.stop();
      sqs.destroy();
    }
    expect(delivered).toEqual(["1", "2", "3", "4", "5"]);
    expect(log.indexOf("iterator child")).toBeGreaterThan(log.indexOf("parent closed"));
    expect(poller.healthy).toBe(true);
  });
});
