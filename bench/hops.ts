/**
 * The local hops, measured side by side in one run against the real local runtime (`startEmulators()` and
 * `startRuntime()` on a small fixture topology: one read route, one consumer per transport, an outbox):
 *
 * 1. the gateway's overhead: the same warm read route through the gateway (HTTP) and invoked directly on its sandbox
 *    pool with the proxy event the gateway builds, interleaved one by one;
 * 2. publish-to-consumer-start latency per transport: an event published through `shared/publish` (an outbox item
 *    put on the table, for the DynamoDB stream), one at a time, transports interleaved, until the consumer notes it;
 * 3. the records a second one Kinesis shard takes with order per key kept, checked after the run;
 * 4. warm HTTP requests a second for the read route at a fixed concurrency, against the same route invoked directly.
 *
 * The event sources run with the intervals `npm run dev` uses ({@link HOP_TUNING}); the pollers dominate locally.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeStreamSummaryCommand } from "@aws-sdk/client-kinesis";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { percentile } from "../local/devtools/serviceMap.js";
import { startEmulators } from "../local/emulators/index.js";
import { EVENT_SOURCE_DEFAULTS } from "../local/runtime/eventSources/types.js";
import { apiIdOf } from "../local/runtime/gateway/gateway.js";
import { proxyEvent } from "../local/runtime/gateway/proxyEvent.js";
import { type EventSourceTuning, type Runtime, startRuntime } from "../local/runtime/index.js";
import { resetAwsClients } from "../shared/aws/index.js";
import { kinesisClient } from "../shared/aws/kinesis.js";
import { linkEnv, resetResourceCache } from "../shared/config.js";
import { outboxEvent, outboxItems } from "../shared/outbox/index.js";
import { publish, publishBatch } from "../shared/publish/index.js";
import { buildTopology, defineService, type TableDefinition } from "../shared/topology/index.js";
import { formatTraceHeader, newSegmentId, newTraceId } from "../shared/tracing/traceHeader.js";
import { ItemScanned, LabelRequested, OrderPlaced, ReceiptIssued } from "../test/fixtures/events.js";
import { type HopObservation, hopObservations } from "./handlers/hops.js";

/** The event sources' intervals, the runtime's defaults (what `npm run dev` runs), passed as such and printed. */
export const HOP_TUNING = {
  kinesisPollIntervalMs: EVENT_SOURCE_DEFAULTS.shardPollIntervalMs,
  dynamodbStreamPollIntervalMs: EVENT_SOURCE_DEFAULTS.shardPollIntervalMs,
  sqsWaitSeconds: EVENT_SOURCE_DEFAULTS.sqsWaitSeconds,
} as const satisfies EventSourceTuning;

const EVENTS_PER_TRANSPORT = Number(process.env.BENCH_HOP_EVENTS ?? 40);
const GATEWAY_PAIRS = 300;
const SHARD_RECORDS = 5_000;
const SHARD_KEYS = 5;
const RATE_REQUESTS = 1_200;
const CONCURRENCIES = [8, 32] as const;

