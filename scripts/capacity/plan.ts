import type { FunctionNode, RouteNode, SubscriptionNode, Topology, Trigger } from "../../shared/topology/index.js";
import { SHARD_LIMITS, shardsFor, shardsOnStage } from "../../shared/topology/index.js";
import {
  type ConsumerLoad,
  DEFAULT_CONSUMER,
  DEFAULT_READ,
  DEFAULT_WRITE,
  type Duration,
  type RouteClass,
  type RouteLoad,
  type Workload,
} from "./workload.js";

/** Which cache layers the plan lets answer reads. */
export interface CacheLayers {
  readonly cdn: boolean;
  readonly originCache: boolean;
}

export const ALL_CACHES: CacheLayers = { cdn: true, originCache: true };
export const NO_CACHES: CacheLayers = { cdn: false, originCache: false };

/** A rate: per second on average, at the peak, and per month. */
export interface Rate {
  readonly average: number;
  readonly peak: number;
  readonly monthly: number;
}

export interface RoutePlan {
  readonly key: string;
  readonly service: string;
  readonly function: string;
  /** Every request, whoever answers it. */
  readonly requests: Rate;
  /** What reaches API Gateway and the function (the CDN's misses, or everything without it). */
  readonly origin: Rate;
  readonly cdnHitRate: number;
  /** Read units a second (average) with no cache, with the CDN only, with the CDN and the origin cache. */
  readonly rru: { readonly none: number; readonly cdn: number; readonly all: number };
  /** What the plan charges: the row of `rru` the cache layers select. */
  readonly rruCharged: number;
  readonly wru: number;
  readonly responseKb: number;
  /** True when the workload had no entry for it (defaults applied). */
  readonly assumed: boolean;
}

export interface FunctionPlan {
  readonly name: string;
  readonly service: string;
  readonly kind: FunctionNode["kind"];
  readonly memoryMb: number;
  /** Invocations. */
  readonly invocations: Rate;
  readonly durationMs: number;
  /** In-flight executions at the peak (Little's law: arrival rate × duration). */
  readonly concurrency: number;
  readonly gbSecondsMonthly: number;
}

export interface StreamPlan {
  readonly name: string;
  readonly event: string;
  readonly consumers: number;
  readonly recordBytes: number;
  readonly records: Rate;
  /** What the stacks deploy in production (the contract's estimate, `shardsFor`). */
  readonly provisionedShards: number;
  /** What this stage's peak needs, by the same arithmetic. */
  readonly neededShards: number;
  /** The same before rounding up: how much of one shard's limits the peak takes, summed over shards. */
  readonly shardLoad: number;
  readonly putUnitsMonthly: number;
}

export interface EventPlan {
  readonly type: string;
  readonly transport: string;
  readonly rate: Rate;
  readonly subscribers: number;
}

export interface QueuePlan {
  readonly name: string;
  readonly messages: Rate;
  /** Send, receive and delete requests a month (batched where the trigger batches). */
  readonly requestsMonthly: number;
}

export interface StagePlan {
  readonly users: number;
  readonly caches: CacheLayers;
  readonly routes: readonly RoutePlan[];
  readonly functions: readonly FunctionPlan[];
  readonly events: readonly EventPlan[];
  readonly streams: readonly StreamPlan[];
  readonly queues: readonly QueuePlan[];
  /** Monthly totals per billed unit. */
  readonly totals: {
    readonly apiRequests: number;
    readonly lambdaRequests: number;
    readonly lambdaGbSeconds: number;
    readonly rru: number;
    readonly wru: number;
    readonly dynamodbStorageGb: number;
    readonly shardHours: number;
    readonly putUnits: number;
    readonly eventbridgeEvents: number;
    readonly snsPublishes: number;
    readonly snsDeliveries: number;
    readonly sqsRequests: number;
    readonly s3Puts: number;
    readonly s3Gets: number;
    readonly s3StorageGb: number;
    readonly cdnRequests: number;
    readonly cdnGbOut: number;
    readonly traces: number;
    readonly logsGb: number;
  };
}

