import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, test, vi } from "vitest";
import { devRoutes } from "../../local/devtools/index.js";
import { metricsStore, parseEmf, SERIES_MINUTES } from "../../local/runtime/metricsStore.js";
import { services } from "../../services/index.js";
import { usersMetrics } from "../../services/users/metrics.js";
import {
  type DimensionsOf,
  defineMetrics,
  emitMetric,
  flushMetrics,
  type MetricNode,
  metricNodes,
  pipelineMetrics,
} from "../../shared/metrics/index.js";
import { buildTopology } from "../../shared/topology/index.js";
import { emfWrittenBy } from "../support/emf.js";

/** An EMF line as Powertools writes one: `metrics` by name, under one dimension set. */
function emf(
  metrics: Record<string, number | number[]>,
  dimensions: Record<string, string>,
  { namespace = "Summit", timestamp = Date.UTC(2026, 11, 1, 15, 0, 30) } = {},
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: Object.keys(metrics).map((Name) => ({ Name, Unit: "Count" })),
        },
      ],
    },
    ...dimensions,
    ...metrics,
  });
}

describe("declaring metrics", () => {
  test("defineMetrics refuses names CloudWatch would not take, missing descriptions and a second `service`", () => {
    expect(() => defineMetrics({ "Sign ups": { unit: "Count", description: "x" } })).toThrow(/CloudWatch name/);
    expect(() => defineMetrics({ SignUps: { unit: "Count", description: "  " } })).toThrow(/no description/);
    expect(() => defineMetrics({ Dlq: { unit: "Count", description: "x", dimension: "service" } })).toThrow(
      /extra dimension/,
    );
    expect(() => defineMetrics({ Dlq: { unit: "Count", description: "x", dimension: "event type" } })).toThrow(
      /extra dimension/,
    );
    const fine = { Views: { unit: "Count", description: "views" } } as const;
    expect(defineMetrics(fine)).toBe(fine);
  });

  test("a handler can only emit a declared metric, with its extra dimension exactly when it has one", () => {
    expectTypeOf<DimensionsOf<(typeof usersMetrics)["SignUps"]>>().toEqualTypeOf<[]>();
    expectTypeOf<DimensionsOf<(typeof pipelineMetrics)["EventsToDlq"]>>().toEqualTypeOf<
      [dimensions: Readonly<Record<"eventType", string>>]
    >();
    // Compile-time only: each call below must not type-check.
    const never = (): void => {
      // @ts-expect-error: not a declared metric of the users service
      emitMetric(usersMetrics, "ProductsCreated", 1);
      // @ts-expect-error: EventsToDlq needs its eventType
      emitMetric(pipelineMetrics, "EventsToDlq", 1);
      // @ts-expect-error: SignUps has no extra dimension
      emitMetric(usersMetrics, "SignUps", 1, { eventType: "x" });
      // @ts-expect-error: the dimension is eventType, not another
      emitMetric(pipelineMetrics, "EventsToDlq", 1, { type: "x" });
    };
    expect(typeof never).toBe("function");
    // At run time an undeclared name (through a cast) and a negative count are refused too.
    expect(() => emitMetric(usersMetrics, "Nope" as "SignUps", 1)).toThrow(/not declared/);
    expect(() => emitMetric(usersMetrics, "SignUps", -1)).toThrow(RangeError);
  });

  test("every service's declared metrics are in the topology, with the pipelines' DLQ metric where they run", () => {
    const topology = buildTopology(services);
    const names = (service: string) =>
      topology.services.find((s) => s.name === service)?.metrics.map((m) => `${m.name}[${m.dimensions.join(",")}]`);
    expect(names("users")).toEqual(["SignUps[service]", "EventsToDlq[service,eventType]"]);
    expect(names("products")).toEqual([
      "ProductsCreated[service]",
      "ProductViewsCounted[service]",
      "EventsToDlq[service,eventType]",
    ]);
    expect(names("forums")).toEqual(["PostsCreated[service]", "EventsToDlq[service,eventType]"]);
    expect(names("media")).toEqual(["MediaReady[service]", "MediaFailed[service]", "EventsToDlq[service,eventType]"]);
    // A service that runs no consumer and no publisher never emits the DLQ metric, so it does not list it.
    const quiet = buildTopology([
      {
        name: "quiet",
        basePath: "/quiet",
        tables: {},
        routes: [],
        publishes: [],
        consumers: [],
        metrics: defineMetrics({ Pings: { unit: "Count", description: "pings" } }),
      },
    ]);
    expect(quiet.services[0]?.metrics.map((m) => m.name)).toEqual(["Pings"]);
  });
});

