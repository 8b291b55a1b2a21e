import { rmSync } from "node:fs";
import { GetQueueAttributesCommand, PurgeQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Emulators, startEmulators } from "../../local/emulators/index.js";
import { type Runtime, startRuntime } from "../../local/runtime/index.js";
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
    {
      name: "queue",
      events: [LabelRequested],
      handler: `${CONSUMER}.onSqs`,
      retries: 1,
      timeoutSeconds: 2,
      batchSize: 5,
    },
    { name: "stream", events: [ItemScanned], handler: `${CONSUMER}.onKinesis`, retries: 0 },
  ],
});

interface Depth {
  name: string;
  role: string;
  visible: number;
  inFlight: number;
  dlq?: string;
  source?: string;
}
interface Observation {
  kind: string;
  bodies?: string[];
  event?: unknown;
}

const stage = `dq${Date.now().toString(36)}`;
const file = observations(stage);
const region = "us-east-1";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
let emulators: Emulators;
let runtime: Runtime;
let sqs: SQSClient;

const observed = (): Observation[] => observationsIn<Observation>(file);

const queues = async (): Promise<Depth[]> => {
  const res = await fetch(`${runtime.url}/_dev/queues`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
  return ((await res.json()) as { items: Depth[] }).items;
};
const depthOf = async (name: string) => (await queues()).find((q) => q.name === name);
const redrive = (name: string) => fetch(`${runtime.url}/_dev/queues/${name}/redrive`, { method: "POST" });
const sqsReceives = (text: string) =>
  observed()
    .filter((o) => o.kind === "sqs")
    .flatMap((o) => o.bodies ?? [])
    .filter((b) => b.includes(text)).length;

const envelope = probeEnvelope;

beforeAll(async () => {
  emulators = await startEmulators();
  runtime = await startRuntime({
    topology: buildTopology([probe]),
    emulators,
    port: 0,
    stage,
    tuning: {
      asyncRetryBaseDelayMs: 50,
      kinesisRetryBaseDelayMs: 20,
      kinesisPollIntervalMs: 100,
      sqsFailedVisibilitySeconds: 0,
      sqsWaitSeconds: 1,
    },
  });
  sqs = new SQSClient({ endpoint: emulators.endpoints.sqs, region, credentials });
}, 90_000);

afterAll(async () => {
  sqs?.destroy();
  await runtime?.stop();
  await emulators?.stop();
  rmSync(file, { force: true });
});

describe("/_dev/queues", () => {
  test("lists every queue of the topology with its role, DLQ and source", async () => {
    const items = await queues();
    expect(items.map((q) => q.name).sort()).toEqual(runtime.topology.queues.map((q) => q.name).sort());
    expect(items.find((q) => q.name === "ShopLabelRequestedQueue")).toMatchObject({
      role: "event",
      dlq: "ProbeQueueDlq",
    });
    expect(items.find((q) => q.name === "ProbeQueueDlq")).toMatchObject({
      role: "dlq",
      source: "ShopLabelRequestedQueue",
    });
    expect(items.find((q) => q.name === "ProbeBusDlq")).toMatchObject({ role: "dlq", source: "ProbeBus" });
    expect(items.find((q) => q.name === "ProbeStreamDlq")).toMatchObject({ role: "dlq", source: "ProbeStream" });
    for (const q of items) {
      expect(q.visible).toBeTypeOf("number");
      expect(q.inFlight).toBeTypeOf("number");
    }
  });

  test("a queue with messages shows its depth, as SQS counts it", async () => {
    const url = runtime.resources.ProbeBusDlq!.url!;
    for (const n of [1, 2, 3])
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify({ n, note: "depth" }) }));
    const depth = await depthOf("ProbeBusDlq");
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    expect(depth?.visible).toBe(3);
    expect(depth?.visible).toBe(Number(attrs.Attributes?.ApproximateNumberOfMessages));
    expect(depth?.inFlight).toBe(0);
  });

  test("a poisoned message lands in the DLQ; redrive moves it back to its queue, where it is processed", async () => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: runtime.resources.ShopLabelRequestedQueue!.url!,
        MessageBody: envelope(LabelRequested.type, { orderId: "dq-poison", at: new Date().toISOString() }),
      }),
    );
    await until(async () => (await depthOf("ProbeQueueDlq"))?.visible === 1, "the poison message in the DLQ");
    expect(sqsReceives("dq-poison")).toBe(2); // maxReceiveCount = retries + 1

    const res = await redrive("ProbeQueueDlq");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({ moved: 1 });
    // Back on its queue, received by the consumer again (and, still poison, dead-lettered again after its receives).
    await until(() => sqsReceives("dq-poison") >= 3, "the redriven message processed");
    await until(() => sqsReceives("dq-poison") === 4, "the redriven message's second receive");
    await until(async () => (await depthOf("ProbeQueueDlq"))?.visible === 1, "the message back in the DLQ");
  });

  test("an async consumer's failure record is re-delivered to its function", async () => {
    const url = runtime.resources.ProbeBusDlq!.url!;
    // Drop the depth test's plain messages: a bus consumer's DLQ only ever holds invocation records.
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    const event = { "detail-type": OrderPlaced.type, detail: { orderId: "dq-async-ok" } };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify({
          version: "1.0",
          timestamp: new Date().toISOString(),
          requestContext: {
            requestId: "r-1",
            functionArn: "arn:aws:lambda:us-east-1:000000000000:function:ProbeBus:$LATEST",
            condition: "RetriesExhausted",
            approximateInvokeCount: 1,
          },
          requestPayload: event,
          responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
          responsePayload: { errorType: "Error", errorMessage: "was down" },
        }),
      }),
    );
    const res = await redrive("ProbeBusDlq");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ moved: 1 });
    expect(observed().some((o) => o.kind === "async" && JSON.stringify(o.event).includes("dq-async-ok"))).toBe(true);
    expect((await depthOf("ProbeBusDlq"))?.visible).toBe(0);
  });

  test("404 for an unknown queue, 409 for a queue that is no DLQ and for a stream consumer's DLQ", async () => {
    const unknown = await redrive("NoSuchQueue");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toBe("application/problem+json");
    expect(await unknown.json()).toMatchObject({ status: 404, type: "https://summit.dev/problems/not-found" });

    const notDlq = await redrive("ShopLabelRequestedQueue");
    expect(notDlq.status).toBe(409);
    expect(notDlq.headers.get("content-type")).toBe("application/problem+json");
    expect(await notDlq.json()).toMatchObject({ status: 409, type: "https://summit.dev/problems/conflict" });

    const stream = await redrive("ProbeStreamDlq");
    expect(stream.status).toBe(409);
    expect(((await stream.json()) as { detail: string }).detail).toContain("shard range");

    const get = await fetch(`${runtime.url}/_dev/queues/ProbeQueueDlq/redrive`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });
});
