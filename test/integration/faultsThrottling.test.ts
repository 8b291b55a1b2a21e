import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from "@aws-sdk/client-dynamodb-streams";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { SNSClient } from "@aws-sdk/client-sns";
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, DynamoDBBatchResponse } from "aws-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ForumCreated, PostCreated, ThreadCreated } from "../../events/forums.js";
import { MediaProcessed } from "../../events/media.js";
import { dynamodbStreamEvent, eventBridgeEvent, kinesisEvent } from "../../local/lambdaEvents.js";
import type { Resources } from "../../local/runtime/provision.js";
import { handler as threadCounter } from "../../services/forums/consumers/threads.js";
import { handler as createForumRoute } from "../../services/forums/routes/createForum.js";
import { services } from "../../services/index.js";
import { handler as viewCounter } from "../../services/products/consumers/views.js";
import { handler as recordViewRoute } from "../../services/products/routes/recordView.js";
import { createProduct } from "../../services/products/store/catalog.js";
import { keys as productKeys } from "../../services/products/store/keys.js";
import { type AwsClients, resetAwsClients, useAwsClients } from "../../shared/aws/index.js";
import { tableOf } from "../../shared/data/index.js";
import { PROBLEM_KINDS } from "../../shared/http/index.js";
import { logger } from "../../shared/logging/index.js";
import { outboxEvent, writeWithEvents } from "../../shared/outbox/index.js";
import { handler as outboxPublisher } from "../../shared/outbox/publisher.js";
import { buildTopology } from "../../shared/topology/index.js";
import { apiEvent, lambdaContext } from "../support/apiEvents.js";
import { useEmulators } from "../support/emulators.js";
import { type Fault, type FaultyService, type InjectedFaults, injectFaults } from "../support/faultInjection.js";
import { useLinks } from "../support/links.js";
import { provisioned } from "../support/provisioned.js";
import { type StreamReader, streamReader } from "../support/streams.js";

/**
 * Throttling and 5xx from DynamoDB, Kinesis, SQS, SNS and EventBridge, over the wire: the services provisioned on
 * the shared emulators, the handlers run with real SDK clients whose first calls are answered with the service's
 * own throttling exception or internal error (`injectFaults`), later calls reaching the emulator. Within the SDK's
 * attempts the write or publish succeeds, after backoff; past them a route answers 503 with `retry-after` and a
 * consumer's or the outbox publisher's batch is reported for the retry, and the retry finds every event: none lost.
 * The fault matrix is printed at the end.
 */