describe("emitting metrics", () => {
  afterEach(() => vi.restoreAllMocks());

  test("metrics wait for the end of the invocation and leave in one EMF line; a dimensioned one leaves at once", async () => {
    const flush = flushMetrics().after!;
    const samples = await emfWrittenBy(async () => {
      emitMetric(usersMetrics, "SignUps", 1);
      emitMetric(usersMetrics, "SignUps", 2);
      emitMetric(usersMetrics, "SignUps", 0); // adds nothing
      emitMetric(pipelineMetrics, "EventsToDlq", 1, { eventType: "forums.PostCreated" });
      emitMetric(pipelineMetrics, "EventsToDlq", 1, { eventType: "" });
      await flush({} as never);
    });
    expect(samples.map((s) => [s.name, s.dimensions, s.values])).toEqual([
      ["EventsToDlq", { service: expect.any(String), eventType: "forums.PostCreated" }, [1]],
      ["EventsToDlq", { service: expect.any(String), eventType: "unknown" }, [1]],
      ["SignUps", { service: expect.any(String) }, [1, 2]],
    ]);
    expect(samples.every((s) => s.namespace === "Summit" && s.unit === "Count")).toBe(true);
  });

  test("an invocation that counted nothing writes nothing", async () => {
    const warn = vi.spyOn(console, "warn");
    const samples = await emfWrittenBy(() => flushMetrics().after!({} as never));
    expect(samples).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });

  test("a thrown invocation still flushes what it counted", async () => {
    const samples = await emfWrittenBy(async () => {
      emitMetric(usersMetrics, "SignUps", 1);
      await flushMetrics().onError!({} as never);
    });
    expect(samples.map((s) => s.values)).toEqual([[1]]);
  });
});

describe("parseEmf", () => {
  test("reads every metric of a line, under each of its dimension sets, arrays of values included", () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: 1_000,
        CloudWatchMetrics: [
          {
            Namespace: "Summit",
            Dimensions: [["service"], ["service", "eventType"]],
            Metrics: [
              { Name: "A", Unit: "Count" },
              { Name: "B", Unit: "Milliseconds" },
            ],
          },
        ],
      },
      service: "users",
      eventType: "users.UserRegistered",
      A: 1,
      B: [3, 4],
    });
    expect(parseEmf(line)).toEqual([
      {
        namespace: "Summit",
        name: "A",
        unit: "Count",
        dimensions: { service: "users" },
        values: [1],
        timestamp: 1_000,
      },
      {
        namespace: "Summit",
        name: "A",
        unit: "Count",
        dimensions: { service: "users", eventType: "users.UserRegistered" },
        values: [1],
        timestamp: 1_000,
      },
      {
        namespace: "Summit",
        name: "B",
        unit: "Milliseconds",
        dimensions: { service: "users" },
        values: [3, 4],
        timestamp: 1_000,
      },
      {
        namespace: "Summit",
        name: "B",
        unit: "Milliseconds",
        dimensions: { service: "users", eventType: "users.UserRegistered" },
        values: [3, 4],
        timestamp: 1_000,
      },
    ]);
  });

  test.each([
    ["a log line", '{"level":"INFO","message":"event received"}'],
    ["plain text", "START RequestId: 1"],
    ["malformed JSON", '{"_aws": {"Timestamp": 1,'],
    ["no timestamp", '{"_aws":{"CloudWatchMetrics":[]},"A":1}'],
    ["directives not a list", '{"_aws":{"Timestamp":1,"CloudWatchMetrics":{}},"A":1}'],
    ["an array", '[{"_aws":{}}]'],
  ])("ignores %s", (_, line) => {
    expect(parseEmf(line)).toEqual([]);
  });

  test("skips a metric without a numeric value and a dimension set whose value is missing", () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: 1,
        CloudWatchMetrics: [
          {
            Namespace: "Summit",
            Dimensions: [["service"], ["service", "absent"], "not a set"],
            Metrics: [{ Name: "Good" }, { Name: "Text" }, { Name: "Mixed" }, { Name: "Empty" }, "odd"],
          },
          { Dimensions: [["service"]], Metrics: [{ Name: "Good" }] },
        ],
      },
      service: "forums",
      Good: 2,
      Text: "3",
      Mixed: [1, "2"],
      Empty: [],
    });
    expect(parseEmf(line).map((s) => [s.name, s.unit, s.dimensions])).toEqual([
      ["Good", "None", { service: "forums" }],
    ]);
  });
});

