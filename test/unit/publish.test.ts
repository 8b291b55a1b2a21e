import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { PublishBatchCommand, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { linkEnv, resetResourceCache } from "../../shared/config.js";
import { runWithInvocation } from "../../shared/context/index.js";
import type { EventContract } from "../../shared/events/defineEvent.js";
import type { Envelope } from "../../shared/events/envelope.js";
import { chunkBySize } from "../../shared/publish/chunkBySize.js";
import {
  eventBridgeEntrySize,
  limits,
  messageAttributes,
  messageSize,
  PublishError,
  type PublishOptions,
  PublishValidationError,
  publish,
  publishBatch,
} from "../../shared/publish/index.js";
import { outgoingEvents } from "../../shared/publish/outgoingEvents.js";
import {
  NoteBroadcast,
  NotePushed,
  NoteQueued,
  NoteStreamed,
  notePayload,
  traceHeader,
} from "../support/transportContracts.js";

const config = { region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } };
const clients = {
  eventBridge: new EventBridgeClient(config),
  sns: new SNSClient(config),
  sqs: new SQSClient(config),
  kinesis: new KinesisClient(config),
};
const eventBridge = mockClient(clients.eventBridge);
const sns = mockClient(clients.sns);
const sqs = mockClient(clients.sqs);
const kinesis = mockClient(clients.kinesis);

const correlationId = "corr-1";
const options = (extra: PublishOptions = {}): PublishOptions => ({
  correlationId,
  clients,
  retry: { baseDelayMs: 1, maxDelayMs: 2 },
  ...extra,
});
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const linked = {
  ...linkEnv("Bus", { name: "summit-bus" }),
  ...linkEnv("LabNotePushedTopic", { arn: "arn:aws:sns:us-east-1:000000000000:notes" }),
  ...linkEnv("LabNoteQueuedQueue", { url: "http://sqs.local/000000000000/notes" }),
  ...linkEnv("LabNoteStreamedStream", { name: "notes-stream" }),
};

const allSent = async (input: { Entries: { Id: string }[] }) => ({
  Successful: input.Entries.map(({ Id }) => ({ Id, MessageId: `m-${Id}`, MD5OfMessageBody: "" })),
  Failed: [],
});
const allPut = async (input: { Records: unknown[] }) => ({
  FailedRecordCount: 0,
  Records: input.Records.map((_, i) => ({ SequenceNumber: `${i}`, ShardId: "shardId-000000000000" })),
});

beforeEach(() => {
  for (const mock of [eventBridge, sns, sqs, kinesis]) mock.reset();
  eventBridge.on(PutEventsCommand).callsFake(async (input: { Entries: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_, i) => ({ EventId: `eb-${i}` })),
  }));
  sns.on(PublishCommand).resolves({ MessageId: "m" });
  sns.on(PublishBatchCommand).callsFake(async (input: { PublishBatchRequestEntries: { Id: string }[] }) => ({
    Successful: input.PublishBatchRequestEntries.map(({ Id }) => ({ Id, MessageId: `m-${Id}` })),
    Failed: [],
  }));
  sqs.on(SendMessageCommand).resolves({ MessageId: "m" });
  sqs.on(SendMessageBatchCommand).callsFake(allSent);
  kinesis.on(PutRecordsCommand).callsFake(allPut);
  Object.assign(process.env, linked, { _X_AMZN_TRACE_ID: traceHeader });
  resetResourceCache();
});

afterEach(() => {
  for (const name of Object.keys(linked)) delete process.env[name];
  delete process.env._X_AMZN_TRACE_ID;
  resetResourceCache();
});

const many = (count: number, overrides: Parameters<typeof notePayload>[0] = {}) =>
  Array.from({ length: count }, (_, i) => notePayload({ noteId: `note-${i}`, ...overrides }));
const busEntries = () => eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
const detailOf = (entry: PutEventsRequestEntry | undefined): Envelope => JSON.parse(entry?.Detail ?? "null");

/** The PublishError a publish rejects with (fails the test when it resolves or throws something else). */
async function publishError(published: Promise<unknown>): Promise<PublishError> {
  const error = await published.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PublishError);
  return error as PublishError;
}