const emulators = useEmulators();
const prefix = `faults-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const topology = buildTopology(services);
const link = useLinks();

const observedTable = new DynamoDBClient(emulators.clientConfig("dynamodb"));
const observer = DynamoDBDocumentClient.from(observedTable);
const streams = new DynamoDBStreamsClient(emulators.clientConfig("dynamodb"));
const observedKinesis = new KinesisClient(emulators.clientConfig("kinesis"));
const observedSqs = new SQSClient(emulators.clientConfig("sqs"));
let resources: Resources = {};
const readers = new Map<string, StreamReader>();

for (const level of ["info", "warn", "error"] as const) vi.spyOn(logger, level).mockImplementation(() => {});

beforeAll(async () => {
  resources = await provisioned(emulators, services, prefix);
  link(resources);
  for (const stream of topology.streams)
    readers.set(stream.name, await streamReader(observedKinesis, resourceOf(stream.name).name!));
});

afterAll(() => {
  observedTable.destroy();
  streams.destroy();
  observedKinesis.destroy();
  observedSqs.destroy();
});

function resourceOf(name: string) {
  const resource = resources[name];
  if (!resource) throw new Error(`no resource ${name} provisioned`);
  return resource;
}

/** The clients the code under test runs with, fresh for each test so that no injected fault outlives it. */
let clients: {
  dynamodb: DynamoDBClient;
  kinesis: KinesisClient;
  sqs: SQSClient;
  sns: SNSClient;
  eventbridge: EventBridgeClient;
};

beforeEach(() => {
  clients = {
    dynamodb: new DynamoDBClient(emulators.clientConfig("dynamodb")),
    kinesis: new KinesisClient(emulators.clientConfig("kinesis")),
    sqs: new SQSClient(emulators.clientConfig("sqs")),
    sns: new SNSClient(emulators.clientConfig("sns")),
    eventbridge: new EventBridgeClient(emulators.clientConfig("eventbridge")),
  };
  const used: Partial<AwsClients> = {
    dynamo: DynamoDBDocumentClient.from(clients.dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    kinesis: clients.kinesis,
    sqs: clients.sqs,
    sns: clients.sns,
    eventBridge: clients.eventbridge,
  };
  useAwsClients(used);
});

afterEach(() => {
  resetAwsClients();
  for (const client of Object.values(clients)) client.destroy();
});

/**
 * Faults injected into the test's own client of `service`: one fewer than the attempts the SDK makes per call
 * (its `maxAttempts`: 3 by default, 4 for DynamoDB), or, `past` them, as many.
 */
async function inject(
  service: FaultyService,
  fault: Fault,
  past: boolean,
  commands: readonly string[] = [],
): Promise<{ faults: InjectedFaults; attempts: number }> {
  const attempts = await clients[service].config.maxAttempts();
  return { faults: injectFaults(clients[service], service, fault, past ? attempts : attempts - 1, commands), attempts };
}

/** One line of the fault matrix: the fault, the call it hit and where, the SDK's attempts, and what came of it. */
const matrix: string[] = [];
afterAll(() => {
  if (matrix.length > 0) console.info(`fault matrix (fault × transport → outcome):\n${matrix.join("\n")}`);
});
function record(fault: Fault, where: string, faults: InjectedFaults, attempts: number, outcome: string): void {
  const injected = faults.attempts.filter((a) => a.faulted).length;
  const call = `${faults.attempts[0]?.command.replace(/Command$/, "") ?? "?"} (${where})`;
  const backoff = faults.gaps().slice(0, Math.min(injected, attempts - 1));
  matrix.push(
    `  ${fault.padEnd(8)} ${call.padEnd(42)} ${injected} faulted of ${attempts} attempts a call, backoff ${backoff.map((gap) => `${gap} ms`).join(", ")} → ${outcome}; lost: nothing`,
  );
}

/** The retries the SDK made: every injected answer but the last was followed by another attempt, after a delay. */
function expectBackoff(faults: InjectedFaults, attempts: number): void {
  expect(faults.attempts).toHaveLength(attempts);
  expect(faults.gaps().reduce((sum, gap) => sum + gap, 0)).toBeGreaterThan(0);
}

async function answered(
  handler: (event: APIGatewayProxyEvent, context: Context) => Promise<unknown>,
  event: APIGatewayProxyEvent,
) {
  const result = (await handler(event, lambdaContext())) as APIGatewayProxyResult;
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return { status: result.statusCode, headers, body: result.body ? JSON.parse(result.body) : undefined };
}

/** A 503 problem with `retry-after`, naming nothing of the dependency. */
function expectUnavailable(answer: Awaited<ReturnType<typeof answered>>): void {
  expect(answer.status).toBe(503);
  expect(answer.headers["retry-after"]).toBe("1");
  expect(answer.body).toMatchObject({ type: PROBLEM_KINDS.unavailable.type, status: 503 });
  expect(JSON.stringify(answer.body)).not.toMatch(/injected|Throttl|Throughput|Internal/);
}

const FAULTS: readonly Fault[] = ["throttle", "5xx"];

// ---------------------------------------------------------------------------------------------------------------

describe("DynamoDB under a route: POST /forums", () => {
  const post = (idempotencyKey: string) =>
    apiEvent({
      httpMethod: "POST",
      path: "/forums",
      resource: "/forums",
      headers: { "content-type": "application/json", "idempotency-key": idempotencyKey },
      body: JSON.stringify({ name: "Faults" }),
      claims: { sub: `u-${randomUUID().slice(0, 8)}`, token_use: "access" },
    });

  for (const fault of FAULTS) {
    it(`${fault} within the SDK's attempts: 201, the forum and its ForumCreated committed together`, async () => {
      const { faults, attempts } = await inject("dynamodb", fault, false, ["TransactWriteItemsCommand"]);
      const created = await answered(createForumRoute, post(randomUUID()));
      expect(created.status).toBe(201);
      expectBackoff(faults, attempts);
      const forum = await observer.send(
        new GetCommand({
          TableName: resourceOf("ForumsTable").name!,
          Key: { pk: `FORUM#${created.body.forumId}`, sk: "FORUM" },
          ConsistentRead: true,
        }),
      );
      expect(forum.Item).toMatchObject({ forumId: created.body.forumId, name: "Faults" });
      expect(await outboxTypes("ForumsTable", created.body.forumId)).toEqual([ForumCreated.type]);
      record(fault, "POST /forums", faults, attempts, "201");
    });

    it(`${fault} past the SDK's attempts: 503 with retry-after, nothing written, and the retry creates it once`, async () => {
      const { faults, attempts } = await inject("dynamodb", fault, true, ["TransactWriteItemsCommand"]);
      const key = randomUUID();
      const request = post(key);
      const first = await answered(createForumRoute, request);
      expectUnavailable(first);
      expectBackoff(faults, attempts);
      // The client honours retry-after; the idempotency claim was released by the 503, so the same key runs again.
      const retried = await answered(createForumRoute, request);
      expect(retried.status).toBe(201);
      expect(faults.attempts.filter((a) => !a.faulted)).toHaveLength(1);
      expect(await outboxTypes("ForumsTable", retried.body.forumId)).toEqual([ForumCreated.type]);
      record(fault, "POST /forums", faults, attempts, "503 retry-after: 1, then 201 on retry");
    });
  }
});

