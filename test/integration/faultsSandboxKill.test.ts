import { existsSync, readFileSync, rmSync } from "node:fs";
import { DynamoDBClient, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand as GetStreamRecords,
  GetShardIteratorCommand as StreamIterator,
} from "@aws-sdk/client-dynamodb-streams";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulators, startEmulators } from "../../local/emulators/index.js";
import { type Runtime, startRuntime } from "../../local/runtime/index.js";
import { buildTopology, defineService, type Topology } from "../../shared/topology/index.js";
import { ItemScanned, LabelRequested, OrderPlaced } from "../fixtures/events.js";
import { killObservations } from "../fixtures/handlers/killedMidBatch.js";

/**
 * A sandbox killed in the middle of a batch, on the local runtime: a probe service whose consumers (an SQS queue, a
 * Kinesis stream, and its table's stream in place of the outbox publisher) count every event once with a
 * conditional write per event id, and SIGKILL their own process on a marked record part-way through the batch. The
 * runtime sees the sandbox die, the transport redelivers the batch to a new sandbox, and the table then holds every
 * event counted exactly once, each key's events applied in the order the stream holds them, and no DLQ holds
 * anything.
 */
const HANDLERS = "test/fixtures/handlers/killedMidBatch";
const probe = defineService({
  name: "killprobe",
  basePath: "/killprobe",
  tables: { ProbeTable: { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt" } },
  routes: [],
  publishes: [OrderPlaced, LabelRequested, ItemScanned],
  consumers: [
    {
      name: "queue",
      events: [LabelRequested],
      handler: `${HANDLERS}.onSqs`,
      retries: 3,
      timeoutSeconds: 5,
      batchSize: 10,
    },
    { name: "stream", events: [ItemScanned], handler: `${HANDLERS}.onKinesis`, retries: 3, batchSize: 100 },
  ],
});

/** The probe's topology with its outbox publisher replaced by the counting consumer of the table's stream. */
function probeTopology(): Topology {
  const base = buildTopology([probe]);
  return {
    ...base,
    functions: base.functions.map((fn) =>
      fn.kind === "publisher" ? { ...fn, handler: `${HANDLERS}.onDynamoStream` } : fn,
    ),
  };
}

const stage = `kill${Date.now().toString(36)}`;
const file = killObservations(stage);
const region = "us-east-1";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
let emulators: Emulators;
let runtime: Runtime;
let ddb: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let streams: DynamoDBStreamsClient;
let kinesis: KinesisClient;
let sqs: SQSClient;
const logs: string[] = [];

beforeAll(async () => {
  emulators = await startEmulators();
  runtime = await startRuntime({
    topology: probeTopology(),
    emulators,
    port: 0,
    stage,
    log: (line) => logs.push(line),
    tuning: {
      kinesisRetryBaseDelayMs: 20,
      kinesisPollIntervalMs: 100,
      dynamodbStreamPollIntervalMs: 100,
      dynamodbStreamRetryBaseDelayMs: 20,
      sqsFailedVisibilitySeconds: 0,
      sqsWaitSeconds: 1,
    },
  });
  ddb = new DynamoDBClient({ endpoint: emulators.endpoints.dynamodb, region, credentials });
  doc = DynamoDBDocumentClient.from(ddb);
  streams = new DynamoDBStreamsClient({ endpoint: emulators.endpoints.dynamodb, region, credentials });
  kinesis = new KinesisClient({
    endpoint: emulators.endpoints.kinesis,
    region,
    credentials,
    requestHandler: new NodeHttpHandler(),
  });
  sqs = new SQSClient({ endpoint: emulators.endpoints.sqs, region, credentials });
}, 120_000);

afterAll(async () => {
  for (const client of [ddb, streams, kinesis, sqs]) client?.destroy();
  await runtime?.stop();
  await emulators?.stop();
  rmSync(file, { force: true });
});

async function until<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 25_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${logs.slice(-20).join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Kill {
  readonly transport: string;
  readonly pid: number;
  readonly position: number;
  readonly batch: number;
  readonly eventId: string;
}
const kills = (transport: string): Kill[] =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Kill)
        .filter((kill) => kill.transport === transport)
    : [];

/** Three keys, three events each, interleaved; the fifth (the second key's second) kills its sandbox. */
function events(transport: string, type: string) {
  return Array.from({ length: 9 }, (_, i) => ({
    id: `${stage}-${transport}-e${i}`,
    type,
    version: 1,
    time: new Date().toISOString(),
    producer: "killprobe",
    correlationId: "c-1",
    data: { orderId: `${stage}-${transport}-k${i % 3}`, at: new Date().toISOString(), sku: "s", kill: i === 4 },
  }));
}
type ProbeEvent = ReturnType<typeof events>[number];

async function applied(transport: string, orderId: string): Promise<{ applied: string[]; counted: number }> {
  const { Item } = await doc.send(
    new GetCommand({
      TableName: runtime.resources.ProbeTable!.name!,
      Key: { pk: `KEY#${transport}#${orderId}`, sk: "APPLIED" },
      ConsistentRead: true,
    }),
  );
  return { applied: (Item?.applied as string[]) ?? [], counted: Number(Item?.counted ?? 0) };
}

const keysOf = (sent: readonly ProbeEvent[]) => [...new Set(sent.map((e) => e.data.orderId))];

/**
 * Waits until every sent event is counted, then checks: one kill, part-way through its batch, its process gone;
 * each event counted once (and still once a while later); each key's events in `order` when the transport orders
 * them; the consumer's DLQ empty.
 */
async function expectSurvived(
  transport: string,
  sent: readonly ProbeEvent[],
  order?: (key: string) => Promise<string[]>,
) {
  await until(async () => {
    const all = await Promise.all(keysOf(sent).map((key) => applied(transport, key)));
    return all.reduce((sum, a) => sum + a.counted, 0) >= sent.length;
  }, `${transport}: every event counted`);

  const [kill, ...more] = kills(transport);
  expect(more).toEqual([]);
  expect(kill).toMatchObject({ eventId: sent[4]!.id });
  expect(kill!.position).toBeGreaterThan(0); // records before it in the batch were counted before the kill
  expect(kill!.position).toBeLessThan(kill!.batch - 1); // and some after it were not
  expect(() => process.kill(kill!.pid, 0)).toThrow(); // the sandbox is gone

  await new Promise((resolve) => setTimeout(resolve, 1_500)); // a late duplicate would land by now
  for (const key of keysOf(sent)) {
    const expected = sent.filter((e) => e.data.orderId === key).map((e) => e.id);
    const { applied: got, counted } = await applied(transport, key);
    expect({ key, counted }).toEqual({ key, counted: expected.length });
    if (order) expect(got).toEqual(await order(key));
    else expect([...got].sort()).toEqual([...expected].sort());
  }
  const dlq = runtime.topology.subscriptions.find((s) => s.event === sent[0]!.type)?.failureDestination;
  const dlqName = dlq ?? runtime.topology.outboxes[0]!.failureDestination;
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: runtime.resources[dlqName]!.url!, WaitTimeSeconds: 0 }),
  );
  expect(Messages).toEqual([]);
  console.info(
    `sandbox kill, ${transport}: SIGKILL at record ${kill!.position + 1} of ${kill!.batch}; ${sent.length} events, each counted once; lost: nothing`,
  );
}

