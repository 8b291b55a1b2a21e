import { execFileSync } from "node:child_process";
import { existsSync, realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  AdminConfirmSignUpCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { decodeJwt, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Emulators, startEmulators } from "../../local/emulators/index.js";
import { type Runtime, startRuntime } from "../../local/runtime/index.js";
import { bucket, defineService, userPool } from "../../shared/topology/index.js";
import { buildTopology } from "../../shared/topology/topology.js";
import { newSegmentId, newTraceId } from "../../shared/tracing/traceHeader.js";
import { ItemScanned, LabelRequested, OrderPlaced, ReceiptIssued } from "../fixtures/events.js";
import { observations } from "../fixtures/handlers/runtimeProbeConsumer.js";
import { observationsIn, probeEnvelope, until } from "../support/probe.js";

// biome-ignore lint/suspicious/noExplicitAny: assertions walk the JSON the functions saw
type Json = Record<string, any>;

const CONSUMER = "test/fixtures/handlers/runtimeProbeConsumer";
const probe = defineService({
  name: "probe",
  basePath: "/probe",
  tables: {},
  resources: { ProbeUserPool: userPool(), ProbeBucket: bucket({ notifies: LabelRequested }) },
  routes: [
    {
      method: "GET",
      path: "/items/{id}",
      auth: false,
      handler: "test/fixtures/handlers/runtimeProbe.handler",
      summary: "",
    },
    {
      method: "GET",
      path: "/items/special",
      auth: false,
      handler: "test/fixtures/handlers/runtimeProbe.handler",
      summary: "",
    },
    {
      method: "POST",
      path: "/items",
      auth: false,
      handler: "test/fixtures/handlers/runtimeProbe.handler",
      summary: "",
    },
    { method: "GET", path: "/me", auth: true, handler: "test/fixtures/handlers/runtimeProbe.handler", summary: "" },
  ],
  publishes: [OrderPlaced, ReceiptIssued, LabelRequested, ItemScanned],
  consumers: [
    { name: "bus", events: [OrderPlaced], handler: `${CONSUMER}.onAsync`, retries: 1 },
    { name: "topic", events: [ReceiptIssued], handler: `${CONSUMER}.onAsync`, retries: 1 },
    {
      name: "queue",
      events: [LabelRequested],
      handler: `${CONSUMER}.onSqs`,
      retries: 1,
      timeoutSeconds: 2,
      batchSize: 5,
    },
    { name: "stream", events: [ItemScanned], handler: `${CONSUMER}.onKinesis`, retries: 1, batchSize: 10 },
  ],
});

const stage = `rt${Date.now().toString(36)}`;
const file = observations(stage);
let emulators: Emulators;
let runtime: Runtime;
let logs: string[] = [];
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const region = "us-east-1";

interface Observation {
  fn: string;
  trace: string;
  kind: string;
  failed?: boolean;
  event?: unknown;
  bodies?: string[];
  poison?: string[];
  data?: string[];
  sequenceNumbers?: string[];
}
const observed = (): Observation[] => observationsIn<Observation>(file);

beforeAll(async () => {
  emulators = await startEmulators();
  runtime = await startRuntime({
    topology: buildTopology([probe]),
    emulators,
    port: 0,
    stage,
    log: (line) => logs.push(line),
    tuning: {
      asyncRetryBaseDelayMs: 50,
      kinesisRetryBaseDelayMs: 20,
      kinesisPollIntervalMs: 100,
      sqsFailedVisibilitySeconds: 0,
      sqsWaitSeconds: 1,
    },
  });
}, 90_000);

afterAll(async () => {
  await runtime?.stop();
  await emulators?.stop();
  rmSync(file, { force: true });
  logs = [];
});

const envelope = probeEnvelope;

describe("gateway", () => {
  test("builds the REST proxy event v1 and returns the function's answer", async () => {
    const res = await fetch(`${runtime.url}/probe/items/a%20b?x=1&x=2&y=3`, {
      headers: { "X-Custom": "v", "user-agent": "probe-test" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-probe")).toBe("1");
    expect(res.headers.get("set-cookie")).toContain("a=1");
    expect(res.headers.get("x-amzn-trace-id")).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const { event, traceHeader, module } = (await res.json()) as { event: Json; traceHeader: string; module: string };
    // The sandbox ran the handler's bundle, built into this runtime's own directory (Node names it by its real path).
    expect(fileURLToPath(module)).toBe(
      join(realpathSync(runtime.bundles.dir), "test_fixtures_handlers_runtimeProbe", "index.mjs"),
    );
    expect(event.resource).toBe("/items/{id}");
    expect(event.path).toBe("/probe/items/a%20b");
    expect(event.httpMethod).toBe("GET");
    expect(event.headers["X-Custom"]).toBe("v");
    expect(event.multiValueHeaders["X-Custom"]).toEqual(["v"]);
    expect(event.queryStringParameters).toEqual({ x: "2", y: "3" });
    expect(event.multiValueQueryStringParameters).toEqual({ x: ["1", "2"], y: ["3"] });
    expect(event.pathParameters).toEqual({ id: "a b" });
    expect(event.stageVariables).toBeNull();
    expect(event.body).toBeNull();
    expect(event.isBase64Encoded).toBe(false);
    const ctx = event.requestContext;
    expect(ctx).toMatchObject({
      accountId: "000000000000",
      stage,
      resourcePath: "/items/{id}",
      path: `/${stage}/items/a%20b`,
      httpMethod: "GET",
      identity: { sourceIp: "127.0.0.1", userAgent: "probe-test" },
    });
    expect(ctx.apiId).toMatch(/^[a-z]{10}$/);
    expect(ctx.requestId).toBe(res.headers.get("x-request-id"));
    expect(typeof ctx.requestTimeEpoch).toBe("number");
    expect(ctx.authorizer).toBeUndefined();
    // The function runs under the gateway's trace, its stage segment as the parent's parent.
    const root = res.headers.get("x-amzn-trace-id")!.slice(5);
    expect(traceHeader).toContain(`Root=${root}`);
    expect(event.headers["X-Amzn-Trace-Id"]).toContain(`Root=${root}`);
    const stageSegment = await emulators.xray.waitFor(
      (s) => s.trace_id === root && s.origin === "AWS::ApiGateway::Stage",
      5_000,
    );
    expect(stageSegment.name).toBe(`probe/${stage}`);
    const fnSegment = await emulators.xray.waitFor(
      (s) => s.trace_id === root && s.origin === "AWS::Lambda::Function",
      5_000,
    );
    expect(fnSegment.parent_id).toBe(stageSegment.id);
  });

  test("a static segment wins over a path parameter; no query gives nulls; bodies as text or base64", async () => {
    const special = (await (await fetch(`${runtime.url}/probe/items/special`)).json()) as { event: Json };
    expect(special.event.resource).toBe("/items/special");
    expect(special.event.pathParameters).toBeNull();
    expect(special.event.queryStringParameters).toBeNull();
    expect(special.event.multiValueQueryStringParameters).toBeNull();
    const text = (await (
      await fetch(`${runtime.url}/probe/items`, {
        method: "POST",
        body: '{"a":1}',
        headers: { "content-type": "application/json" },
      })
    ).json()) as { event: Json };
    expect(text.event.body).toBe('{"a":1}');
    expect(text.event.isBase64Encoded).toBe(false);
    const binary = (await (
      await fetch(`${runtime.url}/probe/items`, {
        method: "POST",
        body: Buffer.from([0, 1, 2, 255]),
        headers: { "content-type": "application/octet-stream" },
      })
    ).json()) as { event: Json };
    expect(binary.event.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.event.body, "base64")).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  test("an incoming trace header is continued", async () => {
    const root = newTraceId();
    const res = await fetch(`${runtime.url}/probe/items/1`, {
      headers: { "x-amzn-trace-id": `Root=${root};Parent=${newSegmentId()};Sampled=1` },
    });
    expect(res.headers.get("x-amzn-trace-id")).toBe(`Root=${root}`);
  });

  test("404 for an unknown base path or path, 405 with allow, 413 over 10 MB, 502 on a function error", async () => {
    const unknownService = await fetch(`${runtime.url}/nothing/here`);
    expect(unknownService.status).toBe(404);
    expect(unknownService.headers.get("content-type")).toBe("application/problem+json");
    expect(unknownService.headers.get("x-amzn-trace-id")).toBeTruthy();
    expect(((await unknownService.json()) as { status: number }).status).toBe(404);
    expect((await fetch(`${runtime.url}/probe/nope/nope`)).status).toBe(404);
    const wrongMethod = await fetch(`${runtime.url}/probe/items`, { method: "GET" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    const big = await fetch(`${runtime.url}/probe/items`, {
      method: "POST",
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 97),
      headers: { "content-type": "text/plain" },
    });
    expect(big.status).toBe(413);
    expect(big.headers.get("x-request-id")).toBeTruthy();
    const failing = await fetch(`${runtime.url}/probe/items/1?fail=1`);
    expect(failing.status).toBe(502);
    expect(failing.headers.get("content-type")).toBe("application/problem+json");
    expect(((await failing.json()) as { detail: string }).detail).toBe("Internal server error");
  });
});

describe("Cognito authorizer", () => {
  const cognito = () =>
    new CognitoIdentityProviderClient({ endpoint: emulators.endpoints.cognito, region, credentials });

  async function signIn(clientId: string, poolId: string) {
    const client = cognito();
    const email = `u${Math.random().toString(36).slice(2)}@example.com`;
    const password = "Passw0rd!long";
    await client.send(new SignUpCommand({ ClientId: clientId, Username: email, Password: password }));
    await client.send(new AdminConfirmSignUpCommand({ UserPoolId: poolId, Username: email }));
    const out = await client.send(
      new InitiateAuthCommand({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: clientId,
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    );
    client.destroy();
    return out.AuthenticationResult!;
  }

  const me = (authorization?: string) =>
    fetch(`${runtime.url}/probe/me`, authorization ? { headers: { authorization } } : {});

  async function expect401(authorization?: string) {
    const res = await me(authorization);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(((await res.json()) as { title: string }).title).toBe("Unauthorized");
  }

  test("a valid access token passes, with its claims in requestContext.authorizer.claims", async () => {
    const pool = runtime.resources.ProbeUserPool!;
    const tokens = await signIn(pool.clientId as string, pool.id as string);
    const res = await me(`Bearer ${tokens.AccessToken}`);
    expect(res.status).toBe(200);
    const { event } = (await res.json()) as { event: Json };
    const claims = event.requestContext.authorizer.claims;
    expect(claims.sub).toBe(decodeJwt(tokens.AccessToken!).sub);
    expect(claims.token_use).toBe("access");
    expect(claims.client_id).toBe(pool.clientId);
    expect(typeof claims.exp).toBe("string");
  });

  test("refuses no token, a malformed one, an ID token, a forged signature and another pool's token", async () => {
    const pool = runtime.resources.ProbeUserPool!;
    const tokens = await signIn(pool.clientId as string, pool.id as string);
    await expect401();
    await expect401("Bearer not-a-jwt");
    await expect401(`Basic ${Buffer.from("a:b").toString("base64")}`);
    await expect401(`Bearer ${tokens.IdToken}`);

    const { privateKey } = await generateKeyPair("RS256");
    const claims = decodeJwt(tokens.AccessToken!);
    const forged = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: "RS256", kid: "CognitoLocal" })
      .sign(privateKey);
    await expect401(`Bearer ${forged}`);

    const client = cognito();
    const other = await client.send(
      new CreateUserPoolCommand({ PoolName: `${stage}-other`, UsernameAttributes: ["email"] }),
    );
    const otherClient = await client.send(
      new CreateUserPoolClientCommand({
        UserPoolId: other.UserPool!.Id!,
        ClientName: "other",
        ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH"],
      }),
    );
    client.destroy();
    const foreign = await signIn(otherClient.UserPoolClient!.ClientId!, other.UserPool!.Id!);
    await expect401(`Bearer ${foreign.AccessToken}`);
  });
});

describe("event sources", () => {
  const sqs = () => new SQSClient({ endpoint: emulators.endpoints.sqs, region, credentials });

  async function drain(queueUrl: string, count: number, timeoutMs = 20_000): Promise<string[]> {
    const client = sqs();
    const bodies: string[] = [];
    const deadline = Date.now() + timeoutMs;
    while (bodies.length < count && Date.now() < deadline) {
      const out = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const m of out.Messages ?? []) {
        bodies.push(m.Body ?? "");
        await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
      }
    }
    client.destroy();
    return bodies;
  }

  test("SQS: partial batch failures leave only the poison message, which the redrive moves to the DLQ", async () => {
    const client = sqs();
    const queueUrl = runtime.resources.ShopLabelRequestedQueue!.url!;
    for (const label of ["sqs-ok-1", "sqs-poison", "sqs-ok-2"])
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: envelope(LabelRequested.type, { orderId: label, at: new Date().toISOString() }),
        }),
      );
    client.destroy();
    const dead = await drain(runtime.resources.ProbeQueueDlq!.url!, 1);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toContain("sqs-poison");
    const seen = observed()
      .filter((o) => o.kind === "sqs")
      .flatMap((o) => o.bodies ?? []);
    expect(seen.filter((b) => b.includes("sqs-ok-1"))).toHaveLength(1); // deleted after success: never again
    expect(seen.filter((b) => b.includes("sqs-ok-2"))).toHaveLength(1);
    expect(seen.filter((b) => b.includes("sqs-poison"))).toHaveLength(2); // maxReceiveCount = retries + 1
  });

  test("Kinesis: order per shard, filter, bisect on error, then the on-failure record", async () => {
    const kinesis = new KinesisClient({
      endpoint: emulators.endpoints.kinesis,
      region,
      credentials,
      requestHandler: new NodeHttpHandler(),
    });
    const names = ["k1", "k2", "k3-bad", "k4", "k5"];
    const records = names.map((name) => ({
      PartitionKey: "same",
      Data: Buffer.from(envelope(ItemScanned.type, { orderId: name, sku: "s", at: new Date().toISOString() })),
    }));
    records.splice(1, 0, { PartitionKey: "same", Data: Buffer.from(envelope("shop.Other", { orderId: "filtered" })) });
    const out = await kinesis.send(
      new PutRecordsCommand({ StreamName: runtime.resources.ShopItemScannedStream!.name!, Records: records }),
    );
    kinesis.destroy();
    const badSeq = out.Records![3]!.SequenceNumber!;
    const [failure] = await drain(runtime.resources.ProbeStreamDlq!.url!, 1);
    const record = JSON.parse(failure!) as Json;
    expect(record.requestContext.condition).toBe("RetryAttemptsExhausted");
    expect(record.requestContext.approximateInvokeCount).toBe(2);
    expect(record.KinesisBatchInfo).toMatchObject({
      shardId: "shardId-000000000000",
      startSequenceNumber: badSeq,
      endSequenceNumber: badSeq,
      batchSize: 1,
      streamArn: runtime.resources.ShopItemScannedStream!.arn,
    });
    // The bad record reaches the DLQ before the second half of the first bisection ([k4, k5]) is invoked: wait for
    // the shard to finish before reading what was delivered.
    const deliveredOf = (calls: ReturnType<typeof observed>) =>
      calls.filter((c) => !c.failed).flatMap((c) => c.data!.map((d) => JSON.parse(d).data.orderId as string));
    const settleBy = Date.now() + 10_000;
    while (deliveredOf(observed().filter((o) => o.kind === "kinesis")).length < 4 && Date.now() < settleBy)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const calls = observed().filter((o) => o.kind === "kinesis");
    expect(calls[0]!.data).toHaveLength(5); // the filtered record never reaches the function
    expect(calls.every((c) => !c.data!.some((d) => d.includes("filtered")))).toBe(true);
    expect(deliveredOf(calls)).toEqual(["k1", "k2", "k4", "k5"]);
    expect(calls.some((c) => c.failed && c.data!.length === 1)).toBe(true); // bisected down to the bad record
  });

  test("Kinesis: a batch starts a new trace, as Lambda does, whatever trace the records' envelopes name", async () => {
    const kinesis = new KinesisClient({
      endpoint: emulators.endpoints.kinesis,
      region,
      credentials,
      requestHandler: new NodeHttpHandler(),
    });
    const root = newTraceId();
    const traceHeader = `Root=${root};Parent=${newSegmentId()};Sampled=1`;
    const data = envelope(
      ItemScanned.type,
      { orderId: "k-traced", sku: "s", at: new Date().toISOString() },
      traceHeader,
    );
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: runtime.resources.ShopItemScannedStream!.name!,
        Records: [{ PartitionKey: "traced", Data: Buffer.from(data) }],
      }),
    );
    kinesis.destroy();
    const call = await until(
      () => observed().find((o) => o.kind === "kinesis" && (o.data ?? []).some((d) => d.includes("k-traced"))),
      "the traced Kinesis record",
    );
    expect(call.trace).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/);
    expect(call.trace).not.toContain(root);
    // The function's segment opens that new trace: no caller, nothing sent to the envelope's trace by the runtime.
    const own = call.trace.slice("Root=".length, call.trace.indexOf(";"));
    const segment = await emulators.xray.waitFor(
      (s) => s.trace_id === own && s.origin === "AWS::Lambda::Function" && s.name === "ProbeStream",
      5_000,
    );
    expect(segment.parent_id).toBeUndefined();
    expect(emulators.xray.segments(root).filter((s) => s.origin === "AWS::Lambda::Function")).toEqual([]);
  });

  test("SNS: the filter policy selects, async retries run, then the failure record reaches the DLQ", async () => {
    const sns = new SNSClient({ endpoint: emulators.endpoints.sns, region, credentials });
    const topicArn = runtime.resources.ShopReceiptIssuedTopic!.arn!;
    const publish = (type: string, orderId: string) =>
      sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: envelope(type, { orderId, channel: "email", at: new Date().toISOString() }),
          MessageAttributes: { eventType: { DataType: "String", StringValue: type } },
        }),
      );
    await publish("shop.SomethingElse", "sns-filtered");
    await publish(ReceiptIssued.type, "sns-ok");
    await publish(ReceiptIssued.type, "fail-always");
    sns.destroy();
    const [failure] = await drain(runtime.resources.ProbeTopicDlq!.url!, 1);
    const record = JSON.parse(failure!) as Json;
    expect(record.requestContext).toMatchObject({ condition: "RetriesExhausted", approximateInvokeCount: 2 });
    expect(record.requestContext.functionArn).toBe("arn:aws:lambda:us-east-1:000000000000:function:ProbeTopic:$LATEST");
    expect(record.responseContext.functionError).toBe("Unhandled");
    expect(record.responsePayload.errorMessage).toBe("fail-always");
    expect(record.requestPayload.Records[0].EventSource).toBe("aws:sns");
    const calls = observed().filter((o) => o.fn === "ProbeTopic");
    const text = JSON.stringify(calls);
    expect(text).not.toContain("sns-filtered");
    expect(calls.filter((c) => JSON.stringify(c.event).includes("sns-ok"))).toHaveLength(1);
    expect(calls.filter((c) => c.failed)).toHaveLength(2);
  });

  test("EventBridge: a rule invokes the function with the event, under the envelope's trace", async () => {
    const events = new EventBridgeClient({ endpoint: emulators.endpoints.eventbridge, region, credentials });
    const root = newTraceId();
    const traceHeader = `Root=${root};Parent=${newSegmentId()};Sampled=1`;
    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: runtime.resources.Bus!.name,
            Source: "summit.shop",
            DetailType: OrderPlaced.type,
            Detail: envelope(
              OrderPlaced.type,
              { orderId: "eb-1", totalCents: 1, at: new Date().toISOString() },
              traceHeader,
            ),
          },
          {
            EventBusName: runtime.resources.Bus!.name,
            Source: "summit.other",
            DetailType: OrderPlaced.type,
            Detail: envelope(OrderPlaced.type, { orderId: "eb-unmatched", totalCents: 1, at: "" }),
          },
        ],
      }),
    );
    events.destroy();
    const call = await until(
      () => observed().find((o) => o.fn === "ProbeBus" && JSON.stringify(o.event).includes("eb-1")),
      "the bus consumer",
    );
    expect((call.event as { "detail-type": string })["detail-type"]).toBe(OrderPlaced.type);
    expect(call.trace).toContain(`Root=${root}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(JSON.stringify(observed())).not.toContain("eb-unmatched");
  });

  test("S3: an upload notifies the queue, whose poller invokes the function", async () => {
    const s3 = new S3Client({ endpoint: emulators.endpoints.s3, region, credentials, forcePathStyle: true });
    await s3.send(
      new PutObjectCommand({ Bucket: runtime.resources.ProbeBucket!.name, Key: "uploads/pic 1.png", Body: "png" }),
    );
    s3.destroy();
    const call = await until(
      () => observed().find((o) => o.kind === "sqs" && (o.bodies ?? []).some((b) => b.includes("ObjectCreated:Put"))),
      "the S3 notification",
    );
    const body = JSON.parse(call.bodies!.find((b) => b.includes("ObjectCreated"))!) as { Records: Json[] };
    expect(body.Records[0]!.s3.object.key).toBe("uploads/pic+1.png");
  });
});

describe("operations", () => {
  test("/_health reports every emulator and service ok", async () => {
    const res = await fetch(`${runtime.url}/_health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.status).toBe("ok");
    expect(body.services).toEqual({ probe: "ok" });
    expect(Object.keys(body.emulators).sort()).toEqual(
      ["cognito", "dynamodb", "eventbridge", "kinesis", "s3", "sns", "sqs"].sort(),
    );
  });

  test("stop() leaves no sandbox process behind", async () => {
    const sandboxes = () => {
      try {
        return execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], { encoding: "utf8" })
          .split("\n")
          .filter((line) => line.includes("sandboxProcess"));
      } catch {
        return []; // ps exits 1 when there is no child at all
      }
    };
    expect(sandboxes().length).toBeGreaterThan(0);
    await runtime.stop();
    await until(() => sandboxes().length === 0, "sandboxes to exit", 5_000);
    expect(existsSync(runtime.bundles.dir)).toBe(false);
    await expect(fetch(`${runtime.url}/_health`)).rejects.toThrow();
  });
});