/** The size an event with `text` of length 0 has on `contract`'s transport; `text` adds one byte per ASCII char. */
function baseSize(contract: EventContract, measure: (body: string, payload: Record<string, unknown>) => number) {
  const [event] = outgoingEvents(contract, [notePayload({ text: "" })], { correlationId });
  return measure(event!.body, event!.payload);
}
const busBase = () =>
  baseSize(NoteBroadcast, (body) =>
    eventBridgeEntrySize({ Source: "summit.lab", DetailType: NoteBroadcast.type, Detail: body, Time: new Date() }),
  );
const topicBase = () =>
  baseSize(NotePushed, (body, payload) =>
    messageSize(body, messageAttributes(NotePushed, JSON.parse(body) as Envelope, payload)),
  );
const queueBase = () =>
  baseSize(NoteQueued, (body, payload) =>
    messageSize(body, messageAttributes(NoteQueued, JSON.parse(body) as Envelope, payload)),
  );
const streamBase = () => baseSize(NoteStreamed, (body) => Buffer.byteLength(body) + "note-1".length);

describe("chunkBySize", () => {
  const sized = (sizes: number[]) => sizes.map((size) => ({ size }));
  const counts = (chunks: unknown[][]) => chunks.map((chunk) => chunk.length);

  it("puts exactly 10 entries in one chunk and the 11th in the next", () => {
    expect(counts(chunkBySize(sized(Array(10).fill(1)), limits.eventBridge))).toEqual([10]);
    expect(counts(chunkBySize(sized(Array(11).fill(1)), limits.eventBridge))).toEqual([10, 1]);
  });

  it("fills a chunk to exactly 256 KB and starts another one byte over", () => {
    expect(counts(chunkBySize(sized([131_072, 131_072]), limits.sqs))).toEqual([2]);
    expect(counts(chunkBySize(sized([131_072, 131_073]), limits.sqs))).toEqual([1, 1]);
    expect(counts(chunkBySize(sized([100_000, 100_000, 62_144, 1]), limits.sns))).toEqual([3, 1]);
  });

  it("puts exactly 500 records in one Kinesis chunk and exactly 5 MiB, not a byte more", () => {
    expect(counts(chunkBySize(sized(Array(500).fill(1)), limits.kinesis))).toEqual([500]);
    expect(counts(chunkBySize(sized(Array(501).fill(1)), limits.kinesis))).toEqual([500, 1]);
    expect(counts(chunkBySize(sized(Array(5).fill(1_048_576)), limits.kinesis))).toEqual([5]);
    expect(counts(chunkBySize(sized([...Array(5).fill(1_048_576), 1]), limits.kinesis))).toEqual([5, 1]);
  });

  it("keeps the entries' order", () => {
    const entries = sized([5, 1, 4]).map((entry, i) => ({ ...entry, i }));
    expect(
      chunkBySize(entries, { maxCount: 2, maxBytes: 100, maxEntryBytes: 100 })
        .flat()
        .map((e) => e.i),
    ).toEqual([0, 1, 2]);
  });
});

describe("entry sizes", () => {
  it("counts a PutEvents entry as AWS documents: Time 14 bytes, then UTF-8 bytes of Source, DetailType, Detail, Resources", () => {
    const entry = { Source: "summit.lab", DetailType: "lab.Né", Detail: '{"a":"😀"}' };
    expect(eventBridgeEntrySize(entry)).toBe(10 + 7 + 12);
    expect(eventBridgeEntrySize({ ...entry, Time: new Date() })).toBe(14 + 10 + 7 + 12);
    expect(eventBridgeEntrySize({ ...entry, Resources: ["arn:x", "é"], TraceHeader: "Root=1-…" })).toBe(
      10 + 7 + 12 + 5 + 2,
    );
  });

  it("counts an SNS/SQS message as its body plus each attribute's name, data type and value", () => {
    const attributes = {
      k: { DataType: "String" as const, StringValue: "vé" },
      n: { DataType: "Number" as const, StringValue: "12" },
    };
    expect(messageSize("{}", attributes)).toBe(2 + (1 + 6 + 3) + (1 + 6 + 2));
  });
});

