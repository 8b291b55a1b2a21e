import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { SNSClient } from "@aws-sdk/client-sns";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventBridgeEvent, kinesisEvent, snsEvent, sqsEvent } from "../../local/lambdaEvents.js";
import { resetAwsClients } from "../../shared/aws/index.js";
import { linkEnv, resetResourceCache } from "../../shared/config.js";
import { onEventBridge, onKinesis, onSns, onSqs } from "../../shared/consume/index.js";
import { runWithInvocation } from "../../shared/context/index.js";
import type { Envelope } from "../../shared/events/envelope.js";
import { logger } from "../../shared/logging/index.js";
import { publish, publishBatch } from "../../shared/publish/index.js";
import { useEmulators } from "../support/emulators.js";
import {
  NoteBroadcast,
  NotePushed,
  NoteQueued,
  NoteStreamed,
  notePayload,
  traceHeader,
} from "../support/transportContracts.js";
import { busToQueue, createQueue, createStream, receive, topicToQueue } from "../support/transportWiring.js";

/**
 * Round trips through the four transports with the real SDK against the emulators: publish → the wiring a
 * deployed system has → the Lambda event a function would get → the consumer helper.
 */
const emulators = useEmulators();
logger.setLogLevel("SILENT");

const sqs = new SQSClient(emulators.clientConfig("sqs"));
const sns = new SNSClient(emulators.clientConfig("sns"));
const events = new EventBridgeClient(emulators.clientConfig("eventbridge"));
const kinesis = new KinesisClient(emulators.clientConfig("kinesis"));
const context = { awsRequestId: "req-it", functionName: "consumer" } as Context;
const correlationId = "corr-integration";

let failureQueue: { url: string; arn: string };
let noteQueue: { url: string; arn: string };
let topic: Awaited<ReturnType<typeof topicToQueue>>;
let bus: Awaited<ReturnType<typeof busToQueue>>;
let stream: Awaited<ReturnType<typeof createStream>>;
const linked: string[] = [];

beforeAll(async () => {
  // The code under test uses default clients: they read AWS_ENDPOINT_URL_* that useEmulators() just set.
  resetAwsClients();
  process.env._X_AMZN_TRACE_ID = traceHeader;
  failureQueue = await createQueue(sqs, "failures");
  noteQueue = await createQueue(sqs, "notes");
  topic = await topicToQueue(sns, sqs);
  bus = await busToQueue(events, sqs, "summit.lab", NoteBroadcast.type);
  stream = await createStream(kinesis);
  const env = {
    ...linkEnv("FailureQueue", failureQueue),
    ...linkEnv("LabNoteQueuedQueue", noteQueue),
    ...linkEnv("LabNotePushedTopic", { arn: topic.topicArn }),
    ...linkEnv("Bus", { name: bus.bus }),
    ...linkEnv("LabNoteStreamedStream", { name: stream.name, arn: stream.arn }),
  };
  Object.assign(process.env, env);
  linked.push(...Object.keys(env));
  resetResourceCache();
});

afterAll(() => {
  for (const name of linked) delete process.env[name];
  delete process.env._X_AMZN_TRACE_ID;
  resetResourceCache();
  resetAwsClients();
});

/** What every consumed envelope must be: exactly what was published. */
function expectPublished(envelope: Envelope | undefined, id: string, type: string, version: number, since: number) {
  expect(envelope).toEqual({
    id,
    type,
    version,
    time: expect.any(String),
    producer: "lab",
    correlationId,
    traceHeader,
    data: expect.any(Object),
  });
  const time = Date.parse(envelope!.time);
  expect(time).toBeGreaterThanOrEqual(since - 1);
  expect(time).toBeLessThanOrEqual(Date.now());
}

const published = (fn: () => Promise<string[]>) => runWithInvocation({ correlationId }, fn);

describe("SQS", () => {
  it("round trip: SendMessage → ReceiveMessage → SQS event → onSqs, with partial batch failures", async () => {
    const since = Date.now();
    const ids = await published(() =>
      publishBatch(NoteQueued, [notePayload({ noteId: "q1" }), notePayload({ noteId: "q2", kind: "alert" })]),
    );
    const messages = await receive(sqs, noteQueue.url, 2);
    const event = sqsEvent(messages, noteQueue.arn);

    const record = event.Records.find((r) => r.body.includes('"q2"'))!;
    expect(record).toMatchObject({ eventSource: "aws:sqs", eventSourceARN: noteQueue.arn, awsRegion: "us-east-1" });
    expect(record.attributes.ApproximateReceiveCount).toBe("1");
    expect(record.attributes.AWSTraceHeader).toBe(traceHeader);
    expect(record.messageAttributes.eventType).toMatchObject({ stringValue: "lab.NoteQueued", dataType: "String" });
    expect(record.messageAttributes.eventVersion).toMatchObject({ stringValue: "2", dataType: "Number" });
    expect(record.messageAttributes.kind).toMatchObject({ stringValue: "alert", dataType: "String" });

    const seen = new Map<string, Envelope>();
    const consume = onSqs(NoteQueued, (payload, envelope) => {
      seen.set(payload.noteId, envelope);
      if (payload.noteId === "q2") throw new Error("handler failed");
    });
    const response = await consume(event, context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expectPublished(seen.get("q1"), ids[0]!, "lab.NoteQueued", 2, since);
    expectPublished(seen.get("q2"), ids[1]!, "lab.NoteQueued", 2, since);
    expect(seen.get("q2")?.data).toEqual(notePayload({ noteId: "q2", kind: "alert" }));
  });

  it("a poison record lands in the real failure queue with its reason", async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: noteQueue.url, MessageBody: '{"not":"an envelope"}' }));
    const [message] = await receive(sqs, noteQueue.url, 1);
    const consume = onSqs(NoteQueued, () => {
      throw new Error("never called");
    });
    expect(await consume(sqsEvent([message!], noteQueue.arn), context)).toEqual({ batchItemFailures: [] });

    const [failed] = await receive(sqs, failureQueue.url, 1);
    expect(failed?.Body).toBe('{"not":"an envelope"}');
    const reason = Object.fromEntries(
      Object.entries(failed?.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
    );
    expect(reason).toMatchObject({ errorCode: "InvalidEnvelope", source: "sqs", recordId: message!.MessageId });
    expect(reason.errorMessage).toMatch(/id/);
  });
});