/** The types of the events committed in `table`'s outbox under `key` (the entity's id). */
async function outboxTypes(table: string, key: string): Promise<string[]> {
  const { Items = [] } = await observer.send(
    new QueryCommand({
      TableName: resourceOf(table).name!,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": `OUTBOX#${key}` },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => (JSON.parse(String(item.envelope)) as { type: string }).type);
}

// ---------------------------------------------------------------------------------------------------------------

describe("Kinesis under a route: POST /products/{id}/views", () => {
  const stream = () => readers.get(topology.streams.find((s) => s.event === "products.ProductViewed")!.name)!;
  const product = () =>
    createProduct("seller-1", { name: "P", description: null, priceCents: 1, currency: "EUR", category: "books" }, []);
  const viewsOn = async (productId: string) =>
    [...(await stream().readNew()).values()]
      .flat()
      .filter((r) => Buffer.from(r.Data!).toString("utf8").includes(productId));

  for (const fault of FAULTS) {
    it(`${fault} within the SDK's attempts: 202 and exactly one record on the stream`, async () => {
      const { productId } = await product();
      await stream().readNew();
      const { faults, attempts } = await inject("kinesis", fault, false);
      expect((await answered(recordViewRoute, viewOf(productId))).status).toBe(202);
      expectBackoff(faults, attempts);
      expect(await viewsOn(productId)).toHaveLength(1);
      record(fault, "POST /products/{id}/views", faults, attempts, "202");
    });

    it(`${fault} past the SDK's attempts: 503 with retry-after and nothing on the stream, then 202 on retry`, async () => {
      const { productId } = await product();
      await stream().readNew();
      const { faults, attempts } = await inject("kinesis", fault, true);
      expectUnavailable(await answered(recordViewRoute, viewOf(productId)));
      expectBackoff(faults, attempts);
      expect(await viewsOn(productId)).toHaveLength(0);
      expect((await answered(recordViewRoute, viewOf(productId))).status).toBe(202);
      expect(await viewsOn(productId)).toHaveLength(1);
      record(fault, "POST /products/{id}/views", faults, attempts, "503 retry-after: 1, then 202 on retry");
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------

/** The stream records of `table` that hold the outbox items of `eventIds`, as the publisher's mapping passes them. */
async function outboxRecords(table: string, eventIds: readonly string[]) {
  const streamArn = resourceOf(table).streamArn as string;
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const found: StreamRecord[] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator: iterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId!, ShardIteratorType: "TRIM_HORIZON" }),
    );
    while (iterator) {
      const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      const records = out.Records ?? [];
      found.push(...records.filter((r) => eventIds.includes(r.dynamodb?.NewImage?.eventId?.S ?? "")));
      if (records.length === 0) break;
      iterator = out.NextShardIterator;
    }
  }
  expect(found).toHaveLength(eventIds.length);
  return dynamodbStreamEvent(found, streamArn);
}

interface PublishCase {
  readonly service: FaultyService;
  /** What publishes, and to which transport. */
  readonly where: string;
  readonly table: string;
  /** Commits two events in the table's outbox; their ids. */
  commit(): Promise<readonly string[]>;
}

/** Commits `events` alone in the outbox of `table` (its definition as the topology has it); their ids. */
async function commitEvents(table: string, events: Parameters<typeof writeWithEvents>[2]): Promise<readonly string[]> {
  const definition = topology.tables.find((t) => t.name === table)!;
  return (await writeWithEvents(tableOf<object>(table, definition), [], events)).eventIds;
}
const at = new Date().toISOString();
const forumPayload = () => ({ forumId: `f${randomUUID().slice(0, 8)}`, ownerId: "owner", name: "F", createdAt: at });

const publishCases: readonly PublishCase[] = [
  {
    service: "eventbridge",
    where: "outbox → EventBridge",
    table: "ForumsTable",
    commit: () =>
      commitEvents("ForumsTable", [
        outboxEvent(ForumCreated, forumPayload()),
        outboxEvent(ForumCreated, forumPayload()),
      ]),
  },
  {
    service: "kinesis",
    where: "outbox → Kinesis",
    table: "ForumsTable",
    commit: () =>
      commitEvents(
        "ForumsTable",
        [0, 1].map(() =>
          outboxEvent(
            PostCreated,
            {
              postId: `p${randomUUID().slice(0, 8)}`,
              threadId: "t-faults",
              forumId: "f-faults",
              authorId: "owner",
              createdAt: at,
            },
            { orderKey: "t-faults" },
          ),
        ),
      ),
  },
  {
    service: "sns",
    where: "outbox → SNS",
    table: "MediaTable",
    commit: () =>
      commitEvents(
        "MediaTable",
        [0, 1].map(() =>
          outboxEvent(MediaProcessed, {
            mediaId: `m${randomUUID().slice(0, 8)}`,
            ownerId: "owner",
            purpose: "avatar",
            status: "failed",
            contentType: "image/png",
            failureReason: "corrupt",
            processedAt: at,
          }),
        ),
      ),
  },
];

const publish = (event: ReturnType<typeof dynamodbStreamEvent>) =>
  outboxPublisher(event, lambdaContext()) as Promise<DynamoDBBatchResponse>;

describe("the outbox publisher on EventBridge, Kinesis and SNS", () => {
  for (const c of publishCases)
    for (const fault of FAULTS) {
      it(`${c.where}, ${fault} within the SDK's attempts: both events out in one invocation`, async () => {
        const ids = await c.commit();
        const batch = await outboxRecords(c.table, ids);
        const { faults, attempts } = await inject(c.service, fault, false);
        expect(await publish(batch)).toEqual({ batchItemFailures: [] });
        // The first event took the faults and the backoff; the second went straight out.
        expect(faults.attempts).toHaveLength(attempts + 1);
        const backoff = faults.gaps().slice(0, attempts - 1);
        expect(backoff.reduce((sum, gap) => sum + gap, 0)).toBeGreaterThan(0);
        record(fault, c.where, faults, attempts, "published");
      });

      it(`${c.where}, ${fault} past the SDK's attempts: the batch is reported from the first event, the retry publishes both`, async () => {
        const ids = await c.commit();
        const batch = await outboxRecords(c.table, ids);
        const { faults, attempts } = await inject(c.service, fault, true);
        const sequence = batch.Records.map((r) => r.dynamodb!.SequenceNumber!);
        const failed = await publish(batch);
        expect(failed.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(sequence);
        expectBackoff(faults, attempts);
        // Lambda retries from the lowest reported record: the outbox items are still in the stream.
        expect(await publish(await outboxRecords(c.table, ids))).toEqual({ batchItemFailures: [] });
        expect(faults.attempts.filter((a) => !a.faulted)).toHaveLength(ids.length);
        expect(await dlqDepth(outboxDlq(c.table))).toBe(0);
        record(fault, c.where, faults, attempts, "batch reported, published on retry");
      });
    }
});

const outboxDlq = (table: string) => topology.outboxes.find((o) => o.table === table)!.failureDestination;

async function dlqDepth(queue: string, drain = false): Promise<number> {
  const url = resourceOf(queue).url as string;
  const { Messages = [] } = await observedSqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageAttributeNames: ["All"],
    }),
  );
  if (drain)
    for (const m of Messages)
      await observedSqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
  return Messages.length;
}

// ---------------------------------------------------------------------------------------------------------------

describe("SQS under a consumer: a poison record's way to the DLQ", () => {
  const subscription = topology.subscriptions.find((s) => s.name === "ForumsThreadCreatedThreadCreated")!;
  const dlq = subscription.failureDestination;
  // A ThreadCreated whose payload its contract refuses: poison, for the consumer's DLQ with the reason.
  const poison = () =>
    eventBridgeEvent(
      {
        Source: "summit.forums",
        DetailType: ThreadCreated.type,
        Detail: JSON.stringify({
          id: randomUUID(),
          type: ThreadCreated.type,
          version: 1,
          time: at,
          producer: "forums",
          correlationId: "c-1",
          data: { threadId: "" },
        }),
      },
      { id: randomUUID(), account: "000000000000", region: "us-east-1" },
    );

  beforeEach(async () => {
    link({ FailureQueue: resourceOf(dlq) });
    await dlqDepth(dlq, true);
  });

  for (const fault of FAULTS) {
    it(`${fault} within the SDK's attempts: the record reaches the DLQ once`, async () => {
      const { faults, attempts } = await inject("sqs", fault, false, ["SendMessageCommand"]);
      await threadCounter(poison(), lambdaContext());
      expectBackoff(faults, attempts);
      expect(await dlqDepth(dlq, true)).toBe(1);
      record(fault, "a consumer → its DLQ", faults, attempts, "on the DLQ");
    });

    it(`${fault} past the SDK's attempts: the invocation fails for Lambda to retry, and the retry reaches the DLQ`, async () => {
      const { faults, attempts } = await inject("sqs", fault, true, ["SendMessageCommand"]);
      const event = poison();
      await expect(threadCounter(event, lambdaContext())).rejects.toThrow();
      expect(await dlqDepth(dlq)).toBe(0);
      await threadCounter(event, lambdaContext());
      expect(await dlqDepth(dlq, true)).toBe(1);
      record(fault, "a consumer → its DLQ", faults, attempts, "invocation failed, on the DLQ on retry");
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------

describe("DynamoDB under a stream consumer: the view counter", () => {
  const subscription = topology.subscriptions.find((s) => s.event === "products.ProductViewed")!;
  const streamName = subscription.trigger.kind === "kinesis" ? subscription.trigger.stream : "";

  for (const fault of FAULTS) {
    it(`${fault} past the SDK's attempts: the batch is reported, the retry counts every view once`, async () => {
      const { productId } = await createProduct(
        "seller-1",
        { name: "P", description: null, priceCents: 1, currency: "EUR", category: "books" },
        [],
      );
      const reader = readers.get(streamName)!;
      await reader.readNew();
      for (let i = 0; i < 3; i++) expect((await answered(recordViewRoute, viewOf(productId))).status).toBe(202);
      const shardId = reader.shardOfKey(productId);
      const records = await reader.readShard(shardId);
      const { faults, attempts } = await inject("dynamodb", fault, true, ["TransactWriteItemsCommand"]);
      const arn = resourceOf(streamName).arn!;
      const failed = (await viewCounter(kinesisEvent(records, arn, shardId), lambdaContext())) as {
        batchItemFailures: { itemIdentifier: string }[];
      };
      expect(failed.batchItemFailures[0]?.itemIdentifier).toBe(records[0]!.SequenceNumber);
      expectBackoff(faults, attempts);
      expect(await viewCounter(kinesisEvent(records, arn, shardId), lambdaContext())).toEqual({
        batchItemFailures: [],
      });
      const views = await observer.send(
        new GetCommand({
          TableName: resourceOf("ProductsTable").name!,
          Key: productKeys.views(productId),
          ConsistentRead: true,
        }),
      );
      expect(views.Item?.views).toBe(3);
      record(fault, "the view counter, a Kinesis consumer", faults, attempts, "batch reported, counted once on retry");
    });
  }
});

function viewOf(productId: string) {
  return apiEvent({
    httpMethod: "POST",
    path: `/products/${productId}/views`,
    resource: "/products/{productId}/views",
    pathParameters: { productId },
    headers: {},
  });
}