describe("publish: the envelope", () => {
  it("wraps the validated payload with id, type, version, time, producer, correlation id and trace header", async () => {
    const before = Date.now();
    const id = await publish(NoteBroadcast, notePayload(), options());
    const [entry] = busEntries()[0]!;
    const envelope = detailOf(entry);
    expect(envelope).toEqual({
      id,
      type: "lab.NoteBroadcast",
      version: 1,
      time: expect.any(String),
      producer: "lab",
      correlationId,
      traceHeader,
      data: notePayload(),
    });
    expect(id).toMatch(uuid);
    expect(Date.parse(envelope.time)).toBeGreaterThanOrEqual(before - 1);
    expect(new Date(envelope.time).toISOString()).toBe(envelope.time);
  });

  it("takes the correlation id of the current invocation, else starts a new one", async () => {
    await runWithInvocation({ correlationId: "from-request" }, () =>
      publish(NoteBroadcast, notePayload(), { clients }),
    );
    await publish(NoteBroadcast, notePayload(), { clients });
    const [first, second] = busEntries().map((entries) => detailOf(entries[0]));
    expect(first?.correlationId).toBe("from-request");
    expect(second?.correlationId).toMatch(uuid);
  });

  it("leaves the trace header out when there is no trace", async () => {
    delete process.env._X_AMZN_TRACE_ID;
    await publish(NoteBroadcast, notePayload(), options());
    const [entry] = busEntries()[0]!;
    expect(entry?.TraceHeader).toBeUndefined();
    expect(detailOf(entry)).not.toHaveProperty("traceHeader");
  });

  it("returns the event ids in the order of the payloads", async () => {
    const ids = await publishBatch(NoteBroadcast, many(3), options());
    expect(busEntries()[0]!.map((entry) => detailOf(entry).id)).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
  });

  it("sends nothing for an empty batch", async () => {
    expect(await publishBatch(NoteBroadcast, [], options())).toEqual([]);
    expect(eventBridge.calls()).toHaveLength(0);
  });
});

describe("publish: validation", () => {
  it("refuses an invalid payload with every issue path, and sends nothing", async () => {
    const wrong = { ...notePayload(), kind: "shout", count: -1, noteId: undefined };
    const error = await publish(NoteBroadcast, wrong as never, options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishValidationError);
    const paths = (error as PublishValidationError).issues.map((issue) => issue.path).sort();
    expect(paths).toEqual(["count", "kind", "noteId"]);
    expect((error as Error).message).toMatch(/lab\.NoteBroadcast.*kind/);
    expect(eventBridge.calls()).toHaveLength(0);
  });

  it("refuses a whole batch for one invalid payload, naming its index", async () => {
    const payloads = [notePayload(), { ...notePayload(), at: "yesterday" }];
    const error = await publishBatch(NoteBroadcast, payloads as never, options()).catch((e: unknown) => e);
    expect((error as PublishValidationError).issues).toEqual([{ index: 1, path: "at", message: expect.any(String) }]);
    expect(eventBridge.calls()).toHaveLength(0);
  });
});