describe("SNS", () => {
  it("round trip: Publish → subscribed queue → SNS event → onSns, and the same message through onSqs", async () => {
    const since = Date.now();
    const [id] = await published(async () => [await publish(NotePushed, notePayload({ count: 42 }))]);
    const [message] = await receive(sqs, topic.queue.url, 1);
    const notification = JSON.parse(message!.Body!);
    expect(notification).toMatchObject({ Type: "Notification", TopicArn: topic.topicArn });
    expect(notification.MessageAttributes).toMatchObject({
      eventType: { Type: "String", Value: "lab.NotePushed" },
      count: { Type: "Number", Value: "42" },
    });

    const fromTopic: Envelope[] = [];
    await onSns(NotePushed, (_payload, envelope) => void fromTopic.push(envelope))(
      snsEvent(notification, topic.subscriptionArn),
      context,
    );
    const viaQueue: Envelope[] = [];
    const response = await onSqs(NotePushed, (_payload, envelope) => void viaQueue.push(envelope))(
      sqsEvent([message!], topic.queue.arn),
      context,
    );
    expect(response.batchItemFailures).toEqual([]);
    expectPublished(fromTopic[0], id!, "lab.NotePushed", 1, since);
    expect(viaQueue).toEqual(fromTopic);
    expect(fromTopic[0]?.data).toEqual(notePayload({ count: 42 }));
  });

  it("a handler error is rethrown for Lambda's async retries", async () => {
    await published(async () => [await publish(NotePushed, notePayload())]);
    const [message] = await receive(sqs, topic.queue.url, 1);
    const consume = onSns(NotePushed, () => {
      throw new Error("handler failed");
    });
    await expect(consume(snsEvent(JSON.parse(message!.Body!), topic.subscriptionArn), context)).rejects.toThrow(
      "handler failed",
    );
  });
});

describe("EventBridge", () => {
  it("round trip: PutEvents → rule → queue → EventBridge event → onEventBridge, and through onSqs", async () => {
    const since = Date.now();
    const [id] = await published(async () => [await publish(NoteBroadcast, notePayload({ noteId: "b1" }))]);
    const [message] = await receive(sqs, bus.queue.url, 1);
    const delivered = JSON.parse(message!.Body!);
    expect(delivered).toMatchObject({ source: "summit.lab", "detail-type": "lab.NoteBroadcast", version: "0" });

    const direct: Envelope[] = [];
    await onEventBridge(NoteBroadcast, (_payload, envelope) => void direct.push(envelope))(delivered, context);
    const viaQueue: Envelope[] = [];
    const response = await onSqs(NoteBroadcast, (_payload, envelope) => void viaQueue.push(envelope))(
      sqsEvent([message!], bus.queue.arn),
      context,
    );
    expect(response.batchItemFailures).toEqual([]);
    expectPublished(direct[0], id!, "lab.NoteBroadcast", 1, since);
    expect(viaQueue).toEqual(direct);
    // The event a rule would hand a Lambda target directly has the same shape.
    const built = eventBridgeEvent(
      { Source: delivered.source, DetailType: delivered["detail-type"], Detail: JSON.stringify(delivered.detail) },
      { id: delivered.id, account: delivered.account, region: delivered.region },
    );
    expect(Object.keys(built).sort()).toEqual(Object.keys(delivered).sort());
  });
});

describe("Kinesis", () => {
  it("round trip: PutRecords → GetRecords → Kinesis event → onKinesis, stopping at the first failure", async () => {
    const since = Date.now();
    const ids = await published(() =>
      publishBatch(
        NoteStreamed,
        ["k1", "k2", "k3"].map((noteId) => notePayload({ noteId })),
      ),
    );
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: stream.name,
        ShardId: stream.shardId,
        ShardIteratorType: "TRIM_HORIZON",
      }),
    );
    const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator: ShardIterator! }));
    expect(Records).toHaveLength(3);
    const event = kinesisEvent(Records, stream.arn, stream.shardId);
    const [first] = event.Records;
    expect(first).toMatchObject({
      eventSource: "aws:kinesis",
      eventName: "aws:kinesis:record",
      eventSourceARN: stream.arn,
      eventID: `${stream.shardId}:${first!.kinesis.sequenceNumber}`,
      kinesis: { partitionKey: "k1", kinesisSchemaVersion: "1.0" },
    });

    const seen: Envelope[] = [];
    const consume = onKinesis(NoteStreamed, (payload, envelope) => {
      seen.push(envelope);
      if (payload.noteId === "k2") throw new Error("handler failed");
    });
    const response = await consume(event, context);
    expect(response.batchItemFailures).toEqual(
      event.Records.slice(1).map((record) => ({ itemIdentifier: record.kinesis.sequenceNumber })),
    );
    expect(seen.map((envelope) => envelope.id)).toEqual(ids.slice(0, 2));
    expectPublished(seen[0], ids[0]!, "lab.NoteStreamed", 1, since);
  });
});
