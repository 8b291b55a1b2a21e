import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { PostCreated, ProductViewed } from "../../events/index.js";
import { eventBridgeEvent, kinesisEvent, snsEvent, sqsEvent } from "../../local/lambdaEvents.js";
import { onEventBridge, onKinesis, onSns, onSqs } from "../../shared/consume/index.js";
import { currentCorrelationId } from "../../shared/context/index.js";
import type { Envelope } from "../../shared/events/envelope.js";
import { logger } from "../../shared/logging/index.js";
import { publish } from "../../shared/publish/index.js";
import { outgoingEvents } from "../../shared/publish/outgoingEvents.js";
import { NoteBroadcast, NotePushed, NoteQueued, NoteStreamed, notePayload } from "../support/transportContracts.js";

logger.setLogLevel("SILENT");

const sqsClient = new SQSClient({ region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
const failureQueue = mockClient(sqsClient);
const failureQueueUrl = "http://sqs.local/000000000000/failures";
const options = { failureQueueUrl, clients: { sqs: sqsClient } };

const context = { awsRequestId: "req-1", functionName: "consumer" } as Context;
const queueArn = "arn:aws:sqs:eu-west-1:123456789012:notes";
const streamArn = "arn:aws:kinesis:eu-west-1:123456789012:stream/notes";

beforeEach(() => {
  failureQueue.reset();
  failureQueue.on(SendMessageCommand).resolves({ MessageId: "f" });
});

/** An envelope as a producer would send it, with its JSON body. */
function produced<C extends typeof NoteQueued | typeof NoteBroadcast | typeof NotePushed | typeof NoteStreamed>(
  contract: C,
  overrides: Parameters<typeof notePayload>[0] = {},
) {
  const [event] = outgoingEvents(contract, [notePayload(overrides)], { correlationId: "corr-7" });
  return { envelope: event!.envelope, body: event!.body };
}

const sqsMessage = (body: string, messageId: string) => ({
  MessageId: messageId,
  ReceiptHandle: `rh-${messageId}`,
  Body: body,
  MD5OfBody: "md5",
  Attributes: { ApproximateReceiveCount: "1", SentTimestamp: "1700000000000", SenderId: "AID" },
});
const kinesisRecord = (data: string | Buffer, sequenceNumber: string) => ({
  SequenceNumber: sequenceNumber,
  PartitionKey: "note-1",
  Data: typeof data === "string" ? Buffer.from(data) : data,
  ApproximateArrivalTimestamp: new Date(1_700_000_000_500),
});
const failureMessages = () =>
  failureQueue.commandCalls(SendMessageCommand).map((call) => {
    const input = call.args[0].input;
    const attributes = Object.fromEntries(
      Object.entries(input.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
    );
    return { queueUrl: input.QueueUrl, body: input.MessageBody, attributes };
  });

/** Every kind of record that can never be valid, with the code it must be filed under. */
const poison = (): { code: string; body: string; eventType?: string }[] => {
  const { envelope } = produced(NoteQueued);
  return [
    { code: "InvalidJson", body: "{not json" },
    { code: "InvalidEnvelope", body: JSON.stringify({ ...envelope, id: undefined }), eventType: "lab.NoteQueued" },
    { code: "UnknownEventType", body: JSON.stringify({ ...envelope, type: "lab.Other" }), eventType: "lab.Other" },
    { code: "UnsupportedVersion", body: JSON.stringify({ ...envelope, version: 9 }), eventType: "lab.NoteQueued" },
    {
      code: "InvalidPayload",
      body: JSON.stringify({ ...envelope, data: { ...(envelope.data as object), count: "three" } }),
      eventType: "lab.NoteQueued",
    },
  ];
};

describe("onSqs", () => {
  it("hands the handler the typed payload, the full envelope and the context", async () => {
    const { envelope, body } = produced(NoteQueued);
    const handler = vi.fn();
    const consume = onSqs(NoteQueued, handler, options);
    const response = await consume(sqsEvent([sqsMessage(body, "m1")], queueArn), context);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledWith(notePayload(), envelope, context);
  });

  it("unwraps a bus event (bus → queue) and an SNS notification (topic → queue)", async () => {
    const bus = produced(NoteBroadcast);
    const topic = produced(NotePushed);
    const busBody = JSON.stringify(
      eventBridgeEvent(
        { Source: "summit.lab", DetailType: NoteBroadcast.type, Detail: bus.body },
        { id: "eb-1", account: "123456789012", region: "eu-west-1" },
      ),
    );
    const topicBody = JSON.stringify({
      Type: "Notification",
      MessageId: "sns-1",
      TopicArn: "arn:aws:sns:eu-west-1:123456789012:notes",
      Message: topic.body,
      Timestamp: "2025-01-01T00:00:00.000Z",
      SignatureVersion: "1",
      Signature: "sig",
      SigningCertURL: "https://sns/cert.pem",
      UnsubscribeURL: "https://sns/unsubscribe",
    });
    const seen: Envelope[] = [];
    const consume = onSqs([NoteBroadcast, NotePushed], (_payload, envelope) => void seen.push(envelope), options);
    const response = await consume(
      sqsEvent([sqsMessage(busBody, "m1"), sqsMessage(topicBody, "m2")], queueArn),
      context,
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(seen).toEqual([bus.envelope, topic.envelope]);
  });

  it("files every kind of poison record in the failure queue with its reason, and counts it handled", async () => {
    const cases = poison();
    const handler = vi.fn();
    const consume = onSqs(NoteQueued, handler, options);
    const event = sqsEvent(
      cases.map((c, i) => sqsMessage(c.body, `m${i}`)),
      queueArn,
    );
    expect(await consume(event, context)).toEqual({ batchItemFailures: [] });
    expect(handler).not.toHaveBeenCalled();
    expect(failureMessages()).toEqual(
      cases.map((c, i) => ({
        queueUrl: failureQueueUrl,
        body: c.body,
        attributes: {
          errorCode: c.code,
          errorMessage: expect.any(String),
          source: "sqs",
          recordId: `m${i}`,
          bodyEncoding: "text",
          ...(c.eventType ? { eventType: c.eventType } : {}),
        },
      })),
    );
    expect(failureMessages()[3]?.attributes.errorMessage).toMatch(/version 9.*version 2/);
    expect(failureMessages()[4]?.attributes.errorMessage).toMatch(/count/);
  });

  it("reports the records whose handler threw, by message id, and handles the others", async () => {
    const bodies = ["a", "b", "c"].map((noteId) => produced(NoteQueued, { noteId }).body);
    const handled: string[] = [];
    const consume = onSqs(
      NoteQueued,
      (payload) => {
        if (payload.noteId === "b") throw new Error("database down");
        handled.push(payload.noteId);
      },
      options,
    );
    const response = await consume(
      sqsEvent(
        bodies.map((b, i) => sqsMessage(b, `m${i}`)),
        queueArn,
      ),
      context,
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m1" }] });
    expect(handled).toEqual(["a", "c"]);
  });

  it("stops a FIFO batch at the first failure and reports the rest, keeping the group's order", async () => {
    const bodies = ["a", "b", "c"].map((noteId) => produced(NoteQueued, { noteId }).body);
    const handled: string[] = [];
    const consume = onSqs(
      NoteQueued,
      (payload) => {
        if (payload.noteId === "b") throw new Error("later");
        handled.push(payload.noteId);
      },
      options,
    );
    const event = sqsEvent(
      bodies.map((b, i) => sqsMessage(b, `m${i}`)),
      `${queueArn}.fifo`,
    );
    expect(await consume(event, context)).toEqual({
      batchItemFailures: [{ itemIdentifier: "m1" }, { itemIdentifier: "m2" }],
    });
    expect(handled).toEqual(["a"]);
  });

  it("runs records one at a time by default, and up to `concurrency` at once when asked", async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => produced(NoteQueued, { noteId: `n${i}` }).body);
    const event = sqsEvent(
      bodies.map((b, i) => sqsMessage(b, `m${i}`)),
      queueArn,
    );
    const measure = async (concurrency?: number) => {
      let running = 0;
      let most = 0;
      const consume = onSqs(
        NoteQueued,
        async (payload, envelope) => {
          running++;
          most = Math.max(most, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          expect(currentCorrelationId()).toBe(envelope.correlationId);
          running--;
          if (payload.noteId === "n4") throw new Error("no");
        },
        { ...options, ...(concurrency ? { concurrency } : {}) },
      );
      const response = await consume(event, context);
      return { most, failed: response.batchItemFailures.map((f) => f.itemIdentifier) };
    };
    expect(await measure()).toEqual({ most: 1, failed: ["m4"] });
    expect(await measure(3)).toEqual({ most: 3, failed: ["m4"] });
  });

  it("reports a poison record as failed when the failure queue refuses it (never drops it)", async () => {
    failureQueue.on(SendMessageCommand).rejects(new Error("queue gone"));
    const consume = onSqs(NoteQueued, vi.fn(), options);
    const response = await consume(sqsEvent([sqsMessage("{bad", "m1")], queueArn), context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m1" }] });
  });

  it("sets the correlation id for the record: invocation context and logger", async () => {
    const { body } = produced(NoteQueued);
    const seen: unknown[] = [];
    const consume = onSqs(
      NoteQueued,
      () => {
        seen.push(currentCorrelationId(), logger.getCorrelationId());
      },
      options,
    );
    await consume(sqsEvent([sqsMessage(body, "m1")], queueArn), context);
    expect(seen).toEqual(["corr-7", "corr-7"]);
    expect(logger.getCorrelationId()).toBeUndefined();
    expect(currentCorrelationId()).toBeUndefined();
  });
});

describe("onKinesis", () => {
  it("decodes base64 data and stops at the first failure, reporting it and every record after it", async () => {
    const bodies = ["a", "b", "c", "d"].map((noteId) => produced(NoteStreamed, { noteId }).body);
    const handled: string[] = [];
    const consume = onKinesis(
      NoteStreamed,
      (payload) => {
        if (payload.noteId === "b") throw new Error("counter store down");
        handled.push(payload.noteId);
      },
      options,
    );
    const event = kinesisEvent(
      bodies.map((b, i) => kinesisRecord(b, `4954${i}`)),
      streamArn,
    );
    expect(await consume(event, context)).toEqual({
      batchItemFailures: [{ itemIdentifier: "49541" }, { itemIdentifier: "49542" }, { itemIdentifier: "49543" }],
    });
    expect(handled).toEqual(["a"]);
  });

  it("files poison records (text or bytes) and goes on with the shard", async () => {
    const good = produced(NoteStreamed);
    const handler = vi.fn();
    const consume = onKinesis(NoteStreamed, handler, options);
    const bytes = Buffer.from([0xff, 0x00, 0x01]);
    const event = kinesisEvent(
      [kinesisRecord("nope", "1"), kinesisRecord(bytes, "2"), kinesisRecord(good.body, "3")],
      streamArn,
    );
    expect(await consume(event, context)).toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledOnce();
    expect(handler).toHaveBeenCalledWith(good.envelope.data, good.envelope, context);
    expect(failureMessages().map((m) => [m.body, m.attributes.bodyEncoding, m.attributes.source])).toEqual([
      ["nope", "text", "kinesis"],
      [bytes.toString("base64"), "base64", "kinesis"],
    ]);
  });

  it("reports the record and the rest as failed when the failure queue refuses a poison record", async () => {
    failureQueue.on(SendMessageCommand).rejects(new Error("queue gone"));
    const good = produced(NoteStreamed);
    const consume = onKinesis(NoteStreamed, vi.fn(), options);
    const event = kinesisEvent(
      [kinesisRecord(good.body, "1"), kinesisRecord("bad", "2"), kinesisRecord(good.body, "3")],
      streamArn,
    );
    expect(await consume(event, context)).toEqual({
      batchItemFailures: [{ itemIdentifier: "2" }, { itemIdentifier: "3" }],
    });
  });
});

describe("onEventBridge", () => {
  const busEvent = (body: string) =>
    eventBridgeEvent(
      { Source: "summit.lab", DetailType: NoteBroadcast.type, Detail: body },
      { id: "eb-1", account: "123456789012", region: "eu-west-1" },
    );

  it("takes the envelope from detail", async () => {
    const { envelope, body } = produced(NoteBroadcast);
    const handler = vi.fn();
    await onEventBridge(NoteBroadcast, handler, options)(busEvent(body), context);
    expect(handler).toHaveBeenCalledWith(notePayload(), envelope, context);
  });

  it("rethrows a handler error so Lambda's async retries and on-failure destination apply", async () => {
    const { body } = produced(NoteBroadcast);
    const consume = onEventBridge(
      NoteBroadcast,
      () => {
        throw new Error("boom");
      },
      options,
    );
    await expect(consume(busEvent(body), context)).rejects.toThrow("boom");
  });

  it("files a poison event whole (the bus event) and returns; throws if the failure queue refuses it", async () => {
    const { envelope } = produced(NoteBroadcast);
    const event = { ...busEvent("{}"), detail: { ...envelope, version: 2 } };
    const consume = onEventBridge(NoteBroadcast, vi.fn(), options);
    await consume(event, context);
    expect(failureMessages()).toEqual([
      expect.objectContaining({
        body: JSON.stringify(event),
        attributes: expect.objectContaining({
          errorCode: "UnsupportedVersion",
          source: "eventbridge",
          recordId: "eb-1",
        }),
      }),
    ]);
    failureQueue.on(SendMessageCommand).rejects(new Error("queue gone"));
    await expect(consume(event, context)).rejects.toThrow("queue gone");
  });
});

describe("onSns", () => {
  const topicEvent = (message: string) =>
    snsEvent(
      {
        MessageId: "sns-1",
        TopicArn: "arn:aws:sns:eu-west-1:123456789012:notes",
        Message: message,
        Timestamp: "2025-01-01T00:00:00.000Z",
      },
      "arn:aws:sns:eu-west-1:123456789012:notes:sub-1",
    );

  it("takes the envelope from Sns.Message", async () => {
    const { envelope, body } = produced(NotePushed);
    const handler = vi.fn();
    await onSns(NotePushed, handler, options)(topicEvent(body), context);
    expect(handler).toHaveBeenCalledWith(notePayload(), envelope, context);
  });

  it("rethrows a handler error, and files a poison message without throwing", async () => {
    const { body } = produced(NotePushed);
    const consume = onSns(
      NotePushed,
      () => {
        throw new Error("boom");
      },
      options,
    );
    await expect(consume(topicEvent(body), context)).rejects.toThrow("boom");
    await consume(topicEvent("[]"), context);
    expect(failureMessages()).toEqual([
      expect.objectContaining({
        body: "[]",
        attributes: expect.objectContaining({ errorCode: "InvalidEnvelope", source: "sns", recordId: "sns-1" }),
      }),
    ]);
  });
});

describe("types", () => {
  it("refuses a wrong payload at compile time", () => {
    // Never called: only the compiler looks at these.
    const wrongCalls = () => [
      publish(PostCreated, {
        // @ts-expect-error postId must be a string
        postId: 1,
        threadId: "t",
        forumId: "f",
        authorId: "a",
        createdAt: "2025-01-01T00:00:00Z",
      }),
      // @ts-expect-error threadId is missing
      publish(PostCreated, { postId: "p", forumId: "f", authorId: "a", createdAt: "2025-01-01T00:00:00Z" }),
      // @ts-expect-error ProductViewed's payload is not PostCreated's
      publish(PostCreated, { productId: "p", viewerId: null, viewedAt: "2025-01-01T00:00:00Z" }),
    ];
    expectTypeOf(wrongCalls).toBeFunction();
    expectTypeOf(publish<typeof PostCreated>)
      .parameter(1)
      .toEqualTypeOf<{
        postId: string;
        threadId: string;
        forumId: string;
        authorId: string;
        createdAt: string;
      }>();
  });

  it("types the handler's payload by the contract, and narrows the envelope by envelope.type", () => {
    onKinesis(PostCreated, (payload, envelope) => {
      expectTypeOf(payload.threadId).toEqualTypeOf<string>();
      expectTypeOf(envelope.type).toEqualTypeOf<"forums.PostCreated">();
    });
    onKinesis([PostCreated, ProductViewed], (payload, envelope) => {
      expectTypeOf(envelope.type).toEqualTypeOf<"forums.PostCreated" | "products.ProductViewed">();
      if (envelope.type === "forums.PostCreated") {
        expectTypeOf(envelope.data.threadId).toEqualTypeOf<string>();
        // @ts-expect-error a PostCreated has no productId
        void envelope.data.productId;
      } else {
        expectTypeOf(envelope.data.viewerId).toEqualTypeOf<string | null>();
      }
      expectTypeOf(payload).toEqualTypeOf<typeof envelope.data>();
    });
  });
});
