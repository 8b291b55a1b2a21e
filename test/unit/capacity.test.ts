import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PostCreated, ThreadCreated } from "../../events/forums.js";
import { MediaProcessed } from "../../events/media.js";
import { ProductViewed } from "../../events/products.js";
import {
  capacityReport,
  costOf,
  firstLimitHit,
  htmlReport,
  limitsOf,
  NO_CACHES,
  PRICES,
  planStage,
  type StagePlan,
  tieredCost,
  WORKLOAD,
} from "../../scripts/capacity/index.js";
import { services } from "../../services/index.js";
import { buildTopology, type ConsumerDefinition, type ServiceDefinition } from "../../shared/topology/index.js";

const TEN_MILLION = 10_000_000;
const MONTH_HOURS = 720;
const SHARD_HOUR = PRICES.prices.kinesisShardHours.tiers[0]!.price;

/** The real services with `change` applied to the one named. */
function withService(name: string, change: (s: ServiceDefinition) => ServiceDefinition): ServiceDefinition[] {
  return services.map((s) => (s.name === name ? change(s) : s));
}

/** The real services with more consumers in forums. */
const withForumsConsumers = (...consumers: ConsumerDefinition[]): ServiceDefinition[] =>
  withService("forums", (s) => ({ ...s, consumers: [...s.consumers, ...consumers] }));

/** The real services with the click-stream's contract replaced, where products publishes and consumes it. */
const withClickStream = (contract: typeof ProductViewed): ServiceDefinition[] =>
  withService("products", (s) => ({
    ...s,
    publishes: s.publishes.map((c) => (c.type === contract.type ? contract : c)),
    consumers: s.consumers.map((c) => ({
      ...c,
      events: c.events.map((e) => (e.type === contract.type ? contract : e)),
    })),
  }));

const plan = (defs: readonly ServiceDefinition[], users = TEN_MILLION): StagePlan =>
  planStage(buildTopology(defs), WORKLOAD, users);
const base = plan(services);
const stream = (p: StagePlan, event: string) => p.streams.find((s) => s.event === event)!;
const fn = (p: StagePlan, name: string) => p.functions.find((f) => f.name === name)!;
const route = (p: StagePlan, key: string) => p.routes.find((r) => r.key === key)!;

