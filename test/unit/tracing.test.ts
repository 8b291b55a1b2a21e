import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import middy from "@middy/core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from "vitest";
import { startXrayCollector, type XrayCollector, type XraySegment } from "../../local/emulators/xrayCollector.js";
import { logger } from "../../shared/logging/index.js";
import { callFields } from "../../shared/tracing/awsCalls.js";
import { daemonAddress, emitDocument, MAX_DATAGRAM_BYTES } from "../../shared/tracing/emitter.js";
import {
  captureClient,
  currentTraceHeader,
  inSubsegment,
  inTraceOf,
  parseTraceHeader,
  traceInvocation,
} from "../../shared/tracing/index.js";
import { stackFrames } from "../../shared/tracing/segments.js";

/**
 * The tracing seam end to end in one process: a real middy handler and a real AWS SDK client, over the wire to a
 * small DynamoDB-speaking server, with the documents read back by the local X-Ray collector from UDP.
 */

const ROOT = "1-65f50000-00000000000000000000ab01";
const INVOCATION = "00000000000000f1";
const header = (sampled = 1, root = ROOT) => `Root=${root};Parent=${INVOCATION};Sampled=${sampled}`;

/** What the fake DynamoDB answers, per call, and the trace headers it received. */
const answers: { status: number; body: unknown }[] = [];
const received: IncomingHttpHeaders[] = [];
let server: Server;
let collector: XrayCollector;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  collector = await startXrayCollector();
  server = createServer((request, response) => {
    received.push(request.headers);
    request.resume();
    request.on("end", () => {
      const answer = answers.shift() ?? { status: 200, body: {} };
      const body = JSON.stringify(answer.body);
      response.writeHead(answer.status, {
        "content-type": "application/x-amz-json-1.0",
        "content-length": String(Buffer.byteLength(body)),
        "x-amzn-requestid": `req-${received.length}`,
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  dynamo = captureClient(
    new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 2,
      retryStrategy: undefined,
    }),
  );
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await collector.stop();
});

beforeEach(() => {
  vi.stubEnv("AWS_EXECUTION_ENV", "AWS_Lambda_nodejs22.x");
  vi.stubEnv("AWS_XRAY_DAEMON_ADDRESS", collector.address);
  vi.stubEnv("_X_AMZN_TRACE_ID", header());
  vi.stubEnv("_HANDLER", "services/users/routes/getMe.handler");
  vi.stubEnv("POWERTOOLS_SERVICE_NAME", "users");
  vi.stubEnv("AWS_LAMBDA_FUNCTION_NAME", "UsersGetMe");
  collector.clear();
  answers.length = 0;
  received.length = 0;
});
afterEach(() => vi.unstubAllEnvs());

/** Waits until `count` documents of `traceId` have arrived (UDP is asynchronous), then a little more for strays. */
async function documents(count: number, traceId = ROOT): Promise<XraySegment[]> {
  await vi.waitFor(() => expect(collector.segments(traceId).length).toBeGreaterThanOrEqual(count), { timeout: 5_000 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  return collector.segments(traceId);
}
const named = (docs: readonly XraySegment[], name: string) =>
  docs.find((d) => d.name === name) as Record<string, unknown>;

const getItem = () => dynamo.send(new GetItemCommand({ TableName: "Users", Key: { pk: { S: "u1" } } }));

describe("an invocation's handler subsegment and its AWS calls", () => {
  test("the handler runs in `## <handler>` under the invocation, annotated; each call is an aws subsegment under it", async () => {
    answers.push({ status: 200, body: { Item: { pk: { S: "u1" } } } });
    const handler = middy(async () => {
      await getItem();
      return { ok: true };
    }).use(traceInvocation());
    await handler({}, {} as never);
    await handler({}, {} as never);
    const docs = await documents(3);
    const handlers = docs.filter((d) => d.name === "## services/users/routes/getMe.handler") as Record<
      string,
      unknown
    >[];
    expect(handlers).toHaveLength(2);
    for (const h of handlers) expect(h).toMatchObject({ type: "subsegment", trace_id: ROOT, parent_id: INVOCATION });
    expect(handlers.map((h) => (h.annotations as Record<string, unknown>).ColdStart)).toEqual([true, false]);
    expect(handlers[0]!.annotations).toEqual({ ColdStart: true, Service: "users" });
    expect(handlers[0]).not.toHaveProperty("fault");

    const call = named(docs, "DynamoDB");
    expect(call).toMatchObject({
      type: "subsegment",
      trace_id: ROOT,
      parent_id: handlers[0]!.id,
      namespace: "aws",
      aws: { operation: "GetItem", region: "us-east-1", request_id: "req-1", retries: 0, table_name: "Users" },
      http: { response: { status: 200, content_length: JSON.stringify({ Item: { pk: { S: "u1" } } }).length } },
    });
    expect(call).not.toHaveProperty("error");
    expect(call.end_time as number).toBeGreaterThanOrEqual(call.start_time as number);
    // The call carried the trace, with its own subsegment as parent: what SQS, SNS and EventBridge continue.
    expect(parseTraceHeader(received[0]?.["x-amzn-trace-id"] as string)).toEqual({
      root: ROOT,
      parent: call.id,
      sampled: true,
    });
  });

  test("a 4xx answer is the caller's error, a 5xx a fault after the SDK's retries, a 429 a throttle", async () => {
    const handler = middy(async () => {
      for (let i = 0; i < 3; i++) await getItem().catch(() => undefined);
    }).use(traceInvocation());
    answers.push(
      {
        status: 400,
        body: { __type: "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", message: "no" },
      },
      { status: 500, body: { __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: "down" } },
      { status: 500, body: { __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: "down" } },
      { status: 400, body: { __type: "com.amazonaws.dynamodb.v20120810#ThrottlingException", message: "slow" } },
      { status: 400, body: { __type: "com.amazonaws.dynamodb.v20120810#ThrottlingException", message: "slow" } },
    );
    await handler({}, {} as never);
    const calls = (await documents(4)).filter((d) => d.name === "DynamoDB") as Record<string, unknown>[];
    expect(calls).toHaveLength(3);
    const [client, server, throttled] = calls.sort((a, b) => (a.start_time as number) - (b.start_time as number));
    expect(client).toMatchObject({ error: true, http: { response: { status: 400 } }, aws: { retries: 0 } });
    expect(client).not.toHaveProperty("fault");
    expect(client!.cause).toMatchObject({
      exceptions: [{ type: "ConditionalCheckFailedException", message: "no", remote: true }],
    });
    expect(server).toMatchObject({ fault: true, http: { response: { status: 500 } }, aws: { retries: 1 } });
    expect(server).not.toHaveProperty("error");
    expect(throttled).toMatchObject({ error: true, throttle: true, aws: { retries: 1 } });
    // One subsegment per call, outside the retries: the server saw five attempts.
    expect(received).toHaveLength(5);
  });

  test("what the handler throws is its fault, with the cause; a classified client error is only flagged", async () => {
    const boom = middy(async () => {
      throw new TypeError("broken");
    }).use(traceInvocation());
    const refused = middy(async () => {
      throw new RangeError("bad input");
    }).use(traceInvocation({ classify: (e) => (e instanceof RangeError ? "error" : "fault") }));
    await expect(boom({}, {} as never)).rejects.toThrow("broken");
    await expect(refused({}, {} as never)).rejects.toThrow("bad input");
    const [faulted, flagged] = (await documents(2)) as Record<string, unknown>[];
    expect(faulted).toMatchObject({
      fault: true,
      cause: { exceptions: [{ type: "TypeError", message: "broken", remote: false }] },
    });
    const frames = (faulted!.cause as { exceptions: { stack: { path: string; line: number }[] }[] }).exceptions[0]!
      .stack;
    expect(frames[0]?.path).toMatch(/tracing\.test\.ts$/);
    expect(frames[0]?.line).toBeGreaterThan(0);
    expect(flagged).toMatchObject({ error: true });
    expect(flagged).not.toHaveProperty("fault");
    expect(flagged).not.toHaveProperty("cause");
  });
});

describe("work of its own: inSubsegment, inTraceOf, currentTraceHeader", () => {
  test("concurrent subsegments each keep their own calls and send their own header", async () => {
    const headers: Record<string, string | undefined> = {};
    await Promise.all(
      ["publish a", "publish b"].map((name) =>
        inSubsegment(name, async (span) => {
          span.annotate("eventType", name);
          await new Promise((resolve) => setTimeout(resolve, name === "publish a" ? 30 : 0));
          headers[name] = currentTraceHeader();
          await getItem();
        }),
      ),
    );
    const docs = await documents(4);
    for (const name of ["publish a", "publish b"]) {
      const own = named(docs, name);
      expect(own).toMatchObject({ parent_id: INVOCATION, annotations: { eventType: name } });
      expect(parseTraceHeader(headers[name])).toEqual({ root: ROOT, parent: own.id, sampled: true });
      expect(docs.filter((d) => d.name === "DynamoDB" && d.parent_id === own.id)).toHaveLength(1);
    }
  });

  test("a throw inside a subsegment is recorded on it and thrown on", async () => {
    await expect(
      inSubsegment("outbox Users", async () => {
        throw new Error("conflict");
      }),
    ).rejects.toThrow("conflict");
    expect(named(await documents(1), "outbox Users")).toMatchObject({
      fault: true,
      cause: { exceptions: [{ message: "conflict" }] },
    });
  });

  test("inTraceOf writes this function's segment in the other trace, under its parent, with the work inside", async () => {
    const other = "1-65f50000-00000000000000000000cd02";
    let inside: string | undefined;
    await inTraceOf(`Root=${other};Parent=00000000000000a7;Sampled=1`, async () => {
      inside = currentTraceHeader();
      await getItem();
    });
    const docs = await documents(2, other);
    const segment = docs.find((d) => d.type !== "subsegment") as Record<string, unknown>;
    expect(segment).toMatchObject({
      name: "UsersGetMe",
      trace_id: other,
      parent_id: "00000000000000a7",
      origin: "AWS::Lambda::Function",
    });
    expect(segment).not.toHaveProperty("in_progress");
    expect(parseTraceHeader(inside)).toEqual({ root: other, parent: segment.id, sampled: true });
    expect(named(docs, "DynamoDB")).toMatchObject({ parent_id: segment.id, trace_id: other });
    // Not sampled over there, or no header: the work runs in the invocation's trace, and nothing is sent to the other.
    await inTraceOf(`Root=${other};Parent=00000000000000a7;Sampled=0`, async () => {
      expect(parseTraceHeader(currentTraceHeader())?.root).toBe(ROOT);
    });
  });

  test("an unsampled invocation sends nothing but passes Sampled=0 on", async () => {
    vi.stubEnv("_X_AMZN_TRACE_ID", header(0));
    const handler = middy(async () => {
      await inSubsegment("publish x", async () => getItem());
      return currentTraceHeader();
    }).use(traceInvocation());
    const sent = await handler({}, {} as never);
    expect(parseTraceHeader(sent)).toMatchObject({ root: ROOT, sampled: false });
    expect(parseTraceHeader(received[0]?.["x-amzn-trace-id"] as string)).toMatchObject({ root: ROOT, sampled: false });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(collector.segments(ROOT)).toEqual([]);
  });

  test("outside Lambda, or with tracing turned off, nothing is recorded and calls go out untouched", async () => {
    for (const off of [
      { AWS_EXECUTION_ENV: "" },
      { AWS_XRAY_SDK_ENABLED: "false" },
      { POWERTOOLS_TRACE_ENABLED: "false" },
    ]) {
      vi.unstubAllEnvs();
      vi.stubEnv("AWS_EXECUTION_ENV", "AWS_Lambda_nodejs22.x");
      vi.stubEnv("AWS_XRAY_DAEMON_ADDRESS", collector.address);
      vi.stubEnv("_X_AMZN_TRACE_ID", header());
      for (const [key, value] of Object.entries(off)) vi.stubEnv(key, value);
      received.length = 0;
      const ran = await middy(async () =>
        inSubsegment("publish y", async () => {
          await getItem();
          return "ran";
        }),
      ).use(traceInvocation())({}, {} as never);
      expect(ran).toBe("ran");
      expect(received[0]).not.toHaveProperty("x-amzn-trace-id");
      // The header the invocation received still goes on with an event.
      expect(currentTraceHeader()).toBe(header());
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(collector.segments(ROOT)).toEqual([]);
  });

  test("Lambda's pass-through header (a Root alone) traces nothing and is passed on as received", async () => {
    vi.stubEnv("_X_AMZN_TRACE_ID", `Root=${ROOT}`);
    await inSubsegment("publish z", async () => getItem());
    expect(currentTraceHeader()).toBe(`Root=${ROOT}`);
    // The SDK's own recursion detection passes a Lambda's header on untouched.
    expect(received[0]?.["x-amzn-trace-id"]).toBe(`Root=${ROOT}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(collector.segments(ROOT)).toEqual([]);
  });
});

describe("the emitter", () => {
  test("reads the daemon address in each of its forms", () => {
    expect(daemonAddress("169.254.79.129:2000")).toEqual({ host: "169.254.79.129", port: 2000 });
    expect(daemonAddress("tcp:127.0.0.1:2000 udp:127.0.0.2:2001")).toEqual({ host: "127.0.0.2", port: 2001 });
    expect(daemonAddress("udp:127.0.0.3:2002 tcp:127.0.0.1:2000")).toEqual({ host: "127.0.0.3", port: 2002 });
    for (const bad of [undefined, "", "nonsense", "127.0.0.1:99999", "tcp:127.0.0.1:2000"])
      expect(daemonAddress(bad)).toEqual({ host: "127.0.0.1", port: 2000 });
  });

  test("a document over the datagram limit is reported with its id, not sent", async () => {
    const warn = vi.spyOn(logger, "warn").mockImplementation(() => {});
    emitDocument({
      id: "00000000000000e1",
      trace_id: ROOT,
      name: "big",
      metadata: { x: "y".repeat(MAX_DATAGRAM_BYTES) },
    });
    emitDocument({
      id: "00000000000000e2",
      trace_id: ROOT,
      name: "small",
      type: "subsegment",
      parent_id: INVOCATION,
      start_time: 1,
      end_time: 2,
    });
    const docs = await documents(1);
    expect(docs.map((d) => d.id)).toEqual(["00000000000000e2"]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("segment 00000000000000e1 of trace"));
    warn.mockRestore();
  });

  test("stack frames read as X-Ray's: label, path and line, for every shape V8 writes", () => {
    const stack = [
      "Error: x",
      "    at handle (file:///var/task/index.mjs:1:234)",
      "    at file:///var/task/chunk-AB12.mjs:3:9",
      "    at async Promise.all (index 0)",
    ].join("\n");
    expect(stackFrames(stack)).toEqual([
      { label: "handle", path: "file:///var/task/index.mjs", line: 1 },
      { label: "anonymous", path: "file:///var/task/chunk-AB12.mjs", line: 3 },
      { label: "async Promise.all", path: "index 0", line: 0 },
    ]);
  });
});

describe("what an AWS call records of what it touched", () => {
  test("each service's resource, as the X-Ray SDK names it, and nothing for a call that names none", () => {
    expect(
      callFields(
        "DynamoDB",
        "Query",
        { TableName: "Users", IndexName: "byEmail", Limit: 2, KeyConditionExpression: "x" },
        {},
      ),
    ).toEqual({
      table_name: "Users",
      index_name: "byEmail",
      limit: 2,
    });
    expect(callFields("DynamoDB", "BatchGetItem", { RequestItems: { Users: {}, Posts: {} } }, {})).toEqual({
      table_names: ["Users", "Posts"],
    });
    expect(callFields("DynamoDB", "TransactWriteItems", { TransactItems: [] }, {})).toEqual({});
    expect(
      callFields(
        "SQS",
        "SendMessage",
        { QueueUrl: "http://q/1/Work", MessageAttributes: { a: {}, b: {} } },
        { MessageId: "m1" },
      ),
    ).toEqual({ queue_url: "http://q/1/Work", message_attribute_names: ["a", "b"], message_id: "m1" });
    expect(callFields("SQS", "SendMessageBatch", { QueueUrl: "http://q/1/Work", Entries: [{}, {}, {}] }, {})).toEqual({
      queue_url: "http://q/1/Work",
      message_count: 3,
    });
    expect(callFields("SNS", "Publish", { TopicArn: "arn:aws:sns:us-east-1:1:Media", Message: "x" }, {})).toEqual({
      topic_arn: "arn:aws:sns:us-east-1:1:Media",
    });
    expect(callFields("S3", "PutObject", { Bucket: "media", Key: "a/b.png", Body: "x" }, {})).toEqual({
      bucket_name: "media",
      key: "a/b.png",
    });
    expect(callFields("Kinesis", "PutRecords", { StreamName: "posts", Records: [] }, {})).toEqual({});
  });
});