const SECONDS_PER_DAY = 86_400;
const MONTH = 30 * SECONDS_PER_DAY;
const KB_PER_GB = 1024 * 1024;
/** Lambda's SQS event source keeps five pollers long-polling (20 s) a queue, even an empty one. */
const SQS_IDLE_RECEIVES_PER_SECOND = 5 / 20;
/** Lambda reads each Kinesis shard about once a second, each DynamoDB stream shard four times. */
const POLLS_PER_SECOND: Record<"kinesis" | "dynamodb" | "sqs", number> = { kinesis: 1, dynamodb: 4, sqs: 5 };
/** A DynamoDB stream has a shard per table partition; one partition takes 1,000 WCU/s. */
const WCU_PER_PARTITION = 1000;
/** Kinesis bills a record in 25 KB PUT payload units. */
const PUT_UNIT_KB = 25;
/** SQS bills a request per 64 KB of payload; EventBridge and SNS the same per event. */
const CHUNK_KB = 64;

export const routeKey = (route: Pick<RouteNode, "method" | "fullPath">): string => `${route.method} ${route.fullPath}`;

const rate = (average: number, workload: Workload): Rate => ({
  average,
  peak: average * workload.peakFactor,
  monthly: average * MONTH,
});

const classOf = (route: RouteNode, load: RouteLoad): RouteClass =>
  load.class ?? (route.method === "GET" ? "read" : "write");

/** Requests a second (average) of every route: its share of its class, or a ratio of the route it follows. */
function routeRates(topology: Topology, workload: Workload, users: number): Map<string, number> {
  const loads = new Map(topology.routes.map((r) => [routeKey(r), loadOf(workload, r)]));
  const shareTotals = new Map<RouteClass, number>();
  for (const route of topology.routes) {
    const load = loads.get(routeKey(route))!;
    if (load.follows) continue;
    const c = classOf(route, load);
    shareTotals.set(c, (shareTotals.get(c) ?? 0) + (load.share ?? 0));
  }
  const rates = new Map<string, number>();
  for (const route of topology.routes) {
    const load = loads.get(routeKey(route))!;
    if (load.follows) continue;
    const c = classOf(route, load);
    const total = shareTotals.get(c) ?? 0;
    const share = total > 0 ? (load.share ?? 0) / total : 0;
    rates.set(routeKey(route), (users * workload.perUserPerDay[c] * share) / SECONDS_PER_DAY);
  }
  for (const route of topology.routes) {
    const { follows } = loads.get(routeKey(route))!;
    if (follows) rates.set(routeKey(route), (rates.get(follows.route) ?? 0) * follows.ratio);
  }
  return rates;
}

function loadOf(workload: Workload, route: RouteNode): RouteLoad & { assumed: boolean } {
  const load = workload.routes[routeKey(route)];
  if (load) return { ...load, assumed: false };
  return { ...(route.method === "GET" ? DEFAULT_READ : DEFAULT_WRITE), assumed: true };
}

const consumerLoad = (workload: Workload, fn: string): ConsumerLoad => workload.consumers[fn] ?? DEFAULT_CONSUMER;

function durationOf(workload: Workload, fn: FunctionNode): Duration {
  return workload.durations.byFunction[fn.name] ?? workload.durations[fn.kind];
}

/**
 * Invocations a second, and records in each, for `shards` pollers reading `perSecond` records in all with batches of
 * `batchSize`: each hands over what arrived since its last read (or over the batch window), up to the batch size.
 */
function batching(perSecond: number, batchSize: number, windowSeconds: number, pollsPerShard: number, shards = 1) {
  if (perSecond <= 0) return { invocations: 0, perInvocation: 0 };
  const pollsPerSecond = shards * (windowSeconds > 0 ? Math.min(pollsPerShard, 1 / windowSeconds) : pollsPerShard);
  const invocations = Math.max(perSecond / batchSize, Math.min(perSecond, pollsPerSecond));
  return { invocations, perInvocation: perSecond / invocations };
}

/** Events a second (average) of every type: caused by route requests, then by the consumers they reach. */
function eventRates(topology: Topology, workload: Workload, rates: Map<string, number>): Map<string, number> {
  const events = new Map<string, number>();
  const add = (type: string, perSecond: number) => {
    if (!topology.events[type]) throw new Error(`the workload names ${type}, which the topology does not know`);
    events.set(type, (events.get(type) ?? 0) + perSecond);
  };
  for (const route of topology.routes) {
    const load = loadOf(workload, route);
    for (const [type, n] of Object.entries(load.causes ?? {})) add(type, (rates.get(routeKey(route)) ?? 0) * n);
  }
  // Consumers that cause events: follow the chain (the topology has no cycles of causes; stop after a few hops).
  let frontier = new Map(events);
  for (let hop = 0; hop < 5 && frontier.size > 0; hop++) {
    const next = new Map<string, number>();
    for (const s of topology.subscriptions) {
      const taken = frontier.get(s.event) ?? 0;
      for (const [type, n] of Object.entries(consumerLoad(workload, s.function).causes ?? {}))
        next.set(type, (next.get(type) ?? 0) + taken * n);
    }
    for (const [type, perSecond] of next) add(type, perSecond);
    frontier = next;
  }
  return events;
}

