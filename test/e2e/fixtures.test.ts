import {
  AdminConfirmSignUpCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Emulators, startEmulators } from "../../local/emulators/index.js";
import { FALLBACK_USER_POOL, type Runtime, startRuntime } from "../../local/runtime/index.js";
import { buildTopology } from "../../shared/topology/index.js";
import { newTraceId, parseTraceHeader } from "../../shared/tracing/traceHeader.js";
import { fixtureServices } from "../fixtures/services/index.js";
import { eventually } from "../support/productsClient.js";
import {
  linksOf,
  linksSeenBothWays,
  type TraceDocument,
  traceEntries,
  type XrayReader,
  xrayReader,
} from "../support/xray.js";

let emulators: Emulators;
let runtime: Runtime;
let xray: XrayReader;
const logs: string[] = [];

beforeAll(async () => {
  emulators = await startEmulators();
  runtime = await startRuntime({
    topology: buildTopology(fixtureServices),
    emulators,
    port: 0,
    stage: "e2e",
    log: (line) => logs.push(line),
  });
  xray = xrayReader({
    endpoint: emulators.endpoints.xray,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
}, 90_000);

afterAll(async () => {
  xray?.client.destroy();
  await runtime?.stop();
  await emulators?.stop();
});

async function accessToken(): Promise<string> {
  const pool = runtime.resources.ShopUserPool ?? runtime.resources[FALLBACK_USER_POOL]!;
  const cognito = new CognitoIdentityProviderClient({
    endpoint: emulators.endpoints.cognito,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const email = `buyer-${Date.now()}@example.com`;
  const password = "Sup3r-secret-pass";
  await cognito.send(new SignUpCommand({ ClientId: pool.clientId as string, Username: email, Password: password }));
  await cognito.send(new AdminConfirmSignUpCommand({ UserPoolId: pool.id as string, Username: email }));
  const out = await cognito.send(
    new InitiateAuthCommand({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: pool.clientId as string,
      AuthParameters: { USERNAME: email, PASSWORD: password },
    }),
  );
  cognito.destroy();
  return out.AuthenticationResult!.AccessToken!;
}

interface Entry {
  consumer: string;
  type: string;
  eventId: string;
  traceHeader?: string;
  receivedTraceHeader?: string;
}

/** Every ledger consumer, one per transport (the bus has two: one direct, one buffered). */
const consumers = [
  "LedgerOrderPlaced",
  "LedgerOrderPlacedBuffered",
  "LedgerReceiptIssued",
  "LedgerLabelRequested",
  "LedgerItemScanned",
];

/** Kinesis carries no trace context: its consumer runs in a trace of its own, which links to the request's. */
const STREAM_CONSUMER = "LedgerItemScanned";

/** A consumer ran in the request's trace `root`, or, over the stream, in its own trace. */
function expectTraceOf(entry: Entry, root: string): void {
  expect(parseTraceHeader(entry.traceHeader)?.root, entry.consumer).toBe(root);
  const received = parseTraceHeader(entry.receivedTraceHeader)?.root;
  if (entry.consumer === STREAM_CONSUMER) expect(received, entry.consumer).not.toBe(root);
  else expect(received, entry.consumer).toBe(root);
}

/** What the ledger recorded for an order, once every consumer has recorded it (or 30 s have passed). */
async function ledgerEntries(orderId: string): Promise<Entry[]> {
  let entries: Entry[] = [];
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${runtime.url}/ledger/entries/${orderId}`);
    expect(res.status).toBe(200);
    entries = ((await res.json()) as { items: Entry[] }).items;
    if (consumers.every((c) => entries.some((e) => e.consumer === c))) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return entries;
}

interface ServiceMap {
  nodes: { id: string; name: string }[];
  edges: { source: string; target: string }[];
}

test("an order placed through the gateway reaches the ledger over all four transports, in one trace or through its link", async () => {
  const token = await accessToken();
  const orderId = `o-${Date.now()}`;
  const placed = await fetch(`${runtime.url}/shop/orders`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ orderId, totalCents: 1250 }),
  });
  expect(placed.status, `${await placed.clone().text()}\n${logs.slice(-20).join("\n")}`).toBe(201);
  const root = parseTraceHeader(placed.headers.get("x-amzn-trace-id"))!.root;

  const entries = await ledgerEntries(orderId);
  expect(entries.map((e) => e.consumer).sort(), logs.slice(-30).join("\n")).toEqual([...consumers].sort());
  // Every consumer ran under the trace the gateway started, but the stream's, whose trace links to it.
  for (const entry of entries) expectTraceOf(entry, root);
  const streamed = entries.find((e) => e.consumer === STREAM_CONSUMER)!;
  const streamTrace = parseTraceHeader(streamed.receivedTraceHeader)!.root;

  // X-Ray holds that one trace: the stage, the producer, and each consumer's function segment; the stream consumer's
  // trace links to it from the record's subsegment, and `/_dev/traces` names that link both ways.
  const inTrace = [
    "shop/e2e",
    "ShopPlaceOrder",
    "ShopOutboxPublisher",
    ...consumers.filter((c) => c !== STREAM_CONSUMER),
  ];
  const segmentsOf = (documents: TraceDocument[]) =>
    traceEntries(documents).flatMap((e) => (e.kind === "segment" && !e.inProgress ? [e.name] : []));
  const { documents, streamDocuments } = await eventually(
    async () => ({
      documents: await xray.traceDocuments(root),
      streamDocuments: await xray.traceDocuments(streamTrace),
    }),
    (r) =>
      inTrace.every((name) => segmentsOf(r.documents).includes(name)) &&
      segmentsOf(r.streamDocuments).includes(STREAM_CONSUMER) &&
      linksOf(r.streamDocuments).length > 0,
  );
  expect(inTrace.filter((name) => segmentsOf(documents).includes(name))).toEqual(inTrace);
  expect(segmentsOf(documents)).not.toContain(STREAM_CONSUMER);
  expect(linksOf(documents).filter((l) => l.trace_id !== root)).toEqual([]);
  const link = {
    trace_id: root,
    id: expect.stringMatching(/^[0-9a-f]{16}$/),
    attributes: { "messaging.system": "kinesis" },
  };
  expect(linksOf(streamDocuments)).toContainEqual(link);
  const target = linksOf(streamDocuments).find((l) => l.trace_id === root)!.id;
  expect(traceEntries(documents).map((e) => e.id)).toContain(target);
  expect((await xray.linkedFrom(root)).map((t) => t.traceId)).toContain(streamTrace);
  for (const id of [root, streamTrace]) {
    const seen = await linksSeenBothWays(xray, runtime.url, id);
    expect(seen.dev, id).toEqual(seen.documents);
  }
  expect((await linksSeenBothWays(xray, runtime.url, root)).dev).toContainEqual({
    traceId: streamTrace,
    direction: "out",
    via: "kinesis",
  });
  // The order and its events commit in one transaction; the table's stream feeds the outbox publisher, and each event
  // hangs under its own publish call: the map draws producer → table → publisher → transport → consumer for all
  // four transports, and never the producer straight to a transport or a consumer.
  const map = (await (await fetch(`${runtime.url}/_dev/service-map`)).json()) as ServiceMap;
  const nameOf = new Map(map.nodes.map((n) => [n.id, n.name]));
  const edges = map.edges.map((e) => `${nameOf.get(e.source)} -> ${nameOf.get(e.target)}`);
  const topic = "summit-e2e-ShopReceiptIssuedTopic";
  const queue = "summit-e2e-ShopLabelRequestedQueue";
  expect(edges).toEqual(
    expect.arrayContaining([
      "ShopPlaceOrder -> DynamoDB",
      "DynamoDB -> ShopOutboxPublisher",
      ...["EventBridge", "Kinesis", topic, queue].map((hop) => `ShopOutboxPublisher -> ${hop}`),
      "EventBridge -> LedgerOrderPlaced",
      "EventBridge -> LedgerOrderPlacedBuffered",
      `${topic} -> LedgerReceiptIssued`,
      `${queue} -> LedgerLabelRequested`,
      "Kinesis -> LedgerItemScanned",
    ]),
  );
  expect(edges.filter((e) => e.startsWith("ShopPlaceOrder -> "))).toEqual(["ShopPlaceOrder -> DynamoDB"]);
  const list = (await (await fetch(`${runtime.url}/_dev/traces?limit=100`)).json()) as { items: { traceId: string }[] };
  expect(list.items.some((t) => t.traceId === root)).toBe(true);

  // Cold starts, as the function segments report them (`aws.init_ms`), for the record.
  const coldStarts = [...documents, ...streamDocuments]
    .filter((d) => d.origin === "AWS::Lambda::Function")
    .map((d) => [d.name, (d.aws as { init_ms?: number } | undefined)?.init_ms] as const)
    .filter(([, ms]) => ms !== undefined);
  console.log(`runtime start-up ${runtime.startedInMs} ms; cold starts (ms):`, Object.fromEntries(coldStarts));
});

/** Every (sub)segment name of trace `root`, read through the X-Ray API. */
const segmentNames = async (root: string): Promise<string[]> =>
  traceEntries(await xray.traceDocuments(root)).map((e) => e.name);

test("a function killed right after its commit, before any publish: every event still arrives, once, in its trace", async () => {
  const orderId = `crash-${Date.now()}`;
  const traceId = newTraceId();
  const res = await fetch(`${runtime.url}/shop/orders/crashing`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-amzn-trace-id": `Root=${traceId};Sampled=1` },
    body: JSON.stringify({ orderId, totalCents: 900 }),
  });
  // The sandbox died after the transaction committed: the caller sees the integration fail.
  expect(res.status).toBe(502);
  expect(logs.some((line) => /ShopPlaceOrderThenCrash|sandbox exited/.test(line))).toBe(true);

  const entries = await ledgerEntries(orderId);
  expect(entries.map((e) => e.consumer).sort(), logs.slice(-30).join("\n")).toEqual([...consumers].sort());
  // Each event was published once: one event id per event type, and one publish of each in the trace.
  const idsByType = new Map<string, Set<string>>();
  for (const entry of entries) idsByType.set(entry.type, (idsByType.get(entry.type) ?? new Set()).add(entry.eventId));
  expect([...idsByType.values()].map((ids) => ids.size)).toEqual([1, 1, 1, 1]);
  // The trace header the request had when it committed travelled with every event, to every consumer (the stream's
  // in its envelope, linked from a trace of its own).
  for (const entry of entries) expectTraceOf(entry, traceId);
  const publishes = async () => (await segmentNames(traceId)).filter((name) => name.startsWith("publish ")).sort();
  await eventually(publishes, (names) => names.length >= 4);
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // a second publish, were there one, would be in by now
  expect(await publishes()).toEqual(
    ["shop.ItemScanned", "shop.LabelRequested", "shop.OrderPlaced", "shop.ReceiptIssued"].map((t) => `publish ${t}`),
  );
});
