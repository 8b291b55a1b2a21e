import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTopology, checkTopology, type Topology } from "../../shared/topology/index.js";
import { fixtureServices } from "../fixtures/services/index.js";
import { breakResource, grant, without } from "./breakage.js";
import {
  checkApiProtection,
  checkAppClient,
  checkAuth,
  checkBatchResponses,
  checkCdn,
  checkConsumerWiring,
  checkDashboards,
  checkDeliveries,
  checkDomain,
  checkEncryption,
  checkEnvironment,
  checkFailureHandling,
  checkHandlers,
  checkLeastPrivilege,
  checkMonitoring,
  checkOutboxes,
  checkOwnership,
  checkRetention,
  checkRoleTrust,
  checkRoutes,
  checkSampling,
  checkStreams,
  checkTracing,
  checkUserPool,
  checkUserPoolLinks,
} from "./checks.js";
import { gallery } from "./galleryService.js";
import { type SynthResource, type SynthResult, stopSynth, synthesize } from "./synth.js";

// The fixture services exercise all four transports; `gallery` adds the user pool (the shop's authorized route needs
// one) and the bucket behind the CDN.
const topology = buildTopology([...fixtureServices, gallery]);
const DOMAIN = "ci.api.example.com";

let ci: SynthResult;
let production: SynthResult;
let untraced: SynthResult;
let misrouted: SynthResult;
let missingHandler: SynthResult;
let fixturesAlone: SynthResult;

/** A topology whose first bus subscription carries a pattern the contract does not derive. */
function misroute(t: Topology): Topology {
  let done = false;
  const subscriptions = t.subscriptions.map((s) => {
    if (done || s.delivery.kind !== "rule") return s;
    done = true;
    return { ...s, delivery: { ...s.delivery, pattern: { source: ["summit.elsewhere"], "detail-type": ["Other"] } } };
  });
  return { ...t, subscriptions };
}

const BROKEN_FUNCTION = "LedgerEntries";
function breakHandler(t: Topology): Topology {
  return {
    ...t,
    functions: t.functions.map((f) =>
      f.name === BROKEN_FUNCTION ? { ...f, handler: "test/fixtures/services/ledger/routes/entries.noSuchExport" } : f,
    ),
  };
}

beforeAll(async () => {
  expect(checkTopology(topology)).toEqual([]);
  // Each synth is its own process: run them side by side.
  // The real system (services/index.ts through sst.config.ts) is synthesized by usersStacks.test.ts.
  [ci, production, untraced, misrouted, missingHandler, fixturesAlone] = await Promise.all([
    synthesize(topology),
    synthesize(topology, { stage: "production" }),
    synthesize(topology, { tracing: false }),
    synthesize(misroute(topology)),
    synthesize(breakHandler(topology)),
    synthesize(buildTopology(fixtureServices)),
  ]);
}, 300_000);

afterAll(stopSynth);