const kbOf = (topology: Topology, workload: Workload, type: string): number => {
  const estimate = topology.events[type]?.throughput;
  return estimate ? estimate.recordBytes / 1024 : workload.eventKb;
};

/**
 * The plan of one stage: every route's, function's, event's, stream's and queue's load, and the month's totals of
 * every billed unit, read off the topology and the workload.
 *
 * @example
 * ```ts
 * const plan = planStage(buildTopology(services), WORKLOAD, 10_000_000);
 * plan.streams.find((s) => s.event === "products.ProductViewed")?.neededShards; // 81 at 3× the average
 * ```
 */
export function planStage(
  topology: Topology,
  workload: Workload,
  users: number,
  caches: CacheLayers = ALL_CACHES,
): StagePlan {
  const rates = routeRates(topology, workload, users);
  const events = eventRates(topology, workload, rates);
  const outboxEvents = new Set(topology.outboxes.flatMap((o) => o.events));

  const routes: RoutePlan[] = topology.routes.map((route) => {
    const load = loadOf(workload, route);
    const perSecond = rates.get(routeKey(route)) ?? 0;
    const cdnHitRate = route.definition?.cache && !route.auth ? (load.cdnHitRate ?? workload.cdnHitRate) : 0;
    const originShare = caches.cdn ? 1 - cdnHitRate : 1;
    const rru = load.rru ?? 0;
    const originHit = load.originCacheHitRate ?? 0;
    const rruRows = {
      none: perSecond * rru,
      cdn: perSecond * (1 - cdnHitRate) * rru,
      all: perSecond * (1 - cdnHitRate) * (1 - originHit) * rru,
    };
    const rruCharged = perSecond * originShare * (caches.originCache ? 1 - originHit : 1) * rru;
    const outboxItems = Object.entries(load.causes ?? {})
      .filter(([type]) => outboxEvents.has(type))
      .reduce((sum, [, n]) => sum + n, 0);
    const table = topology.tables.find((t) => t.service === route.service);
    const indexWrites = load.indexed ? Object.keys(table?.indexes ?? {}).length : 0;
    // An outbox item is written in one transaction with the request's own items: 2 WRU per item of it.
    const perWrite =
      outboxItems > 0 ? 2 * ((load.wru ?? 0) + outboxItems) + indexWrites : (load.wru ?? 0) + indexWrites;
    return {
      key: routeKey(route),
      service: route.service,
      function: route.function,
      requests: rate(perSecond, workload),
      origin: rate(perSecond * originShare, workload),
      cdnHitRate,
      rru: rruRows,
      rruCharged,
      wru: perSecond * perWrite,
      responseKb: load.responseKb ?? 1,
      assumed: load.assumed,
    };
  });

  // Functions: routes by their origin requests, consumers by their triggers, publishers by their outbox's events.
  const invocations = new Map<string, { perSecond: number; records: number }>();
  const addInvocations = (fn: string, perSecond: number, records: number) => {
    const was = invocations.get(fn) ?? { perSecond: 0, records: 0 };
    invocations.set(fn, { perSecond: was.perSecond + perSecond, records: was.records + records * perSecond });
  };
  for (const route of routes) addInvocations(route.function, route.origin.average, 1);

  const provisioned = new Map(topology.streams.map((s) => [s.name, shardsOnStage(s.shards, "production")]));
  const queueMessages = new Map<string, { perSecond: number; requests: number }>();
  const addQueue = (queue: string, perSecond: number, requests: number) => {
    const was = queueMessages.get(queue) ?? { perSecond: 0, requests: 0 };
    queueMessages.set(queue, { perSecond: was.perSecond + perSecond, requests: was.requests + requests });
  };

  const consumerWru = new Map<string, number>();
  for (const s of topology.subscriptions) {
    const perSecond = events.get(s.event) ?? 0;
    const kb = kbOf(topology, workload, s.event);
    consumerWru.set(
      s.function,
      (consumerWru.get(s.function) ?? 0) + perSecond * (consumerLoad(workload, s.function).wruPerEvent ?? 0),
    );
    triggerLoad(s, s.trigger, perSecond, kb, provisioned, addInvocations, addQueue);
  }
  for (const outbox of topology.outboxes) {
    const perSecond = outbox.events.reduce((sum, type) => sum + (events.get(type) ?? 0), 0);
    const tableWru = routes.filter((r) => r.service === outbox.service).reduce((sum, r) => sum + r.wru, 0);
    const shards = Math.max(1, Math.ceil((tableWru * workload.peakFactor) / WCU_PER_PARTITION));
    const { invocations: n, perInvocation } = batching(
      perSecond,
      outbox.trigger.batchSize,
      outbox.trigger.batchWindowSeconds,
      POLLS_PER_SECOND.dynamodb,
      shards,
    );
    addInvocations(outbox.function, n, perInvocation);
  }

  const functions: FunctionPlan[] = topology.functions.map((fn) => {
    const { perSecond, records } = invocations.get(fn.name) ?? { perSecond: 0, records: 0 };
    const perInvocation = perSecond > 0 ? records / perSecond : 0;
    const d = durationOf(workload, fn);
    const durationMs = d.baseMs + d.perRecordMs * perInvocation;
    const invoked = rate(perSecond, workload);
    return {
      name: fn.name,
      service: fn.service,
      kind: fn.kind,
      memoryMb: fn.memoryMb,
      invocations: invoked,
      durationMs,
      concurrency: invoked.peak * (durationMs / 1000),
      gbSecondsMonthly: invoked.monthly * (durationMs / 1000) * (fn.memoryMb / 1024),
    };
  });

  const eventPlans: EventPlan[] = Object.values(topology.events).map((contract) => ({
    type: contract.type,
    transport: contract.transport,
    rate: rate(events.get(contract.type) ?? 0, workload),
    subscribers: topology.subscriptions.filter((s) => s.event === contract.type).length,
  }));

  const streams: StreamPlan[] = topology.streams.map((stream) => {
    const perSecond = events.get(stream.event) ?? 0;
    const consumers = topology.subscriptions.filter((s) => s.event === stream.event).length;
    const recordBytes = Math.round(kbOf(topology, workload, stream.event) * 1024);
    const records = rate(perSecond, workload);
    return {
      name: stream.name,
      event: stream.event,
      consumers,
      recordBytes,
      records,
      provisionedShards: provisioned.get(stream.name) ?? 1,
      neededShards: shardsFor({ peakPerSecond: records.peak, recordBytes }, consumers),
      shardLoad: Math.max(
        records.peak / SHARD_LIMITS.recordsInPerSecond,
        (records.peak * recordBytes) / SHARD_LIMITS.bytesInPerSecond,
        (records.peak * recordBytes * consumers) / SHARD_LIMITS.bytesOutPerSecond,
      ),
      putUnitsMonthly: records.monthly * Math.ceil(recordBytes / 1024 / PUT_UNIT_KB),
    };
  });

  // Every queue that takes messages: an event's own queue, a buffer. DLQs take nothing in the plan (no failures).
  const queues: QueuePlan[] = topology.queues
    .filter((q) => q.role !== "dlq")
    .map((q) => {
      const load = queueMessages.get(q.name) ?? { perSecond: 0, requests: 0 };
      // An idle queue still costs its pollers' empty receives.
      const requests = Math.max(load.requests, SQS_IDLE_RECEIVES_PER_SECOND);
      return { name: q.name, messages: rate(load.perSecond, workload), requestsMonthly: requests * MONTH };
    });

  const perSecondOf = (type: string) => events.get(type) ?? 0;
  const eventbridge = eventPlans.filter((e) => e.transport === "eventbridge");
  const sns = eventPlans.filter((e) => e.transport === "sns");
  const chunks = (type: string) => Math.ceil(kbOf(topology, workload, type) / CHUNK_KB);

  const writesPerSecond = routes.reduce((sum, r) => sum + (r.wru > 0 ? r.requests.average : 0), 0);
  const uploads = perSecondOf("media.UploadReceived");
  const mediaReads = (users * workload.media.readsPerUserPerDay) / SECONDS_PER_DAY;
  const cdnRoutes = caches.cdn ? routes.filter((r) => r.cdnHitRate > 0) : [];
  const cdnApiRequests = cdnRoutes.reduce((sum, r) => sum + r.requests.average, 0);
  const cdnApiKb = cdnRoutes.reduce((sum, r) => sum + r.requests.average * r.responseKb, 0);
  const { originalShare, uploadKb, thumbnailKb } = workload.media;
  const mediaKb = mediaReads * (originalShare * uploadKb + (1 - originalShare) * thumbnailKb);

  const tracesPerSecond = topology.services.reduce((sum, service) => {
    const rps = routes.filter((r) => r.service === service.name).reduce((s, r) => s + r.origin.average, 0);
    const { reservoirPerSecond, fixedRate } = workload.xraySampling;
    return sum + Math.min(rps, reservoirPerSecond) + fixedRate * Math.max(0, rps - reservoirPerSecond);
  }, 0);

  const replicas = topology.regions?.length ?? 1;
  const lambdaRequests = functions.reduce((sum, f) => sum + f.invocations.monthly, 0);
  const totals = {
    apiRequests: routes.reduce((sum, r) => sum + r.origin.monthly, 0),
    lambdaRequests,
    lambdaGbSeconds: functions.reduce((sum, f) => sum + f.gbSecondsMonthly, 0),
    rru: routes.reduce((sum, r) => sum + r.rruCharged, 0) * MONTH,
    // A global table bills every write as a replicated write in each region, and stores every item in each.
    wru:
      (routes.reduce((sum, r) => sum + r.wru, 0) + [...consumerWru.values()].reduce((a, b) => a + b, 0)) *
      MONTH *
      replicas,
    dynamodbStorageGb: ((writesPerSecond * MONTH * workload.itemKb) / KB_PER_GB) * replicas,
    shardHours: streams.reduce((sum, s) => sum + s.provisionedShards, 0) * (MONTH / 3600),
    putUnits: streams.reduce((sum, s) => sum + s.putUnitsMonthly, 0),
    eventbridgeEvents: eventbridge.reduce((sum, e) => sum + e.rate.monthly * chunks(e.type), 0),
    snsPublishes: sns.reduce((sum, e) => sum + e.rate.monthly * chunks(e.type), 0),
    snsDeliveries: sns.reduce((sum, e) => sum + e.rate.monthly * e.subscribers, 0),
    sqsRequests: queues.reduce((sum, q) => sum + q.requestsMonthly, 0),
    // The client's PUT of the original and the worker's of the thumbnail; the worker's GET and the CDN's misses.
    s3Puts: uploads * 2 * MONTH,
    s3Gets: (uploads + mediaReads * (1 - workload.media.cdnHitRate)) * MONTH,
    s3StorageGb: (uploads * MONTH * (workload.media.uploadKb + workload.media.thumbnailKb)) / KB_PER_GB,
    cdnRequests: (cdnApiRequests + mediaReads) * MONTH,
    cdnGbOut: ((cdnApiKb + mediaKb) * MONTH) / KB_PER_GB,
    traces: tracesPerSecond * MONTH,
    logsGb: (lambdaRequests * workload.logKbPerInvocation) / KB_PER_GB,
  };

  return { users, caches, routes, functions, events: eventPlans, streams, queues, totals };
}