describe("a sandbox killed in the middle of a batch", () => {
  it("SQS: the batch is redelivered to a new sandbox, nothing lost, nothing counted twice", async () => {
    const sent = events("sqs", LabelRequested.type);
    const queue = runtime.topology.subscriptions.find((s) => s.event === LabelRequested.type)!;
    if (queue.trigger.kind !== "sqs") throw new Error("LabelRequested is not on a queue");
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: runtime.resources[queue.trigger.queue]!.url!,
        Entries: sent.map((e, i) => ({ Id: String(i), MessageBody: JSON.stringify(e) })),
      }),
    );
    await expectSurvived("sqs", sent);
  });

  it("Kinesis: the shard's batch is retried from where it was, in order per key, nothing counted twice", async () => {
    const sent = events("kinesis", ItemScanned.type);
    const subscription = runtime.topology.subscriptions.find((s) => s.event === ItemScanned.type)!;
    if (subscription.trigger.kind !== "kinesis") throw new Error("ItemScanned is not on a stream");
    const streamName = runtime.resources[subscription.trigger.stream]!.name!;
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: sent.map((e) => ({ PartitionKey: e.data.orderId, Data: Buffer.from(JSON.stringify(e)) })),
      }),
    );
    await expectSurvived("kinesis", sent, async (key) =>
      (await kinesisOrder(streamName)).filter((e) => e.key === key).map((e) => e.id),
    );
  });

  it("DynamoDB stream: the batch is retried from where it was, in order per key, nothing counted twice", async () => {
    const sent = events("dynamodb", OrderPlaced.type);
    const table = runtime.resources.ProbeTable!;
    await ddb.send(
      new TransactWriteItemsCommand({
        TransactItems: sent.map((e) => ({
          Put: {
            TableName: table.name!,
            Item: {
              pk: { S: `OUTBOX#${e.data.orderId}` },
              sk: { S: `${e.time}#${e.id}` },
              eventId: { S: e.id },
              eventType: { S: e.type },
              envelope: { S: JSON.stringify(e) },
              expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) },
            },
          },
        })),
      }),
    );
    await expectSurvived("dynamodb", sent, async (key) =>
      (await tableStreamOrder(table.streamArn as string)).filter((e) => e.key === key).map((e) => e.id),
    );
  });
});

/** Every event on the stream, in each shard's order: the order a key's events must be applied in. */
async function kinesisOrder(streamName: string): Promise<{ key: string; id: string }[]> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const found: { key: string; id: string }[] = [];
  for (const shard of Shards) {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId!,
        ShardIteratorType: "TRIM_HORIZON",
      }),
    );
    const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 10_000 }));
    for (const record of Records) {
      const event = JSON.parse(Buffer.from(record.Data!).toString("utf8")) as ProbeEvent;
      found.push({ key: event.data.orderId, id: event.id });
    }
  }
  return found;
}

/** Every outbox insert on the table's stream, in the stream's order. */
async function tableStreamOrder(streamArn: string): Promise<{ key: string; id: string }[]> {
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const found: { key: string; id: string }[] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator: iterator } = await streams.send(
      new StreamIterator({ StreamArn: streamArn, ShardId: shard.ShardId!, ShardIteratorType: "TRIM_HORIZON" }),
    );
    while (iterator) {
      const out = await streams.send(new GetStreamRecords({ ShardIterator: iterator }));
      for (const record of out.Records ?? []) {
        const envelope = record.dynamodb?.NewImage?.envelope?.S;
        if (record.eventName !== "INSERT" || !envelope) continue;
        const event = JSON.parse(envelope) as ProbeEvent;
        found.push({ key: event.data.orderId, id: event.id });
      }
      if ((out.Records ?? []).length === 0) break;
      iterator = out.NextShardIterator;
    }
  }
  return found;
}