describe("the stacks synthesized from the topology", () => {
  it("synthesize without errors, asking the mocks nothing they cannot answer", () => {
    expect(ci.errors).toEqual([]);
    expect(production.errors).toEqual([]);
    expect(ci.unknownCalls).toEqual([]);
  });

  it("trace every function, stage and topic with X-Ray", () => {
    expect(checkTracing(ci.resources, topology)).toEqual([]);
    // Without the transforms, the check sees every function and stage untraced.
    const problems = checkTracing(untraced.resources, topology);
    expect(problems).toContain(`${topology.functions[0]!.name}: tracing is not Active`);
    expect(problems.some((p) => p.startsWith("stage ") && p.endsWith("X-Ray tracing is off"))).toBe(true);
    expect(problems.some((p) => p.endsWith("may not write to X-Ray"))).toBe(true);
  });

  it("map every service with routes onto the stage's one domain by its base path", () => {
    expect(checkDomain(ci.resources, topology, DOMAIN)).toEqual([]);
    expect(checkDomain(production.resources, topology, "api.example.com")).toEqual([]);
    const lost = without(ci.resources, (r) => r.type.endsWith("BasePathMapping") && r.inputs.basePath === "ledger");
    expect(checkDomain(lost, topology, DOMAIN)).toEqual([expect.stringContaining("base paths")]);
    expect(checkDomain(ci.resources, topology, "api.example.com")).not.toEqual([]);
  });

  it("put no CDN in front of the API when no route declares cache (the bucket's CDN stands apart)", () => {
    expect(topology.routes.some((r) => r.definition.cache)).toBe(false);
    expect(checkCdn(ci.resources, topology)).toEqual([]);
    const distributions = ci.resources.filter((r) => r.custom && r.type === "aws:cloudfront/distribution:Distribution");
    expect(distributions.map((d) => d.name)).toEqual(["GalleryBucketCdnCdnDistribution"]);
    // A topology with a cached route but no CDN in front of its API is caught.
    const [first, ...rest] = topology.routes;
    const cached = {
      ...topology,
      routes: [
        { ...first!, definition: { ...first!.definition, cache: { maxAgeSeconds: 1, sMaxAgeSeconds: 2 } } },
        ...rest,
      ],
    };
    expect(checkCdn(ci.resources, cached)).toEqual([`0 distributions in front of ${DOMAIN}`]);
  });

  it("give each Kinesis stream the shards its contract's peak needs in production, and one elsewhere", () => {
    expect(checkStreams(ci.resources, topology, "ci")).toEqual([]);
    expect(checkStreams(production.resources, topology, "production")).toEqual([]);
    const stream = topology.streams[0]!;
    const undersized = breakResource(
      production.resources,
      (r) => r.type === "aws:kinesis/stream:Stream",
      (i) => {
        i.shardCount = stream.shards + 1;
      },
    );
    expect(checkStreams(undersized, topology, "production")).toEqual([
      `${stream.name}: ${stream.shards + 1} shards, expected ${stream.shards}`,
    ]);
    // A development stage with production's capacity is a bill nobody asked for.
    const eight = { ...topology, streams: [{ ...stream, shards: 8 }] };
    const rented = breakResource(
      ci.resources,
      (r) => r.type === "aws:kinesis/stream:Stream",
      (i) => {
        i.shardCount = 8;
      },
    );
    expect(checkStreams(rented, eight, "production")).toEqual([]);
    expect(checkStreams(rented, eight, "ci")).toEqual([`${stream.name}: 8 shards, expected 1`]);
  });

  it("deliver each consumed event by one rule, subscription or source with the contract's pattern or filter", () => {
    expect(checkDeliveries(ci.resources, topology)).toEqual([]);
    // A topology with a hand-written pattern builds a rule the contract does not derive.
    expect(checkDeliveries(misrouted.resources, topology)).toEqual([expect.stringContaining("rule pattern")]);
    const filterless = breakResource(
      ci.resources,
      (r) => r.type === "aws:sns/topicSubscription:TopicSubscription",
      (i) => {
        i.filterPolicy = JSON.stringify({ eventType: ["shop.Other"] });
      },
    );
    expect(checkDeliveries(filterless, topology)).toEqual([expect.stringContaining("filter policy")]);
    const unfiltered = breakResource(
      ci.resources,
      (r) => r.type.endsWith("EventSourceMapping") && Boolean(r.inputs.startingPosition),
      (i) => {
        delete i.filterCriteria;
      },
    );
    expect(checkDeliveries(unfiltered, topology)).toEqual([expect.stringContaining("stream filter")]);
  });

  it("send every async consumer's failures to its DLQ", () => {
    expect(checkFailureHandling(ci.resources, topology)).toEqual([]);
    const noRedrive = breakResource(
      ci.resources,
      (r) => r.type === "aws:sqs/queue:Queue" && Boolean(r.inputs.redrivePolicy),
      (i) => {
        delete i.redrivePolicy;
      },
    );
    expect(checkFailureHandling(noRedrive, topology).some((p) => p.includes("no redrive policy"))).toBe(true);
    const noDestination = without(ci.resources, (r) => r.type.endsWith("FunctionEventInvokeConfig"));
    expect(checkFailureHandling(noDestination, topology).some((p) => p.includes("async failures"))).toBe(true);
    const noBisect = breakResource(
      ci.resources,
      (r) => r.type.endsWith("EventSourceMapping") && Boolean(r.inputs.startingPosition),
      (i) => {
        delete i.destinationConfig;
        i.bisectBatchOnFunctionError = false;
      },
    );
    expect(checkFailureHandling(noBisect, topology)).toHaveLength(2);
  });

  it("report partial batch failures on every SQS and Kinesis event source", () => {
    expect(checkBatchResponses(ci.resources, topology)).toEqual([]);
    const whole = breakResource(
      ci.resources,
      (r) => r.type.endsWith("EventSourceMapping"),
      (i) => {
        i.functionResponseTypes = [];
      },
    );
    expect(checkBatchResponses(whole, topology).filter((p) => p.includes("partial"))).toHaveLength(
      topology.subscriptions.filter((s) => s.trigger.kind !== "async").length + topology.outboxes.length,
    );
  });

  it("stream every table, and publish each service's events from its outbox through its table's stream", () => {
    expect(topology.outboxes.map((o) => o.function)).toEqual(["ShopOutboxPublisher"]);
    expect(checkOutboxes(ci.resources, topology)).toEqual([]);
    const isOutboxMapping = (r: { type: string; inputs: Record<string, unknown> }) =>
      r.type.endsWith("EventSourceMapping") && String(r.inputs.eventSourceArn).includes("/stream/");

    const streamless = breakResource(
      ci.resources,
      (r) => r.name === "LedgerTableTable",
      (i) => {
        i.streamEnabled = false;
      },
    );
    expect(checkOutboxes(streamless, topology)).toEqual(["table LedgerTable: no stream"]);
    const keysOnly = breakResource(
      ci.resources,
      (r) => r.name === "ShopTableTable",
      (i) => {
        i.streamViewType = "KEYS_ONLY";
      },
    );
    expect(checkOutboxes(keysOnly, topology)).toEqual(["table ShopTable: stream keeps KEYS_ONLY, not NEW_IMAGE"]);

    // A filter that also passes removals would publish an event again when its outbox item expires.
    const leaky = breakResource(ci.resources, isOutboxMapping, (i) => {
      i.filterCriteria = { filters: [{ pattern: JSON.stringify({ eventName: ["INSERT", "REMOVE"] }) }] };
    });
    expect(checkOutboxes(leaky, topology)).toEqual([expect.stringContaining("is not the outbox filter")]);
    const careless = breakResource(ci.resources, isOutboxMapping, (i) => {
      i.bisectBatchOnFunctionError = false;
      i.functionResponseTypes = [];
      i.maximumRetryAttempts = 2;
      i.maximumRecordAgeInSeconds = 60;
      i.startingPosition = "LATEST";
      delete i.destinationConfig;
    });
    expect(checkOutboxes(careless, topology)).toEqual([
      "ShopOutboxPublisher: does not start at TRIM_HORIZON",
      "ShopOutboxPublisher: a failing batch is not bisected",
      "ShopOutboxPublisher: no partial batch responses",
      "ShopOutboxPublisher: retries are 2, not -1",
      "ShopOutboxPublisher: record age is not 82800 s",
      "ShopOutboxPublisher: failures do not go to ShopOutboxPublisherDlq",
    ]);
    expect(checkOutboxes(without(ci.resources, isOutboxMapping), topology)).toEqual([
      "ShopOutboxPublisher: not subscribed to ShopTable's stream",
    ]);

    // Only the publisher may reach the bus: a route granted it could publish around the outbox.
    const bus = ci.resources.find((r) => r.type === "aws:cloudwatch/eventBus:EventBus")!.arn!;
    const around = grant(ci.resources, "ShopPlaceOrderRole", {
      Effect: "Allow",
      Action: ["events:*"],
      Resource: [bus],
    });
    expect(checkOutboxes(around, topology)).toEqual(["ShopPlaceOrder may publish to Bus around shop's outbox"]);
  });

  it("let each function reach its links and nothing else", () => {
    expect(checkLeastPrivilege(ci.resources, topology)).toEqual([]);
    const foreign = ci.resources.find((r) => r.name === "ShopTableTable")!.arn!;
    const greedy = grant(ci.resources, "LedgerEntriesRole", {
      Effect: "Allow",
      Action: ["dynamodb:*"],
      Resource: [foreign],
    });
    expect(checkLeastPrivilege(greedy, topology)).toEqual([
      `LedgerEntries (ledger) may reach ${foreign}, which it does not link`,
    ]);
    // Seen from the data: the shop's table is reachable by the shop's functions only.
    expect(checkOwnership(ci.resources, topology)).toEqual([]);
    expect(checkOwnership(greedy, topology)).toEqual([
      "LedgerEntriesRole (ledger) may reach ShopTable, which is shop's",
    ]);
    expect(checkRoleTrust(ci.resources, topology)).toEqual([]);
  });

  it("build the user pool, its app client, the routes and the consumers' wiring as declared", () => {
    // The same checks the real users service is held to (usersStacks.test.ts), here on the fixture services.
    expect(checkUserPool(ci.resources, topology)).toEqual([]);
    expect(checkAppClient(ci.resources, topology)).toEqual([]);
    expect(checkRoutes(ci.resources, topology)).toEqual([]);
    expect(checkUserPoolLinks(ci.resources, topology)).toEqual([]);
    expect(checkConsumerWiring(ci.resources, topology)).toEqual([]);
  });

  it("bundle every handler from its <file>.<export> with code splitting, and run exactly that", () => {
    expect(checkHandlers(ci, topology)).toEqual([]);
    expect(checkHandlers(missingHandler, topology)).toEqual(
      expect.arrayContaining([expect.stringContaining('has no export named "noSuchExport"')]),
    );
    const [first] = topology.functions;
    const unsplit = { ...ci, splitBuilds: ci.splitBuilds.filter((id) => id !== first!.name) };
    expect(checkHandlers(unsplit, topology)).toEqual([`${first!.name}: bundled without code splitting`]);
  });

  it("name every link and alias in the environment, FailureQueue being the consumer's DLQ", () => {
    expect(checkEnvironment(ci.resources, topology)).toEqual([]);
    const swapped = breakResource(
      ci.resources,
      (r) => r.name === "LedgerItemScannedFunction",
      (i) => {
        const vars = (i.environment as { variables: Record<string, string> }).variables;
        vars.SST_RESOURCE_FailureQueue = vars.SST_RESOURCE_LedgerOrderPlacedDlq ?? JSON.stringify({ url: "other" });
      },
    );
    expect(checkEnvironment(swapped, topology)).toEqual([
      "LedgerItemScanned: FailureQueue is not LedgerItemScannedDlq",
    ]);
  });

  it("require Cognito access tokens on authorized routes", () => {
    expect(checkAuth(ci.resources, topology)).toEqual([]);
    const idTokens = breakResource(
      ci.resources,
      (r) => r.type === "aws:apigateway/method:Method" && r.inputs.authorization === "COGNITO_USER_POOLS",
      (i) => {
        delete i.authorizationScopes;
      },
    );
    expect(checkAuth(idTokens, topology).every((p) => p.endsWith("accepts ID tokens"))).toBe(true);
    // The fixture services alone have an authorized route and no user pool: the stacks refuse them.
    expect(fixturesAlone.errors.join("\n")).toContain("no service declares the user pool");
  });

  it("alarm on DLQ depth, function errors and stream lag, with a dashboard per service", () => {
    expect(checkMonitoring(ci.resources, topology, "ci")).toEqual([]);
    const quiet = without(ci.resources, (r) => r.type.endsWith("MetricAlarm") && r.inputs.metricName === "Errors");
    expect(checkMonitoring(quiet, topology, "ci")).toHaveLength(topology.functions.length);
    const unwatched = without(
      ci.resources,
      (r) => r.type.endsWith("MetricAlarm") && r.inputs.metricName === "IteratorAge",
    );
    expect(checkMonitoring(unwatched, topology, "ci")).toEqual(["ShopOutboxPublisher: no outbox lag alarm"]);
    const blind = without(ci.resources, (r) => r.type.endsWith("Dashboard"));
    expect(checkMonitoring(blind, topology, "ci")).toHaveLength(topology.services.length);
  });

  it("chart every declared metric on its service's dashboard, beside its functions' p99 duration", () => {
    expect(checkDashboards(ci.resources, topology, "ci")).toEqual([]);
    expect(checkDashboards(production.resources, topology, "production")).toEqual([]);
    const shop = topology.services.find((s) => s.name === "shop")!;
    expect(shop.metrics.map((m) => m.name)).toEqual(["OrdersPlaced", "EventsToDlq"]);
    const onShopDashboard = (change: (widgets: { properties: { title: string; metrics: unknown[] } }[]) => unknown[]) =>
      breakResource(
        ci.resources,
        (r) => r.type.endsWith("Dashboard") && r.inputs.dashboardName === "summit-ci-shop",
        (i) => {
          const body = JSON.parse(String(i.dashboardBody));
          body.widgets = change(body.widgets);
          i.dashboardBody = JSON.stringify(body);
        },
      );
    // A declared metric's chart dropped, and the DLQ search losing its event-type dimension, are both caught.
    const dropped = onShopDashboard((widgets) => widgets.filter((w) => !w.properties.title.endsWith("OrdersPlaced")));
    expect(checkDashboards(dropped, topology, "ci")).toEqual(["shop: OrdersPlaced is not on its dashboard"]);
    const flattened = onShopDashboard((widgets) =>
      widgets.map((w) =>
        w.properties.title.endsWith("EventsToDlq")
          ? { ...w, properties: { ...w.properties, metrics: [["Summit", "EventsToDlq", "service", "shop"]] } }
          : w,
      ),
    );
    expect(checkDashboards(flattened, topology, "ci")).toEqual(["shop: EventsToDlq is not on its dashboard"]);
    const noLatency = onShopDashboard((widgets) => widgets.filter((w) => !w.properties.title.endsWith("p99")));
    expect(checkDashboards(noLatency, topology, "ci")).toEqual(
      shop.functions.map((fn) => `shop: ${fn}'s p99 duration is not on its dashboard`),
    );
    // A metric declared after the dashboard was made is missing from it.
    const more = {
      ...topology,
      services: topology.services.map((s) =>
        s.name === "shop" ? { ...s, metrics: [...s.metrics, { ...s.metrics[0]!, name: "OrdersShipped" }] } : s,
      ),
    };
    expect(checkDashboards(ci.resources, more, "ci")).toEqual(["shop: OrdersShipped is not on its dashboard"]);
  });

  it("sample every write and a bounded share of reads in production, and everything on other stages", () => {
    expect(checkSampling(ci.resources, topology, "ci")).toEqual([]);
    expect(checkSampling(production.resources, topology, "production")).toEqual([]);
    const rules = (result: SynthResult) =>
      result.resources.filter((r) => r.type === "aws:xray/samplingRule:SamplingRule");
    expect(rules(production).map((r) => [r.inputs.ruleName, r.inputs.httpMethod, r.inputs.fixedRate])).toEqual([
      ["production-shop-post", "POST", 1],
      ["production-shop-reads", "GET", 0.001],
      ["production-ledger-reads", "GET", 0.001],
      ["production-gallery-post", "POST", 1],
    ]);
    expect(rules(ci).map((r) => [r.inputs.ruleName, r.inputs.httpMethod, r.inputs.fixedRate])).toEqual([
      ["ci-shop-all", "*", 1],
      ["ci-ledger-all", "*", 1],
      ["ci-gallery-all", "*", 1],
    ]);
    const isRule = (name: string) => (r: SynthResource) => r.inputs.ruleName === name;
    // Reads traced at 100 % in production, a reservoir too large, writes sampled like reads, rules missing: all caught.
    const everyRead = breakResource(production.resources, isRule("production-shop-reads"), (i) => {
      i.fixedRate = 1;
    });
    expect(checkSampling(everyRead, topology, "production")).toEqual([
      "shop: rule production-shop-reads samples 1 of reads",
    ]);
    const bigReservoir = breakResource(production.resources, isRule("production-ledger-reads"), (i) => {
      i.reservoirSize = 500;
    });
    expect(checkSampling(bigReservoir, topology, "production")).toEqual([
      "ledger: rule production-ledger-reads keeps 500 reads a second",
    ]);
    const sampledWrites = breakResource(production.resources, isRule("production-shop-post"), (i) => {
      i.fixedRate = 0.05;
    });
    expect(checkSampling(sampledWrites, topology, "production")).toEqual(["shop: not every POST is traced"]);
    const catchAll = breakResource(production.resources, isRule("production-shop-post"), (i) => {
      i.httpMethod = "*";
      i.fixedRate = 1;
    });
    expect(checkSampling(catchAll, topology, "production")).toEqual([
      "shop: rule production-shop-post samples 1 of reads",
    ]);
    const untraced = without(production.resources, (r) => r.type === "aws:xray/samplingRule:SamplingRule");
    expect(checkSampling(untraced, topology, "production")).toEqual([
      "shop: no sampling rule for its API",
      "ledger: no sampling rule for its API",
      "gallery: no sampling rule for its API",
    ]);
    // A development stage must see everything: production's rules there are a problem.
    expect(checkSampling(production.resources, topology, "ci")).toEqual([
      "shop: not every request is sampled on ci",
      "ledger: not every request is sampled on ci",
      "gallery: not every request is sampled on ci",
    ]);
  });

  it("retain and protect production, and only production", () => {
    expect(checkRetention(ci)).toEqual([]);
    expect(checkRetention(production)).toEqual([]);
    // Production's expectations on a development stage's resources (and the reverse) fail.
    expect(checkRetention({ ...ci, app: { ...ci.app, stage: "production" } })).not.toEqual([]);
    expect(checkRetention({ ...production, app: { ...production.app, stage: "ci" } })).not.toEqual([]);
  });

  it("encrypt every table, queue, topic, stream and bucket at rest, and refuse plain HTTP to the bucket", () => {
    expect(checkEncryption(ci.resources, topology)).toEqual([]);
    expect(checkEncryption(production.resources, topology)).toEqual([]);
    const kinds = {
      "aws:dynamodb/table:Table": (i: Record<string, unknown>) => delete i.serverSideEncryption,
      "aws:sqs/queue:Queue": (i: Record<string, unknown>) => delete i.sqsManagedSseEnabled,
      "aws:sns/topic:Topic": (i: Record<string, unknown>) => delete i.kmsMasterKeyId,
      "aws:kinesis/stream:Stream": (i: Record<string, unknown>) => {
        i.encryptionType = "NONE";
      },
    };
    for (const [type, change] of Object.entries(kinds)) {
      const plain = breakResource(ci.resources, (r) => r.type === type, change);
      const count = ci.resources.filter((r) => r.custom && r.type === type).length;
      expect(count).toBeGreaterThan(0);
      expect(checkEncryption(plain, topology), type).toHaveLength(count);
    }
    const open = without(ci.resources, (r) => r.type === "aws:s3/bucketPolicy:BucketPolicy");
    expect(checkEncryption(open, topology)).toEqual(["bucket GalleryBucket: plain HTTP is not denied"]);
  });

  it("throttle every API stage and put a web ACL with AWS managed rules and a rate rule in front of each", () => {
    expect(checkApiProtection(ci.resources, topology, "ci")).toEqual([]);
    expect(checkApiProtection(production.resources, topology, "production")).toEqual([]);
    const apis = ci.resources.filter((r) => r.custom && r.type === "aws:apigateway/stage:Stage").length;
    expect(apis).toBeGreaterThan(1);
    // Production's rate on a developer's stage: a bill nobody asked for.
    expect(checkApiProtection(production.resources, topology, "ci")).toHaveLength(apis);
    const unthrottled = without(ci.resources, (r) => r.type === "aws:apigateway/methodSettings:MethodSettings");
    expect(checkApiProtection(unthrottled, topology, "ci").filter((p) => p.endsWith("every method"))).toHaveLength(
      apis,
    );
    const exposed = without(ci.resources, (r) => r.type === "aws:wafv2/webAclAssociation:WebAclAssociation");
    expect(checkApiProtection(exposed, topology, "ci").filter((p) => p.endsWith("in front of it"))).toHaveLength(apis);
    const lax = breakResource(
      ci.resources,
      (r) => r.type === "aws:wafv2/webAcl:WebAcl",
      (i) => {
        i.rules = (i.rules as Record<string, unknown>[]).filter((r) => r.name !== "RatePerIp").slice(1);
      },
    );
    expect(checkApiProtection(lax, topology, "ci")).toEqual([
      "ApiFirewall: no AWSManagedRulesCommonRuleSet",
      "ApiFirewall: no rate rule that blocks",
    ]);
  });
});