const HANDLERS = "bench/handlers/hops";
const TABLE = { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt" } as const satisfies TableDefinition;
const hopsService = defineService({
  name: "hops",
  basePath: "/hops",
  tables: { HopsTable: TABLE },
  routes: [{ method: "GET", path: "/items/{id}", auth: false, handler: `${HANDLERS}.read`, summary: "A warm read" }],
  publishes: [OrderPlaced, ReceiptIssued, LabelRequested, ItemScanned],
  consumers: [
    { name: "bus", events: [OrderPlaced], handler: `${HANDLERS}.onBus`, retries: 0 },
    { name: "topic", events: [ReceiptIssued], handler: `${HANDLERS}.onTopic`, retries: 0 },
    { name: "queue", events: [LabelRequested], handler: `${HANDLERS}.onQueue`, retries: 0 },
    { name: "stream", events: [ItemScanned], handler: `${HANDLERS}.onStream`, retries: 0 },
  ],
  outboxPublisher: `${HANDLERS}.onOutbox`,
});

export interface Spread {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface HopLatency extends Spread {
  readonly transport: string;
  /** What carries the event to the consumer locally, with its interval. */
  readonly via: string;
}

export interface RequestRate {
  readonly concurrency: number;
  readonly httpPerSecond: number;
  readonly directPerSecond: number;
  readonly ratio: number;
}

export interface LocalHops {
  /** The read route measured, as requested (`GET /hops/items/{id}`). */
  readonly route: string;
  readonly gateway: { readonly pairs: number; readonly http: Spread; readonly direct: Spread };
  readonly latencies: { readonly events: number; readonly transports: readonly HopLatency[] };
  readonly shard: {
    readonly records: number;
    /** Records per invocation at most (the consumer's mapping). */
    readonly batchSize: number;
    readonly keys: number;
    readonly seconds: number;
    readonly perSecond: number;
    readonly orderKept: boolean;
    /** The first place the order broke, when it did. */
    readonly broken?: string;
  };
  readonly rates: { readonly requests: number; readonly sandboxes: number; readonly byConcurrency: RequestRate[] };
}

const spread = (samples: readonly number[]): Spread => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
};

/**
 * What the consumers noted so far (`bench/handlers/hops.ts`), read again from the file on each look: when each event
 * id first reached a handler, and each function's ids in the order they came.
 */
class Observations {
  private lines = 0;
  private readonly started = new Map<string, number>();
  private readonly byFunction = new Map<string, string[]>();

  constructor(private readonly file: string) {}

  private refresh(): void {
    if (!existsSync(this.file)) return;
    const lines = readFileSync(this.file, "utf8").split("\n").filter(Boolean);
    for (const line of lines.slice(this.lines)) {
      const { fn, startedAt, ids } = JSON.parse(line) as HopObservation;
      for (const id of ids) if (!this.started.has(id)) this.started.set(id, startedAt);
      const delivered = this.byFunction.get(fn) ?? [];
      delivered.push(...ids);
      this.byFunction.set(fn, delivered);
    }
    this.lines = lines.length;
  }

  /** When the consumer started on each of `ids`, once all of them arrived. */
  async startOf(ids: readonly string[], timeoutMs = 15_000): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.refresh();
      if (ids.every((id) => this.started.has(id))) return ids.map((id) => this.started.get(id)!);
      if (Date.now() > deadline) {
        const missing = ids.filter((id) => !this.started.has(id));
        throw new Error(`${missing.length} of ${ids.length} events never reached their consumer (${missing[0]}…)`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** The ids `fn` was handed, in delivery order (repeats included). */
  delivered(fn: string): readonly string[] {
    this.refresh();
    return this.byFunction.get(fn) ?? [];
  }
}

/** The proxy event the gateway builds for a GET from `fetch`, for the direct invocation. */
function readEvent(runtime: Runtime, stage: string, basePath: string, resource: string, id: string) {
  const path = `${basePath}/items/${id}`;
  const host = new URL(runtime.url).host;
  const traceHeader = formatTraceHeader({ root: newTraceId(), parent: newSegmentId(), sampled: true });
  const event = proxyEvent({
    request: {
      method: "GET",
      path,
      query: "",
      rawHeaders: ["host", host, "connection", "keep-alive", "accept", "*/*", "user-agent", "node"],
      body: Buffer.alloc(0),
      sourceIp: "127.0.0.1",
      protocol: "HTTP/1.1",
      receivedAt: Date.now(),
    },
    resource,
    apiPath: `/items/${id}`,
    pathParameters: { id },
    stage,
    accountId: "000000000000",
    apiId: apiIdOf(hopsService.name),
    requestId: `bench-${id}`,
    traceHeader,
  });
  return { event, traceHeader };
}

/** The read route's two paths, each resolving when a 200 came back. */
function readPaths(runtime: Runtime, stage: string) {
  const route = runtime.topology.routes.find((r) => r.service === hopsService.name);
  if (!route) throw new Error("the hops topology has no route");
  const basePath = hopsService.basePath;
  let n = 0;
  return {
    fn: route.function,
    label: `${route.method} ${basePath}${route.path}`,
    async http(): Promise<void> {
      const res = await fetch(`${runtime.url}${basePath}/items/i-${++n}`);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`GET ${basePath}${route.path} answered ${res.status}`);
    },
    async direct(): Promise<void> {
      const { event, traceHeader } = readEvent(runtime, stage, basePath, route.path, `i-${++n}`);
      const { outcome } = await runtime.invoke(route.function, event, traceHeader);
      const status = outcome.ok ? (outcome.value as { statusCode?: number }).statusCode : undefined;
      if (status !== 200) throw new Error(`${route.function} answered ${outcome.ok ? status : "an error"}`);
    },
  };
}

async function timed(work: () => Promise<void>): Promise<number> {
  const began = performance.now();
  await work();
  return performance.now() - began;
}

async function gatewayOverhead(paths: ReturnType<typeof readPaths>): Promise<LocalHops["gateway"]> {
  for (let i = 0; i < 20; i++) await Promise.all([paths.http(), paths.direct()]); // warm: sandboxes and sockets
  const http: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < GATEWAY_PAIRS; i++) {
    http.push(await timed(paths.http));
    direct.push(await timed(paths.direct));
  }
  return { pairs: GATEWAY_PAIRS, http: spread(http), direct: spread(direct) };
}

/** `count` calls of `work`, `concurrency` at a time; resolves to the seconds they took. */
async function burst(work: () => Promise<void>, count: number, concurrency: number): Promise<number> {
  let left = count;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await work();
    }),
  );
  return (performance.now() - began) / 1000;
}