describe("metricsStore", () => {
  const declared: MetricNode[] = [
    ...metricNodes("users", usersMetrics),
    ...metricNodes("users", pipelineMetrics),
    ...metricNodes("forums", defineMetrics({ PostsCreated: { unit: "Count", description: "posts" } })),
  ];
  const minute = (m: number, s = 0) => Date.UTC(2026, 11, 1, 15, m, s);

  test("aggregates sum, count, min, max and a per-minute series per metric and dimension values", () => {
    const store = metricsStore(declared);
    store.record(emf({ SignUps: 1 }, { service: "users" }, { timestamp: minute(0, 5) }));
    store.record(emf({ SignUps: [1, 3] }, { service: "users" }, { timestamp: minute(0, 50) }));
    store.record(emf({ SignUps: 2 }, { service: "users" }, { timestamp: minute(2, 1) }));
    store.record(emf({ EventsToDlq: 1 }, { service: "users", eventType: "forums.PostCreated" }));
    store.record(emf({ EventsToDlq: 1 }, { service: "users", eventType: "forums.PostCreated" }));
    store.record(emf({ EventsToDlq: 1 }, { service: "users", eventType: "unknown" }));
    store.record(emf({ SignUps: 100 }, { service: "users" }, { namespace: "Other" }));
    store.record("not a metric");
    const report = store.report();
    expect(report.namespace).toBe("Summit");
    expect(report.metrics).toEqual([
      {
        service: "users",
        name: "SignUps",
        unit: "Count",
        dimensions: { service: "users" },
        sum: 7,
        count: 4,
        min: 1,
        max: 3,
        series: [
          { minute: "2026-12-01T15:00:00.000Z", sum: 5 },
          { minute: "2026-12-01T15:02:00.000Z", sum: 2 },
        ],
      },
      expect.objectContaining({
        name: "EventsToDlq",
        dimensions: { service: "users", eventType: "forums.PostCreated" },
        sum: 2,
        count: 2,
      }),
      expect.objectContaining({ name: "EventsToDlq", dimensions: { service: "users", eventType: "unknown" }, sum: 1 }),
      {
        service: "forums",
        name: "PostsCreated",
        unit: "Count",
        dimensions: { service: "forums" },
        sum: 0,
        count: 0,
        min: 0,
        max: 0,
        series: [],
      },
    ]);
  });

  test("lists a metric it saw that nobody declared after the declared ones, and keeps one hour of minutes", () => {
    const store = metricsStore(declared);
    store.record(emf({ Stray: 4 }, { service: "media" }));
    for (let m = 0; m <= SERIES_MINUTES + 5; m++)
      store.record(emf({ PostsCreated: 1 }, { service: "forums" }, { timestamp: minute(0) + m * 60_000 }));
    const { metrics } = store.report();
    expect(metrics.at(-1)).toMatchObject({ service: "media", name: "Stray", sum: 4 });
    const posts = metrics.find((m) => m.name === "PostsCreated")!;
    expect(posts.sum).toBe(SERIES_MINUTES + 6);
    expect(posts.series).toHaveLength(SERIES_MINUTES);
    expect(posts.series.at(-1)).toEqual({
      minute: new Date(minute(0) + (SERIES_MINUTES + 5) * 60_000).toISOString(),
      sum: 1,
    });
  });
});

describe("GET /_dev/metrics", () => {
  let server: Server;
  let origin: string;
  const store = metricsStore(declared());

  function declared(): MetricNode[] {
    return buildTopology(services).services.flatMap((s) => s.metrics);
  }

  beforeAll(async () => {
    const topology = buildTopology(services);
    const withMetrics = devRoutes({ collector: { segments: () => [] }, topology, metrics: store });
    const without = devRoutes({ collector: { segments: () => [] }, topology });
    server = createServer(async (req, res) => {
      const dev = req.url?.startsWith("/none") ? without : withMetrics;
      if (req.url?.startsWith("/none")) req.url = req.url.slice("/none".length);
      if (!(await dev(req, res))) res.writeHead(418).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("lists every declared metric, zero until emitted, then what the functions printed", async () => {
    const before = (await (await fetch(`${origin}/_dev/metrics`)).json()) as {
      namespace: string;
      metrics: { service: string; name: string; sum: number }[];
    };
    expect(before.namespace).toBe("Summit");
    expect(before.metrics.map((m) => `${m.service}.${m.name}`)).toEqual(
      declared().map((m) => `${m.service}.${m.name}`),
    );
    expect(before.metrics.every((m) => m.sum === 0)).toBe(true);

    store.record(emf({ SignUps: 1 }, { service: "users" }));
    const res = await fetch(`${origin}/_dev/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const after = (await res.json()) as typeof before;
    expect(after.metrics.find((m) => m.service === "users" && m.name === "SignUps")?.sum).toBe(1);
  });

  test("is read-only, and a 404 problem on a runtime that reads no metrics", async () => {
    const post = await fetch(`${origin}/_dev/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const none = await fetch(`${origin}/none/_dev/metrics`);
    expect(none.status).toBe(404);
    expect(none.headers.get("content-type")).toBe("application/problem+json");
  });
});
