import { RANK_SHARDS } from "../../services/forums/store/keys.js";
import { FEED_SHARDS } from "../../services/products/store/keys.js";
import type { Topology } from "../../shared/topology/index.js";
import { routeKey, type StagePlan } from "./plan.js";
import type { Workload } from "./workload.js";

/** AWS's default quotas and per-resource limits the plan checks each stage against. */
export const AWS_LIMITS = {
  /** Lambda: concurrent executions per account and region. */
  accountConcurrency: 1000,
  /** Lambda: each function adds up to 1,000 execution environments every 10 seconds. */
  scalingPerTenSeconds: 1000,
  /** API Gateway: requests a second per account and region, across every API. */
  apiGatewayRps: 10_000,
  /** DynamoDB: one partition (one key) takes 3,000 read units and 1,000 write units a second. */
  partitionRcu: 3000,
  partitionWcu: 1000,
  /** DynamoDB on-demand: the default table-level throughput quota, reads and writes each. */
  tableUnits: 40_000,
} as const;

export interface Limit {
  readonly name: string;
  /** The load at the stage's peak, in `unit`. */
  readonly load: number;
  readonly limit: number;
  readonly unit: string;
  readonly utilization: number;
  /** What the topology does about it, in words (read from the topology where it says so). */
  readonly handledBy: string;
}

const limit = (name: string, load: number, max: number, unit: string, handledBy: string): Limit => ({
  name,
  load,
  limit: max,
  unit,
  utilization: max > 0 ? load / max : 0,
  handledBy,
});

/**
 * Every limit of a stage at its peak, most used first: the first with a utilization of 1 or more is the first limit
 * the stage hits.
 *
 * @example
 * ```ts
 * const [first] = limitsOf(plan, topology, WORKLOAD); // first.utilization >= 1: hit
 * ```
 */