describe("EventBridge", () => {
  it("puts each event on the linked bus: source summit.<domain>, detail-type the event type, trace header, time", async () => {
    await publish(NoteBroadcast, notePayload(), options());
    const [entry] = busEntries()[0]!;
    expect(entry).toMatchObject({
      EventBusName: "summit-bus",
      Source: "summit.lab",
      DetailType: "lab.NoteBroadcast",
      TraceHeader: traceHeader,
    });
    expect(entry?.Time?.toISOString()).toBe(detailOf(entry).time);
  });

  it("sends 10 entries in one request and 11 in two", async () => {
    await publishBatch(NoteBroadcast, many(10), options());
    expect(busEntries().map((entries) => entries.length)).toEqual([10]);
    eventBridge.resetHistory();
    await publishBatch(NoteBroadcast, many(11), options());
    expect(busEntries().map((entries) => entries.length)).toEqual([10, 1]);
  });

  it("fills a request to exactly 256 KB of entry size, and splits one byte over", async () => {
    const half = 131_072 - busBase();
    await publishBatch(
      NoteBroadcast,
      [notePayload({ text: "x".repeat(half) }), notePayload({ text: "x".repeat(half) })],
      options(),
    );
    const [entries] = busEntries();
    expect(entries?.map(eventBridgeEntrySize)).toEqual([131_072, 131_072]);
    eventBridge.resetHistory();
    await publishBatch(
      NoteBroadcast,
      [notePayload({ text: "x".repeat(half) }), notePayload({ text: "x".repeat(half + 1) })],
      options(),
    );
    expect(busEntries().map((entries) => entries.length)).toEqual([1, 1]);
  });

  it("sends one entry of exactly 256 KB; refuses one byte more before sending anything", async () => {
    const full = 262_144 - busBase();
    await publish(NoteBroadcast, notePayload({ text: "x".repeat(full) }), options());
    expect(busEntries()).toHaveLength(1);
    eventBridge.resetHistory();
    const error = await publishBatch(
      NoteBroadcast,
      [notePayload(), notePayload({ text: "x".repeat(full + 1) })],
      options(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).failures).toEqual([
      expect.objectContaining({ code: "EntryTooLarge", type: "lab.NoteBroadcast" }),
    ]);
    expect(eventBridge.calls()).toHaveLength(0);
  });

  it("re-sends only the failed entries", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: "a" }, { ErrorCode: "ThrottlingException", ErrorMessage: "slow down" }, { EventId: "c" }],
      })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: "b" }] });
    const ids = await publishBatch(NoteBroadcast, many(3), options());
    const [first, second] = busEntries();
    expect(first).toHaveLength(3);
    expect(second?.map((entry) => detailOf(entry).id)).toEqual([ids[1]]);
  });

  it("gives up after the attempts and lists what failed and what got out", async () => {
    eventBridge.on(PutEventsCommand).callsFake(async (input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: 1,
      Entries: input.Entries.map((entry) =>
        detailOf(entry).data && (detailOf(entry).data as { noteId: string }).noteId === "note-0"
          ? { ErrorCode: "InternalFailure", ErrorMessage: "boom" }
          : { EventId: "ok" },
      ),
    }));
    const error = await publishError(
      publishBatch(NoteBroadcast, many(2), options({ retry: { attempts: 3, baseDelayMs: 1 } })),
    );
    expect(error).toBeInstanceOf(PublishError);
    expect(busEntries().map((entries) => entries.length)).toEqual([2, 1, 1]);
    const failed = error.failures[0]!;
    expect(failed).toMatchObject({ code: "InternalFailure", message: "boom", type: "lab.NoteBroadcast" });
    expect(error.published).toHaveLength(1);
    expect(error.published).not.toContain(failed.eventId);
  });

  it("does not retry a request the SDK already gave up on", async () => {
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    const error = await publishError(publish(NoteBroadcast, notePayload(), options()));
    expect(error.failures[0]?.code).toBe("AccessDeniedException");
    expect(eventBridge.calls()).toHaveLength(1);
  });
});

