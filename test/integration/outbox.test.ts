import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from "@aws-sdk/client-dynamodb-streams";
import {
  GetRecordsCommand as GetKinesisRecords,
  KinesisClient,
  GetShardIteratorCommand as KinesisIterator,
} from "@aws-sdk/client-kinesis";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { matchesPattern } from "../../local/eventbridge/matchPattern.js";
import { dynamodbStreamEvent } from "../../local/lambdaEvents.js";
import { resetAwsClients, useAwsClients } from "../../shared/aws/index.js";
import { runWithInvocation } from "../../shared/context/index.js";
import { tableOf } from "../../shared/data/index.js";
import { logger } from "../../shared/logging/index.js";
import { outboxEvent, writeWithEvents } from "../../shared/outbox/index.js";
import { outboxPublisher } from "../../shared/outbox/publisher.js";
import { limits, outgoingEvents, PublishError } from "../../shared/publish/index.js";
import { outboxFilter } from "../../shared/topology/index.js";
import { lambdaContext } from "../support/apiEvents.js";
import { useEmulators } from "../support/emulators.js";
import { useLinks } from "../support/links.js";
import { createKeyedTable } from "../support/tables.js";
import { NoteQueued, NoteStreamed, notePayload, traceHeader } from "../support/transportContracts.js";
import { createQueue, createStream, receive, uniqueName } from "../support/transportWiring.js";

/**
 * The outbox over the wire: writes commit their events into DynamoDB Local, the table's stream (read with the real
 * Streams API) is handed to the real publisher handler as Lambda would, and the events are read back from the real
 * transports. Only a transport outage is made by hand: the stream's client points at a port nobody listens on.
 */
const emulators = useEmulators();
const dynamo = new DynamoDBClient(emulators.clientConfig("dynamodb"));
const documents = DynamoDBDocumentClient.from(dynamo);
const streams = new DynamoDBStreamsClient(emulators.clientConfig("dynamodb"));
const sqs = new SQSClient(emulators.clientConfig("sqs"));
const kinesis = new KinesisClient(emulators.clientConfig("kinesis"));
const definition = { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt" } as const;
const table = tableOf("LabTable", definition);
const tableName = uniqueName("outbox");
let streamArn = "";
let streamName = "";
let queue = { url: "", arn: "" };
let failures = { url: "", arn: "" };
const seen = new Set<string>();
const link = useLinks();
vi.spyOn(logger, "warn").mockImplementation(() => {});
vi.spyOn(logger, "error").mockImplementation(() => {});
vi.spyOn(logger, "info").mockImplementation(() => {});

beforeAll(async () => {
  const created = await createKeyedTable(dynamo, tableName, { stream: "NEW_IMAGE" });
  streamArn = created.LatestStreamArn!;
  streamName = (await createStream(kinesis)).name;
  queue = await createQueue(sqs, "outbox-notes");
  failures = await createQueue(sqs, "outbox-failures");
  link({
    LabTable: { name: tableName },
    LabNoteStreamedStream: { name: streamName },
    LabNoteQueuedQueue: { url: queue.url },
  });
});

afterAll(() => {
  dynamo.destroy();
  streams.destroy();
  sqs.destroy();
  kinesis.destroy();
});

/** Every record of the table's stream from the start, in the stream's order. */
async function streamRecords(): Promise<StreamRecord[]> {
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const records: StreamRecord[] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator: iterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId!, ShardIteratorType: "TRIM_HORIZON" }),
    );
    while (iterator) {
      const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      records.push(...(out.Records ?? []));
      if ((out.Records ?? []).length === 0) break;
      iterator = out.NextShardIterator;
    }
  }
  return records;
}

/** The records of the stream the publisher's mapping would pass (its filter), newer than `after`. */
async function outboxRecords(after: Set<string>): Promise<DynamoDBStreamEvent> {
  const event = dynamodbStreamEvent(await streamRecords(), streamArn);
  const pattern = outboxFilter(definition);
  return {
    Records: event.Records.filter(
      (r) =>
        !after.has(r.dynamodb?.SequenceNumber ?? "") &&
        matchesPattern(pattern, r as unknown as Record<string, unknown>),
    ),
  };
}