/** The load one subscription's trigger puts on its function and queues. */
function triggerLoad(
  s: SubscriptionNode,
  trigger: Trigger,
  perSecond: number,
  kb: number,
  provisioned: ReadonlyMap<string, number>,
  addInvocations: (fn: string, perSecond: number, records: number) => void,
  addQueue: (queue: string, perSecond: number, requests: number) => void,
): void {
  const chunks = Math.ceil(kb / CHUNK_KB);
  if (trigger.kind === "async") {
    addInvocations(s.function, perSecond, 1);
    return;
  }
  if (trigger.kind === "kinesis") {
    const shards = provisioned.get(trigger.stream) ?? 1;
    const b = batching(perSecond, trigger.batchSize, trigger.batchWindowSeconds, POLLS_PER_SECOND.kinesis, shards);
    addInvocations(s.function, b.invocations, b.perInvocation);
    return;
  }
  if (trigger.kind === "sqs") {
    const b = batching(perSecond, trigger.batchSize, trigger.batchWindowSeconds, POLLS_PER_SECOND.sqs);
    addInvocations(s.function, b.invocations, b.perInvocation);
    // One send per message (a bus, a topic or a bucket delivers them one by one), a receive and a batch delete per
    // invocation, each per 64 KB of payload.
    addQueue(trigger.queue, perSecond, (perSecond + 2 * b.invocations) * chunks);
  }
}