describe("SNS", () => {
  it("publishes one event to the linked topic with the filterable message attributes", async () => {
    const id = await publish(NotePushed, notePayload({ kind: "alert", count: 7 }), options());
    const [call] = sns.commandCalls(PublishCommand);
    const input = call!.args[0].input;
    expect(input.TopicArn).toBe("arn:aws:sns:us-east-1:000000000000:notes");
    expect(JSON.parse(input.Message ?? "")).toMatchObject({ id, type: "lab.NotePushed", correlationId, traceHeader });
    expect(input.MessageAttributes).toEqual({
      eventType: { DataType: "String", StringValue: "lab.NotePushed" },
      eventVersion: { DataType: "Number", StringValue: "1" },
      producer: { DataType: "String", StringValue: "lab" },
      correlationId: { DataType: "String", StringValue: correlationId },
      kind: { DataType: "String", StringValue: "alert" },
      count: { DataType: "Number", StringValue: "7" },
    });
  });

  it("batches 10 messages per PublishBatch", async () => {
    await publishBatch(NotePushed, many(11), options());
    expect(
      sns.commandCalls(PublishBatchCommand).map((c) => c.args[0].input.PublishBatchRequestEntries?.length),
    ).toEqual([10]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it("fills a batch to exactly 256 KB of message size and splits one byte over", async () => {
    const half = 131_072 - topicBase();
    await publishBatch(
      NotePushed,
      [notePayload({ text: "x".repeat(half) }), notePayload({ text: "x".repeat(half) })],
      options(),
    );
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(1);
    sns.resetHistory();
    await publishBatch(
      NotePushed,
      [notePayload({ text: "x".repeat(half) }), notePayload({ text: "x".repeat(half + 1) })],
      options(),
    );
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(2);
  });

  it("re-sends only the failed entries, unless the failure is the sender's", async () => {
    sns.on(PublishBatchCommand).callsFakeOnce(async (input: { PublishBatchRequestEntries: { Id: string }[] }) => {
      const [a, b, c] = input.PublishBatchRequestEntries;
      return {
        Successful: [{ Id: a!.Id }],
        Failed: [
          { Id: b!.Id, Code: "InternalError", SenderFault: false, Message: "try again" },
          { Id: c!.Id, Code: "InvalidParameter", SenderFault: true, Message: "bad" },
        ],
      };
    });
    const error = await publishError(publishBatch(NotePushed, many(3), options()));
    expect(error).toBeInstanceOf(PublishError);
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(1);
    const retried = sns.commandCalls(PublishCommand).map((c) => JSON.parse(c.args[0].input.Message ?? "").data.noteId);
    expect(retried).toEqual(["note-1"]);
    expect(error.failures).toEqual([expect.objectContaining({ code: "InvalidParameter", message: "bad" })]);
    expect(error.published).toHaveLength(2);
  });
});

describe("SQS", () => {
  it("sends one event to the linked queue with attributes and the AWSTraceHeader system attribute", async () => {
    await publish(NoteQueued, notePayload(), options());
    const input = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(input.QueueUrl).toBe("http://sqs.local/000000000000/notes");
    expect(JSON.parse(input.MessageBody ?? "")).toMatchObject({ type: "lab.NoteQueued", version: 2 });
    expect(input.MessageSystemAttributes).toEqual({ AWSTraceHeader: { DataType: "String", StringValue: traceHeader } });
    expect(input.MessageAttributes).toMatchObject({
      eventType: { DataType: "String", StringValue: "lab.NoteQueued" },
      eventVersion: { DataType: "Number", StringValue: "2" },
      kind: { DataType: "String", StringValue: "memo" },
    });
    expect(input.MessageAttributes).not.toHaveProperty("count");
  });

  it("sends 10 per SendMessageBatch and re-sends only the failed entries", async () => {
    sqs
      .on(SendMessageBatchCommand)
      .callsFakeOnce(async (input: { Entries: { Id: string }[] }) => ({
        Successful: input.Entries.slice(1).map(({ Id }) => ({ Id })),
        Failed: [{ Id: input.Entries[0]!.Id, Code: "InternalError", SenderFault: false }],
      }))
      .callsFake(allSent);
    const ids = await publishBatch(NoteQueued, many(12), options());
    const batches = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.map((e) => e.Id));
    expect(batches.map((batch) => batch?.length)).toEqual([10, 2]);
    const retried = sqs.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody ?? "").id);
    expect(retried).toEqual([ids[0]]);
    expect(batches[0]?.[0]).toBe(ids[0]);
  });

  it("refuses a message one byte over 256 KB before sending anything", async () => {
    const full = 262_144 - queueBase();
    await publish(NoteQueued, notePayload({ text: "x".repeat(full) }), options());
    const error = await publishError(publish(NoteQueued, notePayload({ text: "x".repeat(full + 1) }), options()));
    expect(error.failures[0]?.code).toBe("EntryTooLarge");
    expect(sqs.calls()).toHaveLength(1);
  });
});