export function limitsOf(plan: StagePlan, topology: Topology, workload: Workload): Limit[] {
  const limits: Limit[] = [];
  const peak = workload.peakFactor;
  const route = (key: string) => plan.routes.find((r) => r.key === key);
  const cached = topology.routes.filter((r) => r.definition?.cache && !r.auth);
  const cdnShare =
    plan.routes.reduce((s, r) => s + r.requests.average - r.origin.average, 0) /
    Math.max(
      1e-12,
      plan.routes.reduce((s, r) => s + r.requests.average, 0),
    );

  const concurrency = plan.functions.reduce((s, f) => s + f.concurrency, 0);
  const capped = topology.functions.filter((f) => f.concurrency).map((f) => `${f.name} ≤ ${f.concurrency}`);
  limits.push(
    limit(
      "Lambda account concurrency",
      concurrency,
      AWS_LIMITS.accountConcurrency,
      "executions",
      `a quota increase before this stage; the CDN answers ${pct(cdnShare)} of the requests before a function runs` +
        (capped.length ? `; reserved concurrency caps ${capped.join(", ")}` : "") +
        "; a stream consumer runs one batch per shard at a time",
    ),
  );

  const apiPeak = plan.routes.reduce((s, r) => s + r.origin.peak, 0);
  limits.push(
    limit(
      "API Gateway account throttle",
      apiPeak,
      AWS_LIMITS.apiGatewayRps,
      "requests/s",
      `the CDN in front of the ${cached.length} cached public routes (their \`cache\`) takes ${pct(cdnShare)}; a quota increase for the rest`,
    ),
  );

  const busiest = [...plan.functions].sort((a, b) => b.concurrency - a.concurrency)[0];
  if (busiest)
    limits.push(
      limit(
        `Lambda scaling (${busiest.name})`,
        busiest.concurrency,
        AWS_LIMITS.scalingPerTenSeconds,
        "environments per 10 s",
        `a jump from idle to ${Math.ceil(busiest.concurrency)} environments takes ${Math.ceil(busiest.concurrency / AWS_LIMITS.scalingPerTenSeconds) * 10} s; requests beyond the ramp are throttled (429) and retried`,
      ),
    );

  // Tables: every read and write of the service's routes and consumers, at the peak.
  for (const table of topology.tables) {
    const rru = plan.routes.filter((r) => r.service === table.service).reduce((s, r) => s + r.rruCharged, 0);
    const wru = plan.routes.filter((r) => r.service === table.service).reduce((s, r) => s + r.wru, 0);
    limits.push(
      limit(
        `DynamoDB ${table.name} reads`,
        rru * peak,
        AWS_LIMITS.tableUnits,
        "RRU/s",
        "on-demand scales per partition; the caches in front of the table; the table quota can be raised",
      ),
      limit(
        `DynamoDB ${table.name} writes`,
        wru * peak,
        AWS_LIMITS.tableUnits,
        "WRU/s",
        "on-demand scales per partition; the table quota can be raised",
      ),
    );
  }

  // Hot keys.
  const product = route("GET /products/{productId}");
  if (product) {
    const cache = topology.routes.find((r) => routeKey(r) === product.key)?.definition?.cache;
    limits.push(
      limit(
        "Hot key: one product's item (reads)",
        product.rruCharged * peak * workload.hotKeys.product,
        AWS_LIMITS.partitionRcu,
        "RRU/s",
        `the CDN (s-maxage ${cache?.sMaxAgeSeconds ?? 0} s) and the origin cache answer most reads of a hot product`,
      ),
    );
  }
  const views = plan.streams.find((s) => s.event === "products.ProductViewed");
  const viewConsumer = topology.subscriptions.find(
    (s) => s.event === "products.ProductViewed" && s.trigger.kind === "kinesis",
  );
  if (views && viewConsumer?.trigger.kind === "kinesis") {
    const perItem = views.records.peak * workload.hotKeys.product;
    const window = viewConsumer.trigger.batchWindowSeconds;
    const batchesPerSecond = Math.min(perItem, window > 0 ? 1 / window : 1);
    limits.push(
      limit(
        "Hot key: one product's view counter",
        batchesPerSecond * 2,
        AWS_LIMITS.partitionWcu,
        "WRU/s",
        `counted per batch (${viewConsumer.function}, batch window ${window} s): ${fmt(perItem)} views/s on the item become ${fmt(batchesPerSecond)} transactional write/s`,
      ),
    );
  }
  const posts = route("POST /forums/{forumId}/threads/{threadId}/posts");
  if (posts) {
    limits.push(
      limit(
        "Hot key: one thread's item",
        posts.requests.peak * workload.hotKeys.thread * 2,
        AWS_LIMITS.partitionWcu,
        "WRU/s",
        "not spread: a post's transaction numbers it on its thread's item (one order per thread), so one thread takes at most ~500 posts/s",
      ),
      limit(
        "Leaderboard index partition",
        (posts.requests.peak * 2) / RANK_SHARDS,
        AWS_LIMITS.partitionWcu,
        "WRU/s",
        `the ranking is spread over RANK_SHARDS = ${RANK_SHARDS} partitions, and counted once per author per batch`,
      ),
    );
  }
  const creates = route("POST /products");
  if (creates)
    limits.push(
      limit(
        "Product feed index partition",
        creates.requests.peak / FEED_SHARDS,
        AWS_LIMITS.partitionWcu,
        "WRU/s",
        `the feed and each category are spread over FEED_SHARDS = ${FEED_SHARDS} partitions`,
      ),
    );

  for (const stream of plan.streams) {
    limits.push(
      limit(
        `Kinesis ${stream.name} shards`,
        stream.shardLoad,
        stream.provisionedShards,
        "shards",
        `the contract's throughput estimate provisions ${stream.provisionedShards} (shardsFor: 1,000 records/s and 1 MiB/s in, 2 MiB/s out per consumer)`,
      ),
    );
    for (const s of topology.subscriptions.filter((x) => x.event === stream.event)) {
      const fn = plan.functions.find((f) => f.name === s.function);
      if (fn)
        limits.push(
          limit(
            `${fn.name} keeps up with ${stream.name}`,
            fn.concurrency,
            stream.provisionedShards,
            "batches in flight",
            "one batch per shard at a time: more shards, bigger batches or a faster handler",
          ),
        );
    }
  }
  return limits.sort((a, b) => b.utilization - a.utilization);
}

/** The first limit a stage reaches (utilization ≥ 1), or undefined when it has headroom everywhere. */
export function firstLimitHit(limits: readonly Limit[]): Limit | undefined {
  return limits.find((l) => l.utilization >= 1);
}

const pct = (x: number) => `${Math.round(x * 100)} %`;
const fmt = (x: number) => (x >= 10 ? Math.round(x).toLocaleString("en-US") : x.toFixed(2));
