import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { KinesisClient, PutRecordCommand } from "@aws-sdk/client-kinesis";
import { InvokeCommand, LambdaClient, ListFunctionsCommand, ResourceNotFoundException } from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand, PurgeQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Emulators, startEmulators } from "../../local/emulators/index.js";
import { type Runtime, startRuntime } from "../../local/runtime/index.js";
import { type OpsContext, runOps, UsageError } from "../../scripts/ops.js";
import type { DlqMessage } from "../../shared/ops/dlqMessages.js";
import { defineService } from "../../shared/topology/index.js";
import { buildTopology } from "../../shared/topology/topology.js";
import { ItemScanned, LabelRequested, OrderPlaced } from "../fixtures/events.js";
import { observations } from "../fixtures/handlers/runtimeProbeConsumer.js";
import { observationsIn, probeEnvelope, until } from "../support/probe.js";

const CONSUMER = "test/fixtures/handlers/runtimeProbeConsumer";
const probe = defineService({
  name: "probe",
  basePath: "/probe",
  tables: {},
  routes: [],
  publishes: [OrderPlaced, LabelRequested, ItemScanned],
  consumers: [
    { name: "bus", events: [OrderPlaced], handler: `${CONSUMER}.onAsync`, retries: 0 },
    { name: "queue", events: [LabelRequested], handler: `${CONSUMER}.onSqs`, retries: 1, timeoutSeconds: 2 },
    { name: "stream", events: [ItemScanned], handler: `${CONSUMER}.onKinesis`, retries: 0, batchSize: 2 },
  ],
});
const topology = buildTopology([probe]);
const STREAM = topology.streams[0]!.name;

interface Observation {
  kind: string;
  fn?: string;
  data?: string[];
  event?: unknown;
  failed?: boolean;
}

const stage = `ops${Date.now().toString(36)}`;
const file = observations(stage);
const region = "us-east-1";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const summitDir = mkdtempSync(join(tmpdir(), "summit-ops-"));
let emulators: Emulators;
let runtime: Runtime;
let sqs: SQSClient;
let lambda: LambdaClient;
let kinesis: KinesisClient;
let context: OpsContext;

const observed = (): Observation[] => observationsIn<Observation>(file);

const ops = (...args: string[]) => runOps([...args, "--url", runtime.url], context);
const url = (name: string) => runtime.resources[name]!.url!;
const depth = async (name: string) =>
  Number(
    (
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url(name), AttributeNames: ["ApproximateNumberOfMessages"] }),
      )
    ).Attributes?.ApproximateNumberOfMessages,
  );
const kinesisSeen = (marker: string) =>
  observed()
    .filter((o) => o.kind === "kinesis")
    .flatMap((o) => o.data ?? [])
    .filter((d) => d.includes(marker)).length;

const envelope = probeEnvelope;

beforeAll(async () => {
  emulators = await startEmulators();
  runtime = await startRuntime({
    topology,
    emulators,
    port: 0,
    stage,
    tuning: { asyncRetryBaseDelayMs: 50, kinesisRetryBaseDelayMs: 20, kinesisPollIntervalMs: 100, sqsWaitSeconds: 1 },
  });
  // What `npm run dev` writes for the operator tools: the emulators' endpoints and the runtime's Lambda API.
  const env = { ...emulators.env, AWS_ENDPOINT_URL_LAMBDA: runtime.lambdaUrl };
  writeFileSync(
    join(summitDir, "local.env"),
    `${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n")}\n`,
  );
  process.env.SUMMIT_DIR = summitDir;
  sqs = new SQSClient({ endpoint: emulators.endpoints.sqs, region, credentials });
  lambda = new LambdaClient({ endpoint: runtime.lambdaUrl, region, credentials });
  kinesis = new KinesisClient({
    endpoint: emulators.endpoints.kinesis,
    region,
    credentials,
    requestHandler: new NodeHttpHandler(),
  });
  context = { topology, sqs, kinesis, lambda };
}, 90_000);