describe("Kinesis", () => {
  const recordCounts = () => kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records?.length);

  it("puts the envelope bytes keyed by the contract's partition key on the linked stream", async () => {
    const id = await publish(NoteStreamed, notePayload({ noteId: "thread-9" }), options());
    const input = kinesis.commandCalls(PutRecordsCommand)[0]!.args[0].input;
    expect(input.StreamName).toBe("notes-stream");
    const [record] = input.Records ?? [];
    expect(record?.PartitionKey).toBe("thread-9");
    const envelope = JSON.parse(Buffer.from(record!.Data!).toString("utf8"));
    expect(envelope).toMatchObject({ id, type: "lab.NoteStreamed", traceHeader, correlationId });
  });

  it("sends 500 records in one request and 501 in two", async () => {
    await publishBatch(NoteStreamed, many(500), options());
    expect(recordCounts()).toEqual([500]);
    kinesis.resetHistory();
    await publishBatch(NoteStreamed, many(501), options());
    expect(recordCounts()).toEqual([500, 1]);
  });

  it("fills a request to exactly 5 MiB (partition keys included) and splits beyond", async () => {
    const mib = 1_048_576 - streamBase();
    const big = (i: number) => notePayload({ noteId: `note-${i}`, text: "x".repeat(mib) });
    await publishBatch(NoteStreamed, [1, 2, 3, 4, 5].map(big), options());
    expect(recordCounts()).toEqual([5]);
    kinesis.resetHistory();
    await publishBatch(NoteStreamed, [...[1, 2, 3, 4, 5].map(big), notePayload({ noteId: "note-6" })], options());
    expect(recordCounts()).toEqual([5, 1]);
  });

  it("refuses a record one byte over 1 MiB before sending anything", async () => {
    const mib = 1_048_576 - streamBase();
    const error = await publishError(publish(NoteStreamed, notePayload({ text: "x".repeat(mib + 1) }), options()));
    expect(error.failures[0]?.code).toBe("EntryTooLarge");
    expect(kinesis.calls()).toHaveLength(0);
  });

  it("re-sends only the failed records", async () => {
    kinesis
      .on(PutRecordsCommand)
      .callsFakeOnce(async (input: { Records: unknown[] }) => ({
        FailedRecordCount: 2,
        Records: input.Records.map((_, i) =>
          i % 2 === 0
            ? { ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: "rate" }
            : { SequenceNumber: `${i}`, ShardId: "shardId-000000000000" },
        ),
      }))
      .callsFake(allPut);
    await publishBatch(NoteStreamed, many(4), options());
    const calls = kinesis
      .commandCalls(PutRecordsCommand)
      .map((c) => c.args[0].input.Records?.map((r) => r.PartitionKey));
    expect(calls).toEqual([
      ["note-0", "note-1", "note-2", "note-3"],
      ["note-0", "note-2"],
    ]);
  });
});

describe("message attributes", () => {
  const envelope: Envelope = {
    id: "e",
    type: "lab.Tagged",
    version: 3,
    time: "2025-01-01T00:00:00.000Z",
    producer: "lab",
    correlationId: "c",
    data: {},
  };

  it("types numbers as Number, booleans as String, arrays as String.Array and leaves out empty values", () => {
    const attributes = messageAttributes(
      { type: "lab.Tagged", attributes: ["n", "flag", "tags", "none", "empty"] },
      envelope,
      { n: 2.5, flag: true, tags: ["a", "b"], none: null, empty: "" },
    );
    expect(attributes).toMatchObject({
      eventVersion: { DataType: "Number", StringValue: "3" },
      n: { DataType: "Number", StringValue: "2.5" },
      flag: { DataType: "String", StringValue: "true" },
      tags: { DataType: "String.Array", StringValue: '["a","b"]' },
    });
    expect(Object.keys(attributes)).not.toContain("none");
    expect(Object.keys(attributes)).not.toContain("empty");
  });

  it("refuses more than the 10 attributes SQS accepts", () => {
    const names = ["a", "b", "c", "d", "e", "f", "g"];
    expect(() =>
      messageAttributes(
        { type: "lab.Tagged", attributes: names },
        envelope,
        Object.fromEntries(names.map((n) => [n, n])),
      ),
    ).toThrow(/10 message attributes/);
  });
});

describe("destination", () => {
  it("can be overridden per call", async () => {
    await publish(NoteBroadcast, notePayload(), options({ destination: "other-bus" }));
    expect(busEntries()[0]?.[0]?.EventBusName).toBe("other-bus");
  });

  it("fails clearly when the resource is not linked", async () => {
    delete process.env.SST_RESOURCE_Bus;
    resetResourceCache();
    await expect(publish(NoteBroadcast, notePayload(), options())).rejects.toThrow(/SST_RESOURCE_Bus/);
  });
});