describe("the capacity plan follows the topology", () => {
  it("gives a stream the shards its contract provisions, and one more consumer more read load, shards and cost", () => {
    expect(stream(base, PostCreated.type).provisionedShards).toBe(2);
    // Two more standard consumers: 1,200/s × 1 KiB × 4 readers = 4.7 MiB/s out, ⌈4.7 / 2⌉ = 3 shards.
    const auditors = withForumsConsumers(
      { name: "audit", events: [PostCreated], handler: "services/forums/consumers/posts.handler" },
      { name: "archive", events: [PostCreated], handler: "services/forums/consumers/posts.handler" },
    );
    const more = plan(auditors);
    expect(stream(more, PostCreated.type).consumers).toBe(stream(base, PostCreated.type).consumers + 2);
    expect(stream(more, PostCreated.type).provisionedShards).toBe(3);
    expect(more.totals.shardHours - base.totals.shardHours).toBe(MONTH_HOURS);
    expect(costOf(more, PRICES).byService.Kinesis - costOf(base, PRICES).byService.Kinesis).toBeCloseTo(
      MONTH_HOURS * SHARD_HOUR,
      6,
    );
    // A new consumer (100 records a batch, no window) gets a batch per shard per poll, or per 100 records.
    const posts = more.events.find((e) => e.type === PostCreated.type)!.rate.average;
    expect(fn(more, "ForumsAudit").invocations.average).toBeCloseTo(Math.max(posts / 100, Math.min(posts, 3)));
    // The counters (1,000 a batch, a 1 s window) take a batch a second from each of the three shards now.
    expect(fn(base, "ForumsPostCreated").invocations.average).toBeCloseTo(2);
    expect(fn(more, "ForumsPostCreated").invocations.average).toBeCloseTo(3);
    expect(more.totals.lambdaRequests).toBeGreaterThan(base.totals.lambdaRequests);
  });

  it("adds one SNS delivery per event for a new topic subscriber, and leaves the publishes alone", () => {
    const more = plan(
      withForumsConsumers({
        name: "media",
        events: [MediaProcessed],
        handler: "services/forums/consumers/posts.handler",
      }),
    );
    const processed = base.events.find((e) => e.type === MediaProcessed.type)!;
    expect(more.totals.snsPublishes).toBe(base.totals.snsPublishes);
    expect(more.totals.snsDeliveries - base.totals.snsDeliveries).toBeCloseTo(processed.rate.monthly);
    expect(fn(more, "ForumsMedia").invocations.average).toBeCloseTo(processed.rate.average);
  });

  it("puts a buffered consumer's queue on the SQS bill: a send per event, a receive and a delete per batch", () => {
    const buffered = plan(
      withForumsConsumers({
        name: "digest",
        events: [ThreadCreated],
        handler: "services/forums/consumers/threads.handler",
        buffered: true,
      }),
    );
    const threads = base.events.find((e) => e.type === ThreadCreated.type)!;
    const queue = buffered.queues.find((q) => q.name === "ForumsDigestThreadCreatedBuffer")!;
    const invocations = fn(buffered, "ForumsDigest").invocations;
    expect(queue.messages.average).toBeCloseTo(threads.rate.average);
    expect(queue.requestsMonthly).toBeCloseTo(threads.rate.monthly + 2 * invocations.monthly);
    expect(buffered.totals.sqsRequests - base.totals.sqsRequests).toBeCloseTo(queue.requestsMonthly);
    // SQS batches: fewer invocations than messages once messages arrive faster than the pollers read them.
    expect(invocations.average).toBeLessThan(threads.rate.average);
  });

  it("sizes the click-stream from its contract's throughput need: half the peak, half the shards and their cost", () => {
    const half = { ...ProductViewed, throughput: { peakPerSecond: 60_000, recordBytes: 512 } };
    const halved = plan(withClickStream(half));
    expect(stream(base, ProductViewed.type).provisionedShards).toBe(120);
    expect(stream(halved, ProductViewed.type).provisionedShards).toBe(60);
    expect(costOf(base, PRICES).byService.Kinesis - costOf(halved, PRICES).byService.Kinesis).toBeCloseTo(
      60 * MONTH_HOURS * SHARD_HOUR,
      6,
    );
    // Bigger records: more bytes in and out per shard needed, and more PUT payload units past 25 KB.
    const big = { ...ProductViewed, throughput: { peakPerSecond: 120_000, recordBytes: 30 * 1024 } };
    const heavy = plan(withClickStream(big));
    expect(stream(heavy, ProductViewed.type).putUnitsMonthly).toBeCloseTo(
      2 * stream(base, ProductViewed.type).putUnitsMonthly,
    );
    expect(stream(heavy, ProductViewed.type).neededShards).toBeGreaterThan(
      stream(base, ProductViewed.type).neededShards,
    );
  });

  it("reads the CDN off a route's cache: without it every request reaches API Gateway, the function and the table", () => {
    const key = "GET /products/{productId}";
    const cached = route(base, key);
    expect(cached.cdnHitRate).toBe(WORKLOAD.cdnHitRate);
    expect(cached.origin.average).toBeCloseTo(cached.requests.average * (1 - WORKLOAD.cdnHitRate));
    // CDN then origin cache: 0.5 RRU × (1 − 0.9) × (1 − 0.5).
    expect(cached.rru.all).toBeCloseTo(cached.requests.average * 0.5 * 0.1 * 0.5);
    expect(cached.rruCharged).toBe(cached.rru.all);

    const uncached = plan(
      withService("products", (s) => ({
        ...s,
        routes: s.routes.map((r) => (r.method === "GET" && r.path === "/{productId}" ? { ...r, cache: undefined } : r)),
      })),
    );
    const bare = route(uncached, key);
    expect(bare.cdnHitRate).toBe(0);
    expect(bare.origin.average).toBeCloseTo(bare.requests.average);
    expect(bare.rru.cdn).toBe(bare.rru.none);
    expect(uncached.totals.apiRequests - base.totals.apiRequests).toBeCloseTo(
      cached.requests.monthly * WORKLOAD.cdnHitRate,
    );
    expect(costOf(uncached, PRICES).total).toBeGreaterThan(costOf(base, PRICES).total);
    expect(fn(uncached, "ProductsGetProduct").concurrency).toBeCloseTo(fn(base, "ProductsGetProduct").concurrency * 10);
  });

  it("charges every read to the table with no cache layer, and costs more", () => {
    const none = planStage(buildTopology(services), WORKLOAD, TEN_MILLION, NO_CACHES);
    for (const r of none.routes) expect(r.rruCharged).toBeCloseTo(r.rru.none);
    expect(none.totals.rru).toBeGreaterThan(base.totals.rru * 3);
    expect(costOf(none, PRICES).total).toBeGreaterThan(costOf(base, PRICES).total);
  });

  it("scales every rate with the users, and matches the seed's totals at 10 M", () => {
    const small = plan(services, 1_000_000);
    expect(route(base, "GET /products").requests.average).toBeCloseTo(
      10 * route(small, "GET /products").requests.average,
    );
    const reads = base.routes.filter((r) => r.key.startsWith("GET ")).reduce((s, r) => s + r.requests.monthly, 0);
    const writes = base.routes
      .filter((r) => !r.key.startsWith("GET ") && !r.key.endsWith("/views") && !r.key.endsWith("/uploads"))
      .reduce((s, r) => s + r.requests.monthly, 0);
    expect(reads).toBeCloseTo(100e9, -6);
    expect(writes).toBeCloseTo(1e9, -3);
  });

  it("bills a global table's writes and storage in every region", () => {
    const two = planStage(buildTopology(services, { regions: ["us-east-1", "eu-west-1"] }), WORKLOAD, TEN_MILLION);
    expect(two.totals.wru).toBeCloseTo(2 * base.totals.wru, -3);
    expect(two.totals.dynamodbStorageGb).toBeCloseTo(2 * base.totals.dynamodbStorageGb, 6);
    expect(two.totals.rru).toBe(base.totals.rru);
  });

  it("refuses a workload that names an event the topology does not know", () => {
    const wrong = {
      ...WORKLOAD,
      routes: { ...WORKLOAD.routes, "POST /forums": { share: 0.005, causes: { "forums.NoSuchEvent": 1 } } },
    };
    expect(() => planStage(buildTopology(services), wrong, 10)).toThrow(/forums\.NoSuchEvent/);
  });
});