async function requestRates(runtime: Runtime, paths: ReturnType<typeof readPaths>): Promise<LocalHops["rates"]> {
  await burst(paths.http, 100, CONCURRENCIES[0]); // every sandbox of the pool started
  const rounds = 4;
  const byConcurrency: RequestRate[] = [];
  for (const concurrency of CONCURRENCIES) {
    let httpSeconds = 0;
    let directSeconds = 0;
    for (let round = 0; round < rounds; round++) {
      httpSeconds += await burst(paths.http, RATE_REQUESTS / rounds, concurrency);
      directSeconds += await burst(paths.direct, RATE_REQUESTS / rounds, concurrency);
    }
    const httpPerSecond = RATE_REQUESTS / httpSeconds;
    const directPerSecond = RATE_REQUESTS / directSeconds;
    byConcurrency.push({ concurrency, httpPerSecond, directPerSecond, ratio: httpPerSecond / directPerSecond });
  }
  return { requests: RATE_REQUESTS, sandboxes: runtime.pools.get(paths.fn)?.size ?? 0, byConcurrency };
}

/** One way to send an event on each transport, resolving to the event's id. */
function senders(
  runtime: Runtime,
  documents: DynamoDBDocumentClient,
): Array<{ transport: string; via: string; send: () => Promise<string> }> {
  const at = () => new Date().toISOString();
  let n = 0;
  const orderId = () => `o-${++n}`;
  const table = runtime.resources.HopsTable?.name;
  if (!table) throw new Error("HopsTable is not provisioned");
  return [
    {
      transport: "EventBridge",
      via: "rule target, invoked asynchronously (no poller)",
      send: () => publish(OrderPlaced, { orderId: orderId(), at: at(), totalCents: 100 }),
    },
    {
      transport: "SNS",
      via: "subscription queue, long-polled (2 s wait, answers on arrival)",
      send: () => publish(ReceiptIssued, { orderId: orderId(), at: at(), channel: "email" }),
    },
    {
      transport: "SQS",
      via: `event source mapping, long-polled (${HOP_TUNING.sqsWaitSeconds} s wait, answers on arrival)`,
      send: () => publish(LabelRequested, { orderId: orderId(), at: at() }),
    },
    {
      transport: "Kinesis",
      via: `shard read again every ${HOP_TUNING.kinesisPollIntervalMs} ms while idle`,
      send: () => publish(ItemScanned, { orderId: orderId(), at: at(), sku: "s-1" }),
    },
    {
      transport: "DynamoDB stream → outbox publisher",
      via: `shard read again every ${HOP_TUNING.dynamodbStreamPollIntervalMs} ms while idle`,
      async send() {
        const { items, eventIds } = outboxItems(TABLE, [
          outboxEvent(OrderPlaced, { orderId: orderId(), at: at(), totalCents: 100 }),
        ]);
        await documents.send(new PutCommand({ TableName: table, Item: items[0] }));
        return eventIds[0]!;
      },
    },
  ];
}

async function hopLatencies(runtime: Runtime, seen: Observations): Promise<LocalHops["latencies"]> {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const transports = senders(runtime, documents);
  const samples = transports.map(() => [] as number[]);
  // Round 0 starts each consumer's sandbox: a cold start, not a hop; it is left out.
  for (let round = 0; round <= EVENTS_PER_TRANSPORT; round++) {
    for (const [i, { send }] of transports.entries()) {
      const sentAt = Date.now();
      const id = await send();
      const [startedAt] = await seen.startOf([id]);
      if (round > 0) samples[i]!.push(startedAt! - sentAt);
    }
  }
  documents.destroy();
  return {
    events: EVENTS_PER_TRANSPORT,
    transports: transports.map(({ transport, via }, i) => ({ transport, via, ...spread(samples[i]!) })),
  };
}

/**
 * The first break of order per key in what a consumer was handed, or undefined: each key's numbers must come as
 * 0, 1, 2… exactly once each.
 *
 * @example
 * ```ts
 * orderBreak(["a", "b"], new Map([["a", { key: "k", n: 0 }], ["b", { key: "k", n: 1 }]])); // undefined
 * ```
 */