afterAll(async () => {
  for (const client of [sqs, lambda, kinesis]) client?.destroy();
  await runtime?.stop();
  await emulators?.stop();
  rmSync(file, { force: true });
  rmSync(summitDir, { recursive: true, force: true });
});

describe("the runtime's Lambda API, through @aws-sdk/client-lambda", () => {
  const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  test("RequestResponse answers the function's result; a function error is 200 with X-Amz-Function-Error", async () => {
    const ok = await lambda.send(
      new InvokeCommand({
        FunctionName: "ProbeQueue",
        Payload: payload({ Records: [{ messageId: "m1", body: "poison" }] }),
      }),
    );
    expect(ok.StatusCode).toBe(200);
    expect(ok.FunctionError).toBeUndefined();
    expect(ok.ExecutedVersion).toBe("$LATEST");
    expect(JSON.parse(new TextDecoder().decode(ok.Payload))).toEqual({ batchItemFailures: [{ itemIdentifier: "m1" }] });

    const failed = await lambda.send(
      new InvokeCommand({
        FunctionName: `arn:aws:lambda:${region}:000000000000:function:ProbeBus`,
        Payload: payload({ detail: "fail-always" }),
      }),
    );
    expect(failed.StatusCode).toBe(200);
    expect(failed.FunctionError).toBe("Unhandled");
    expect(JSON.parse(new TextDecoder().decode(failed.Payload))).toMatchObject({
      errorType: "Error",
      errorMessage: "fail-always",
    });
  });

  test("Event is accepted (202) and runs; DryRun is 204 and runs nothing", async () => {
    const marker = `ev-${Date.now()}`;
    const before = observed().length;
    const dry = await lambda.send(
      new InvokeCommand({ FunctionName: "ProbeBus", InvocationType: "DryRun", Payload: payload({ marker }) }),
    );
    expect(dry.StatusCode).toBe(204);
    const accepted = await lambda.send(
      new InvokeCommand({ FunctionName: "ProbeBus", InvocationType: "Event", Payload: payload({ marker }) }),
    );
    expect(accepted.StatusCode).toBe(202);
    await until(
      () => observed().some((o) => o.kind === "async" && JSON.stringify(o.event).includes(marker)),
      "the event invocation",
    );
    expect(
      observed()
        .slice(before)
        .filter((o) => JSON.stringify(o.event).includes(marker)),
    ).toHaveLength(1);
  });

  test("an unknown function is ResourceNotFoundException, a payload that is not JSON InvalidRequestContentException", async () => {
    await expect(lambda.send(new InvokeCommand({ FunctionName: "NoSuchFunction" }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(
      lambda.send(new InvokeCommand({ FunctionName: "ProbeBus", Payload: new TextEncoder().encode("{not json") })),
    ).rejects.toMatchObject({ name: "InvalidRequestContentException" });
    await expect(
      lambda.send(new InvokeCommand({ FunctionName: "ProbeBus", Payload: new Uint8Array(6 * 1024 * 1024 + 1) })),
    ).rejects.toMatchObject({ name: "RequestTooLargeException" });
  });

  test("ListFunctions lists every function of the topology", async () => {
    const out = await lambda.send(new ListFunctionsCommand({}));
    expect(out.Functions?.map((f) => f.FunctionName).sort()).toEqual(topology.functions.map((f) => f.name).sort());
    expect(out.Functions?.[0]).toMatchObject({ Runtime: "nodejs22.x", TracingConfig: { Mode: "Active" } });
  });
});

describe("npm run ops: dlq", () => {
  test("list shows every DLQ with its depth and what it serves, and no other queue", async () => {
    const dlqs = (await ops("dlq", "list")) as { name: string; role: string; source?: string; visible: number }[];
    expect(dlqs.map((q) => q.name).sort()).toEqual(
      topology.queues
        .filter((q) => q.role === "dlq")
        .map((q) => q.name)
        .sort(),
    );
    expect(dlqs.every((q) => q.role === "dlq" && typeof q.visible === "number")).toBe(true);
    expect(dlqs.find((q) => q.name === "ProbeQueueDlq")?.source).toBe("ShopLabelRequestedQueue");
  });

  test("show names each message's kind, event and reason, and leaves the messages where they are", async () => {
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url("ProbeStreamDlq") }));
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url("ProbeQueueDlq") }));
    const body = envelope(ItemScanned.type, { orderId: "o-1", at: new Date().toISOString(), sku: "s" });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url("ProbeStreamDlq"),
        MessageBody: body,
        MessageAttributes: {
          errorCode: { DataType: "String", StringValue: "InvalidPayload" },
          errorMessage: { DataType: "String", StringValue: "data.sku: expected string" },
          source: { DataType: "String", StringValue: "kinesis" },
          eventType: { DataType: "String", StringValue: ItemScanned.type },
        },
      }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url("ProbeStreamDlq"),
        MessageBody: JSON.stringify({
          requestContext: {
            condition: "RetryAttemptsExhausted",
            functionArn: "arn:aws:lambda:us-east-1:000000000000:function:ProbeStream",
          },
          responseContext: { functionError: "Unhandled" },
          KinesisBatchInfo: {
            shardId: "shardId-000000000000",
            startSequenceNumber: "1",
            endSequenceNumber: "9",
            batchSize: 2,
          },
        }),
      }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url("ProbeQueueDlq"),
        MessageBody: envelope(LabelRequested.type, { orderId: "o-2", at: "x" }),
      }),
    );

    const stream = (await ops("dlq", "show", "ProbeStreamDlq")) as DlqMessage[];
    expect(stream).toHaveLength(2);
    expect(stream.find((m) => m.kind === "poison")).toMatchObject({
      eventType: ItemScanned.type,
      reason: "InvalidPayload: data.sku: expected string (from kinesis)",
    });
    expect(stream.find((m) => m.kind === "stream-batch")?.reason).toBe(
      "RetryAttemptsExhausted on 2 record(s), shardId-000000000000 1…9: Unhandled",
    );
    const queue = (await ops("dlq", "show", "ProbeQueueDlq")) as DlqMessage[];
    expect(queue).toEqual([expect.objectContaining({ kind: "redriven", eventType: LabelRequested.type })]);
    // Shown, not taken: the messages are still there, visible.
    expect(await depth("ProbeStreamDlq")).toBe(2);
    expect(await depth("ProbeQueueDlq")).toBe(1);
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url("ProbeStreamDlq") }));
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url("ProbeQueueDlq") }));
  });

  test("redrive re-delivers an async failure record through Lambda's Invoke, once, and empties the DLQ", async () => {
    const marker = `rd-${Date.now()}`;
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url("ProbeBusDlq") }));
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url("ProbeBusDlq"),
        MessageBody: JSON.stringify({
          requestContext: {
            functionArn: "arn:aws:lambda:us-east-1:000000000000:function:ProbeBus:$LATEST",
            condition: "RetriesExhausted",
          },
          requestPayload: { "detail-type": OrderPlaced.type, detail: { orderId: marker } },
          responsePayload: { errorType: "Error", errorMessage: "was down" },
        }),
      }),
    );
    expect(await ops("dlq", "redrive", "ProbeBusDlq")).toEqual({ moved: 1 });
    expect(observed().filter((o) => o.kind === "async" && JSON.stringify(o.event).includes(marker))).toHaveLength(1);
    expect(await depth("ProbeBusDlq")).toBe(0);
  });

  test("refuses a queue that is no DLQ, an unknown queue and an unknown command", async () => {
    await expect(ops("dlq", "redrive", "ShopLabelRequestedQueue")).rejects.toThrow("not a DLQ");
    await expect(ops("dlq", "show", "ShopLabelRequestedQueue")).rejects.toThrow("not a DLQ");
    await expect(ops("dlq", "redrive", "NoSuchQueue")).rejects.toThrow("no queue NoSuchQueue");
    await expect(ops("dlq", "purge", "ProbeBusDlq")).rejects.toBeInstanceOf(UsageError);
    await expect(ops("nothing")).rejects.toBeInstanceOf(UsageError);
  });
});