async function nextBatch(): Promise<DynamoDBStreamEvent> {
  const event = await outboxRecords(seen);
  for (const r of event.Records) seen.add(r.dynamodb!.SequenceNumber!);
  return event;
}

async function kinesisData(): Promise<Record<string, unknown>[]> {
  const { ShardIterator } = await kinesis.send(
    new KinesisIterator({ StreamName: streamName, ShardId: "shardId-000000000000", ShardIteratorType: "TRIM_HORIZON" }),
  );
  const { Records = [] } = await kinesis.send(new GetKinesisRecords({ ShardIterator }));
  return Records.map((r) => JSON.parse(Buffer.from(r.Data!).toString("utf8")) as Record<string, unknown>);
}

const publisher = outboxPublisher([NoteStreamed, NoteQueued], {
  failureQueueUrl: "",
  publish: { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } },
});
const run = (event: DynamoDBStreamEvent) => publisher(event, lambdaContext()) as Promise<DynamoDBBatchResponse>;

describe("the transactional outbox", () => {
  it("commits the write and its events together, then the publisher sends them as written, in commit order", async () => {
    const noteId = "n-order";
    const ids: string[] = [];
    await runWithInvocation({ correlationId: "corr-outbox" }, async () => {
      process.env._X_AMZN_TRACE_ID = traceHeader;
      for (let i = 0; i < 12; i++) {
        const outcome = await writeWithEvents(
          table,
          [{ put: { item: { pk: `NOTE#${noteId}`, sk: `V#${String(i).padStart(2, "0")}`, i } } }],
          [outboxEvent(NoteStreamed, notePayload({ noteId, count: i }))],
        );
        expect(outcome.committed).toBe(true);
        ids.push(...outcome.eventIds);
      }
      delete process.env._X_AMZN_TRACE_ID;
    });

    const batch = await nextBatch();
    expect(batch.Records).toHaveLength(12); // the entities' own inserts are not the publisher's
    expect(await run(batch)).toEqual({ batchItemFailures: [] });
    const sent = await kinesisData();
    expect(sent.map((e) => e.id)).toEqual(ids);
    expect(sent.map((e) => (e.data as { count: number }).count)).toEqual([...Array(12).keys()]);
    for (const envelope of sent) {
      expect(envelope).toMatchObject({ type: "lab.NoteStreamed", producer: "lab", correlationId: "corr-outbox" });
      expect(envelope.traceHeader).toBe(traceHeader); // the request's, as it was when the write committed
    }
  });

  it("a condition that fails commits neither the write nor its events", async () => {
    const item = { pk: "NOTE#dup", sk: "V" };
    const first = await writeWithEvents(
      table,
      [{ put: { item } }],
      [outboxEvent(NoteQueued, notePayload({ noteId: "dup" }))],
    );
    expect(first.committed).toBe(true);
    const again = await writeWithEvents(
      table,
      [{ put: { item, condition: { expression: "attribute_not_exists(pk)" } } }],
      [outboxEvent(NoteQueued, notePayload({ noteId: "dup" }))],
    );
    expect(again).toMatchObject({ committed: false, failed: [0] });
    const batch = await nextBatch();
    expect(batch.Records.map((r) => r.dynamodb?.NewImage?.eventId?.S)).toEqual(first.eventIds);
    expect(await run(batch)).toEqual({ batchItemFailures: [] });
    const messages = await receive(sqs, queue.url, 1);
    expect(messages.map((m) => (JSON.parse(m.Body!) as { id: string }).id)).toEqual(first.eventIds);
  });

  it("an outbox item's expiry is a REMOVE, which the publisher's filter never passes", async () => {
    const { eventIds } = await writeWithEvents(table, [], [outboxEvent(NoteQueued, notePayload({ noteId: "ttl" }))]);
    const inserted = await nextBatch();
    expect(inserted.Records).toHaveLength(1);
    const key = inserted.Records[0]!.dynamodb!.Keys!;
    await documents.send(new DeleteCommand({ TableName: tableName, Key: { pk: key.pk!.S, sk: key.sk!.S } }));
    const all = dynamodbStreamEvent(await streamRecords(), streamArn).Records;
    const removal = all.find((r) => r.eventName === "REMOVE" && r.dynamodb?.Keys?.sk?.S?.endsWith(eventIds[0]!));
    expect(removal).toBeDefined();
    expect(matchesPattern(outboxFilter(definition), removal as unknown as Record<string, unknown>)).toBe(false);
    expect((await nextBatch()).Records).toEqual([]);
  });

  it("a transport outage: the batch stops at the first unsent event and reports it and every later one", async () => {
    const payloads = ["a", "b", "c"].map((noteId) => outboxEvent(NoteStreamed, notePayload({ noteId })));
    for (const event of payloads) await writeWithEvents(table, [], [event]);
    const batch = await nextBatch();
    const before = (await kinesisData()).length;
    const down = new KinesisClient({
      ...emulators.clientConfig("kinesis"),
      endpoint: "http://127.0.0.1:9",
      maxAttempts: 1,
    });
    useAwsClients({ kinesis: down });
    try {
      const response = await run(batch);
      expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
        batch.Records.map((r) => r.dynamodb!.SequenceNumber),
      );
    } finally {
      resetAwsClients();
      down.destroy();
    }
    expect(await kinesisData()).toHaveLength(before); // nothing got out, so nothing is out of order
    // The retry, once the transport is back, sends all three in order.
    expect(await run(batch)).toEqual({ batchItemFailures: [] });
    const after = (await kinesisData()).slice(before).map((e) => (e.data as { noteId: string }).noteId);
    expect(after).toEqual(["a", "b", "c"]);
  });

  it("an event too large for its transport is refused with the write: nothing commits", async () => {
    const tooBig = notePayload({ noteId: "big", text: "x".repeat(limits.sqs.maxEntryBytes) });
    const item = { pk: "NOTE#big", sk: "V" };
    const refused = await writeWithEvents(table, [{ put: { item } }], [outboxEvent(NoteQueued, tooBig)]).then(
      () => expect.unreachable("the write should have been refused"),
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(PublishError);
    expect((refused as PublishError).failures).toEqual([expect.objectContaining({ code: "EntryTooLarge" })]);
    expect(await table.get({ pk: "NOTE#big", sk: "V" }, { consistent: true })).toBeUndefined();
    expect((await nextBatch()).Records).toEqual([]);
  });

  it("an item that can never be published goes to the DLQ with its reason, and the shard moves on", async () => {
    const withDlq = outboxPublisher([NoteStreamed, NoteQueued], { failureQueueUrl: failures.url });
    // Written around the outbox's own checks: an envelope just over what SQS takes once attributes are counted,
    // and an item that is no envelope at all.
    const [big] = outgoingEvents(NoteQueued, [
      notePayload({ noteId: "big", text: "x".repeat(limits.sqs.maxEntryBytes - 400) }),
    ]);
    const raw = (sk: string, envelope: string) => ({ pk: `OUTBOX#${sk}`, sk, eventId: sk, eventType: "x", envelope });
    await documents.send(new PutCommand({ TableName: tableName, Item: raw("big", big!.body) }));
    await documents.send(new PutCommand({ TableName: tableName, Item: raw("junk", "{not json") }));
    await writeWithEvents(table, [], [outboxEvent(NoteStreamed, notePayload({ noteId: "after-poison" }))]);
    const batch = await nextBatch();
    expect(batch.Records).toHaveLength(3);
    expect(await withDlq(batch, lambdaContext())).toEqual({ batchItemFailures: [] });
    const dead = await receive(sqs, failures.url, 2);
    const reason = (m: (typeof dead)[number], name: string) => m.MessageAttributes?.[name]?.StringValue;
    expect(dead.map((m) => [reason(m, "errorCode"), reason(m, "source")]).sort()).toEqual([
      ["InvalidJson", "dynamodb"],
      ["Refused", "dynamodb"],
    ]);
    expect(reason(dead.find((m) => reason(m, "errorCode") === "Refused")!, "errorMessage")).toContain("EntryTooLarge");
    const sent = (await kinesisData()).map((e) => (e.data as { noteId: string }).noteId);
    expect(sent.at(-1)).toBe("after-poison");
  });
});