export function orderBreak(
  delivered: readonly string[],
  sent: ReadonlyMap<string, { readonly key: string; readonly n: number }>,
): string | undefined {
  const next = new Map<string, number>();
  for (const id of delivered) {
    const record = sent.get(id);
    if (!record) continue; // another run's event on the same stream
    const expected = next.get(record.key) ?? 0;
    if (record.n !== expected) return `key ${record.key}: record ${record.n} came where ${expected} was due`;
    next.set(record.key, expected + 1);
  }
  return undefined;
}

async function shardRate(runtime: Runtime, seen: Observations): Promise<LocalHops["shard"]> {
  const sub = runtime.topology.subscriptions.find((s) => s.event === ItemScanned.type);
  if (sub?.trigger.kind !== "kinesis") throw new Error("the hops topology has no stream consumer");
  const { StreamDescriptionSummary: summary } = await kinesisClient().send(
    new DescribeStreamSummaryCommand({ StreamName: runtime.resources[sub.trigger.stream]!.name! }),
  );
  if (summary?.OpenShardCount !== 1) throw new Error(`the stream has ${summary?.OpenShardCount} shards, not one`);
  const at = new Date().toISOString();
  const payloads = Array.from({ length: SHARD_RECORDS }, (_, i) => ({
    orderId: `key-${i % SHARD_KEYS}`,
    at,
    sku: String(Math.floor(i / SHARD_KEYS)),
  }));
  const sent = new Map<string, { key: string; n: number }>();
  const began = Date.now();
  // One request at a time (500 records, the most PutRecords takes), so each key's records go on in order.
  for (let i = 0; i < payloads.length; i += 500) {
    const chunk = payloads.slice(i, i + 500);
    const ids = await publishBatch(ItemScanned, chunk);
    for (const [j, id] of ids.entries()) sent.set(id, { key: chunk[j]!.orderId, n: Number(chunk[j]!.sku) });
  }
  const starts = await seen.startOf([...sent.keys()], 60_000);
  const seconds = (Math.max(...starts) - began) / 1000;
  const broken = orderBreak(seen.delivered(sub.function), sent);
  return {
    records: SHARD_RECORDS,
    batchSize: sub.trigger.batchSize,
    keys: SHARD_KEYS,
    seconds,
    perSecond: SHARD_RECORDS / seconds,
    orderKept: broken === undefined,
    ...(broken ? { broken } : {}),
  };
}

/**
 * Starts the emulators and the runtime on the fixture topology, points this process's `shared/publish` at them as
 * the outbox publisher's links would, runs the four measures and stops everything (this process's environment is
 * put back as it was).
 *
 * @example
 * ```ts
 * const hops = await localHops();
 * console.log(hops.gateway.http.p50Ms / hops.gateway.direct.p50Ms); // the gateway's overhead, as a ratio
 * ```
 */
export async function localHops(): Promise<LocalHops> {
  const stage = `hops${Date.now().toString(36)}`;
  const file = hopObservations(stage);
  const emulators = await startEmulators();
  let runtime: Runtime | undefined;
  const before = { ...process.env };
  try {
    runtime = await startRuntime({
      topology: buildTopology([hopsService]),
      emulators,
      port: 0,
      stage,
      tuning: HOP_TUNING,
    });
    // This process publishes as the outbox publisher does: with its links, to the emulators.
    const publisher = runtime.topology.outboxes.find((o) => o.service === hopsService.name)?.function;
    const links = runtime.topology.functions.find((f) => f.name === publisher)?.links ?? [];
    const env: Record<string, string> = { ...emulators.env, AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1" };
    for (const name of links) Object.assign(env, linkEnv(name, runtime.resources[name]!));
    Object.assign(process.env, env);
    resetAwsClients();
    resetResourceCache();

    const seen = new Observations(file);
    const paths = readPaths(runtime, stage);
    const gateway = await gatewayOverhead(paths);
    const latencies = await hopLatencies(runtime, seen);
    const shard = await shardRate(runtime, seen);
    const rates = await requestRates(runtime, paths);
    return { route: paths.label, gateway, latencies, shard, rates };
  } finally {
    await runtime?.stop();
    await emulators.stop();
    for (const name of Object.keys(process.env)) if (!(name in before)) delete process.env[name];
    Object.assign(process.env, before);
    resetAwsClients();
    resetResourceCache();
    rmSync(file, { force: true });
  }
}