describe("npm run ops: replay", () => {
  test("delivers the stream's records again to the consumer, in its batches; a second replay changes nothing it had not", async () => {
    const marker = `rp-${Date.now()}`;
    for (let i = 0; i < 3; i++)
      await kinesis.send(
        new PutRecordCommand({
          StreamName: runtime.resources[STREAM]!.name!,
          PartitionKey: `order-${i}`,
          Data: new TextEncoder().encode(envelope(ItemScanned.type, { orderId: `${marker}-${i}`, at: "x", sku: "s" })),
        }),
      );
    await until(() => kinesisSeen(marker) === 3, "the live consumer");
    const summary = (await ops("replay", STREAM, "--from", "TRIM_HORIZON", "--consumer", "ProbeStream")) as {
      read: number;
      delivered: number;
      batches: number;
      failures: unknown[];
    };
    expect(summary.failures).toEqual([]);
    expect(summary.delivered).toBe(summary.read);
    expect(summary.batches).toBeGreaterThanOrEqual(Math.ceil(summary.read / 2));
    expect(kinesisSeen(marker)).toBe(6);
    // From a time after every record: nothing to replay.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const later = (await ops("replay", STREAM, "--from", new Date().toISOString(), "--consumer", "ProbeStream")) as {
      read: number;
    };
    expect(later.read).toBe(0);
  });

  test("a batch the consumer fails stops its shard there and is named", async () => {
    await kinesis.send(
      new PutRecordCommand({
        StreamName: runtime.resources[STREAM]!.name!,
        PartitionKey: "order-bad",
        Data: new TextEncoder().encode(envelope(ItemScanned.type, { orderId: "bad", at: "x", sku: "s" })),
      }),
    );
    const summary = (await ops("replay", STREAM, "--consumer", "ProbeStream")) as {
      failures: { shardId: string; sequenceNumber: string; reason: string }[];
    };
    expect(summary.failures).toEqual([
      expect.objectContaining({ shardId: expect.stringMatching(/^shardId-/), reason: "bad record" }),
    ]);
  });

  test("refuses a consumer that does not read the stream, and a bad --from", async () => {
    await expect(ops("replay", STREAM, "--consumer", "ProbeBus")).rejects.toThrow("its consumers: ProbeStream");
    await expect(ops("replay", "NoSuchStream", "--consumer", "ProbeStream")).rejects.toThrow("no stream NoSuchStream");
    await expect(ops("replay", STREAM, "--from", "yesterday", "--consumer", "ProbeStream")).rejects.toBeInstanceOf(
      UsageError,
    );
  });
});

describe("the npm run ops command line", () => {
  // Asynchronous: the runtime answering the command runs in this very process.
  const run = (...args: string[]) =>
    promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/ops.ts", ...args, "--url", runtime.url], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, SUMMIT_DIR: summitDir, HOME: process.env.HOME },
    }).then(
      ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        status: error.code ?? -1,
        stdout: error.stdout ?? "",
        stderr: error.stderr ?? "",
      }),
    );

  // Against the real services' topology it runs in the e2e suite (test/e2e/dev.test.ts); here, what needs no stage.
  test("a usage mistake exits 2 with the usage, before reaching any stage", async () => {
    for (const args of [["dlq"], ["dlq", "show"], ["dlq", "purge", "X"], ["replay", "S"], ["nothing"]]) {
      const bad = await run(...args);
      expect(bad.status, args.join(" ")).toBe(2);
      expect(bad.stderr).toContain("usage: npm run ops");
    }
  }, 60_000);
});