describe("the cost arithmetic", () => {
  it("prices tiers band by band", () => {
    // API Gateway REST: 333 M at $3.50/M, then 67 M at $2.80/M.
    expect(tieredCost(400e6, PRICES.prices.apiGatewayRestRequests)).toBeCloseTo(333 * 3.5 + 67 * 2.8, 6);
    // Past every band: 333 M × 3.5 + 667 M × 2.8 + 19,000 M × 2.38 + 1,000 M × 1.51.
    expect(tieredCost(21e9, PRICES.prices.apiGatewayRestRequests)).toBeCloseTo(
      333 * 3.5 + 667 * 2.8 + 19_000 * 2.38 + 1_000 * 1.51,
      4,
    );
    // Free tiers: Lambda's first million requests, then $0.20/M.
    expect(tieredCost(1e6, PRICES.prices.lambdaRequests)).toBe(0);
    expect(tieredCost(3e6, PRICES.prices.lambdaRequests)).toBeCloseTo(0.4, 10);
    // AWS's own example: 3 M × 1 s at 512 MB = 1.5 M GB-s, 1.1 M billed at $0.0000166667.
    expect(tieredCost(1.5e6, PRICES.prices.lambdaGbSeconds)).toBeCloseTo(1.1e6 * 0.0000166667, 6);
    expect(tieredCost(0, PRICES.prices.cloudfrontGbOut)).toBe(0);
    expect(() => tieredCost(-1, PRICES.prices.sqsRequests)).toThrow(RangeError);
    expect(() => tieredCost(Number.NaN, PRICES.prices.sqsRequests)).toThrow(RangeError);
  });

  it("bills a stage's totals per service: the hand-computed Kinesis, DynamoDB and SQS lines", () => {
    const cost = costOf(base, PRICES);
    const shardHours = (2 + 120) * MONTH_HOURS;
    const put = base.streams.reduce((s, x) => s + x.putUnitsMonthly, 0);
    expect(cost.byService.Kinesis).toBeCloseTo(shardHours * 0.015 + (put * 0.014) / 1e6, 4);
    const storage = Math.max(0, base.totals.dynamodbStorageGb - 25) * 0.25;
    expect(cost.byService.DynamoDB).toBeCloseTo((base.totals.rru * 0.125 + base.totals.wru * 0.625) / 1e6 + storage, 4);
    expect(cost.byService.SQS).toBeCloseTo((Math.max(0, base.totals.sqsRequests - 1e6) * 0.4) / 1e6, 6);
    expect(cost.total).toBeCloseTo(
      Object.values(cost.byService).reduce((a, b) => a + b, 0),
      6,
    );
    expect(PRICES.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const price of Object.values(PRICES.prices)) expect(price.source).toMatch(/^https:\/\//);
  });
});

describe("the limits", () => {
  it("has no limit hit at one user, and API Gateway's account throttle first at 10 M", () => {
    const topology = buildTopology(services);
    expect(firstLimitHit(limitsOf(planStage(topology, WORKLOAD, 1), topology, WORKLOAD))).toBeUndefined();
    const limits = limitsOf(base, topology, WORKLOAD);
    expect(firstLimitHit(limits)?.name).toBe("API Gateway account throttle");
    const concurrency = limits.find((l) => l.name === "Lambda account concurrency")!;
    expect(concurrency.load).toBeCloseTo(
      base.functions.reduce((s, f) => s + f.concurrency, 0),
      6,
    );
    // The ranking index takes each post's rank move (2 writes) over its 8 partitions.
    const posts = route(base, "POST /forums/{forumId}/threads/{threadId}/posts");
    expect(limits.find((l) => l.name === "Leaderboard index partition")?.load).toBeCloseTo(
      (posts.requests.peak * 2) / 8,
    );
  });
});

describe("the page", () => {
  it("is written with its two charts and every table", () => {
    const report = capacityReport(buildTopology(services), WORKLOAD, PRICES);
    const html = htmlReport(report);
    const file = join(mkdtempSync(join(tmpdir(), "capacity-")), "capacity.html");
    writeFileSync(file, html);
    const page = readFileSync(file, "utf8");
    expect(page.match(/<svg /g)).toHaveLength(2);
    expect(page).toContain('aria-label="Monthly cost per stage (log scale)"');
    expect(page).toContain('aria-label="Monthly cost per AWS service at 10M users"');
    // One bar per stage, one per billed service; nothing fetched from elsewhere.
    for (const stage of ["1 user", "10k users", "10M users"]) expect(page).toContain(`>${stage}</text>`);
    for (const service of ["Kinesis", "API Gateway", "CloudWatch Logs"]) expect(page).toContain(`>${service}</text>`);
    expect(page).not.toMatch(/<script|<link|src="http/);
    expect(page).toContain("First limit each stage hits");
  });
});
