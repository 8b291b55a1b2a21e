import { describe, expect, test } from "vitest";
import { services } from "../../services/index.js";
import type { ServiceDefinition } from "../../shared/topology/index.js";
import { bucket, buildTopology, checkTopology, userPool } from "../../shared/topology/index.js";
import { ItemScanned, LabelRequested, OrderPlaced, ReceiptIssued } from "../fixtures/events.js";
import { fixtureServices } from "../fixtures/services/index.js";
import ledger from "../fixtures/services/ledger/service.js";
import shop from "../fixtures/services/shop/service.js";

const topology = buildTopology(fixtureServices);
const sub = (fn: string) => topology.subscriptions.find((s) => s.function === fn)!;

describe("topology of the fixture services", () => {
  test("is consistent", () => {
    expect(checkTopology(topology)).toEqual([]);
  });

  test("has a function per route handler and per consumer, named from the service", () => {
    expect(topology.functions.map((f) => f.name).sort()).toEqual(
      [
        "LedgerEntries",
        "LedgerItemScanned",
        "LedgerLabelRequested",
        "LedgerOrderPlaced",
        "LedgerOrderPlacedBuffered",
        "LedgerReceiptIssued",
        "ShopGetOrder",
        "ShopOutboxPublisher",
        "ShopPlaceOrder",
        "ShopPlaceOrderThenCrash",
      ].sort(),
    );
    expect(topology.routes.map((r) => `${r.method} ${r.fullPath}`)).toEqual([
      "POST /shop/orders",
      "GET /shop/orders/{orderId}",
      "POST /shop/orders/crashing",
      "GET /ledger/entries/{orderId}",
    ]);
  });

  test("derives one transport resource per published event", () => {
    expect(topology.bus).toBe("Bus");
    expect(topology.topics).toEqual([{ name: "ShopReceiptIssuedTopic", event: "shop.ReceiptIssued", service: "shop" }]);
    expect(topology.streams).toEqual([
      { name: "ShopItemScannedStream", event: "shop.ItemScanned", service: "shop", partitionKey: "orderId", shards: 1 },
    ]);
  });

  test("derives the rule pattern, filter policy and stream filter from the contracts", () => {
    expect(sub("LedgerOrderPlaced").delivery).toEqual({
      kind: "rule",
      name: "LedgerOrderPlacedOrderPlacedRule",
      pattern: { source: ["summit.shop"], "detail-type": [OrderPlaced.type] },
    });
    expect(sub("LedgerReceiptIssued").delivery).toEqual({
      kind: "topic",
      topic: "ShopReceiptIssuedTopic",
      filterPolicy: { eventType: [ReceiptIssued.type] },
    });
    expect(sub("LedgerItemScanned").delivery).toEqual({
      kind: "stream",
      stream: "ShopItemScannedStream",
      filterPattern: { data: { type: [ItemScanned.type] } },
    });
    expect(sub("LedgerLabelRequested").delivery).toEqual({ kind: "queue", queue: "ShopLabelRequestedQueue" });
  });

  test("gives every async consumer a failure destination and the right trigger", () => {
    expect(sub("LedgerOrderPlaced").trigger).toEqual({ kind: "async", retries: 2, onFailure: "LedgerOrderPlacedDlq" });
    expect(sub("LedgerReceiptIssued").trigger).toEqual({
      kind: "async",
      retries: 2,
      onFailure: "LedgerReceiptIssuedDlq",
    });
    expect(sub("LedgerItemScanned").trigger).toMatchObject({
      kind: "kinesis",
      batchSize: 50,
      retries: 3,
      bisectOnError: true,
      onFailure: "LedgerItemScannedDlq",
    });
    expect(sub("LedgerLabelRequested").trigger).toEqual({
      kind: "sqs",
      queue: "ShopLabelRequestedQueue",
      batchSize: 5,
      batchWindowSeconds: 0,
      concurrency: 2,
    });
  });

  test("puts a queue with a redrive policy between the bus and a buffered consumer", () => {
    const buffered = sub("LedgerOrderPlacedBuffered");
    expect(buffered.buffer).toBe("LedgerOrderPlacedBufferedOrderPlacedBuffer");
    expect(buffered.trigger).toMatchObject({ kind: "sqs", queue: buffered.buffer });
    expect(topology.queues.find((q) => q.name === buffered.buffer)).toEqual({
      name: buffered.buffer,
      service: "ledger",
      role: "buffer",
      dlq: "LedgerOrderPlacedBufferedDlq",
      maxReceiveCount: 3,
      visibilityTimeoutSeconds: 180,
    });
  });

  test("links each function to its own service's resources and the transports it touches, nothing else", () => {
    const links = (name: string) => topology.functions.find((f) => f.name === name)!.links;
    // The shop publishes through its outbox: its routes reach its table only, its publisher the transports.
    expect([...links("ShopPlaceOrder")]).toEqual(["ShopTable"]);
    expect([...links("ShopOutboxPublisher")].sort()).toEqual(
      [
        "Bus",
        "ShopItemScannedStream",
        "ShopLabelRequestedQueue",
        "ShopOutboxPublisherDlq",
        "ShopReceiptIssuedTopic",
        "ShopTable",
      ].sort(),
    );
    expect([...links("LedgerItemScanned")].sort()).toEqual([
      "LedgerItemScannedDlq",
      "LedgerTable",
      "ShopItemScannedStream",
    ]);
    expect(topology.functions.find((f) => f.name === "LedgerItemScanned")!.aliases).toEqual({
      FailureQueue: "LedgerItemScannedDlq",
    });
  });
});

describe("the outbox", () => {
  const broken = (services: ServiceDefinition[]) => checkTopology(buildTopology(services));

  test("is derived for every service that publishes: its table's stream feeds its publisher, inserts only", () => {
    expect(topology.outboxes).toEqual([
      {
        service: "shop",
        table: "ShopTable",
        function: "ShopOutboxPublisher",
        events: ["shop.OrderPlaced", "shop.ReceiptIssued", "shop.LabelRequested", "shop.ItemScanned"],
        trigger: {
          kind: "dynamodb",
          table: "ShopTable",
          batchSize: 100,
          batchWindowSeconds: 0,
          retries: -1,
          maxRecordAgeSeconds: 82_800,
          bisectOnError: true,
          onFailure: "ShopOutboxPublisherDlq",
          filterPattern: { eventName: ["INSERT"], dynamodb: { Keys: { pk: { S: [{ prefix: "OUTBOX#" }] } } } },
        },
        failureDestination: "ShopOutboxPublisherDlq",
      },
    ]);
    expect(topology.tables.map((t) => [t.name, t.stream])).toEqual([
      ["ShopTable", "NEW_IMAGE"],
      ["LedgerTable", "NEW_IMAGE"],
    ]);
    const fn = topology.functions.find((f) => f.name === "ShopOutboxPublisher")!;
    expect(fn).toMatchObject({ kind: "publisher", handler: "test/fixtures/services/shop/outbox.handler" });
    expect(fn.aliases).toEqual({ FailureQueue: "ShopOutboxPublisherDlq" });
    expect(topology.queues.find((q) => q.name === "ShopOutboxPublisherDlq")).toMatchObject({ role: "dlq" });
    // A service that publishes nothing has no publisher.
    expect(topology.outboxes.some((o) => o.service === "ledger")).toBe(false);
  });

  test("carries every event but a click-stream: that one its handlers put on its stream themselves", () => {
    const real = buildTopology(services);
    const products = real.outboxes.find((o) => o.service === "products")!;
    expect(products.events).toEqual(["products.ProductCreated", "products.ProductUpdated", "products.ProductDeleted"]);
    const publisher = real.functions.find((f) => f.name === products.function)!;
    expect(publisher.links).not.toContain("ProductsProductViewedStream");
    expect(checkTopology(real)).toEqual([]);
  });

  test("picks the table marked `outbox` when a service owns several, and keeps the stream view asked for", () => {
    const two: ServiceDefinition = {
      ...shop,
      tables: {
        ShopTable: { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt", stream: "NEW_AND_OLD_IMAGES" },
        ShopEvents: { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt", outbox: true },
      },
      routes: [],
    };
    const t = buildTopology([two, ledger]);
    expect(t.outboxes.map((o) => o.table)).toEqual(["ShopEvents"]);
    expect(t.tables.find((x) => x.name === "ShopTable")?.stream).toBe("NEW_AND_OLD_IMAGES");
    expect(checkTopology(t)).toEqual([]);
  });

  test("finds a publishing service without an outbox table, or with one that cannot hold an outbox", () => {
    const tableless: ServiceDefinition = { ...shop, tables: {}, routes: [] };
    expect(broken([tableless, ledger])).toEqual([
      "shop publishes shop.OrderPlaced, shop.ReceiptIssued, shop.LabelRequested, shop.ItemScanned but has no outbox table (mark one table `outbox`)",
    ]);
    const undecided: ServiceDefinition = {
      ...shop,
      tables: { A: { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt" }, B: { partitionKey: "pk" } },
      routes: [],
    };
    expect(broken([undecided, ledger])).toEqual([expect.stringContaining("shop publishes")]);
    const flat: ServiceDefinition = { ...shop, tables: { ShopTable: { partitionKey: "pk" } }, routes: [] };
    expect(broken([flat, ledger])).toEqual([
      "shop's outbox table ShopTable has no sort key",
      "shop's outbox table ShopTable has no TTL attribute",
    ]);
  });

  test("refuses a function that could publish around its service's outbox", () => {
    // Declared: the build refuses the link, since with an outbox only the publisher reaches a transport.
    const leaky: ServiceDefinition = { ...shop, routes: [{ ...shop.routes[1]!, links: ["ShopTable", "Bus"] }] };
    expect(() => buildTopology([leaky, ledger])).toThrow("ShopGetOrder links Bus, which shop neither owns");
    // Hand-made: the check is the backstop.
    const patched = {
      ...topology,
      functions: topology.functions.map((f) => (f.name === "ShopGetOrder" ? { ...f, links: [...f.links, "Bus"] } : f)),
    };
    expect(checkTopology(patched)).toEqual(["ShopGetOrder links Bus: shop publishes only through its outbox"]);
  });
});

describe("consistency check", () => {
  const broken = (services: ServiceDefinition[]) => checkTopology(buildTopology(services));

  test("finds idempotency records kept in a table without the shape they need, or in no table of the service", () => {
    const ttlless: ServiceDefinition = {
      ...shop,
      tables: { ShopTable: { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt" }, Keys: { partitionKey: "id" } },
      routes: [{ ...shop.routes[0]!, idempotency: { table: "Keys" } }],
    };
    expect(
      broken([
        { ...ttlless, tables: { ...ttlless.tables, ShopTable: { ...ttlless.tables.ShopTable!, outbox: true } } },
        ledger,
      ]),
    ).toEqual([
      'Keys keeps idempotency records, which need the partition key "pk", but it is "id"',
      'Keys keeps idempotency records, which need the sort key "sk", but it has none',
      'Keys keeps idempotency records, which need the TTL attribute "expiresAt", but it has none',
    ]);
    const elsewhere: ServiceDefinition = {
      ...shop,
      routes: [{ ...shop.routes[0]!, idempotency: { table: "LedgerTable" } }],
    };
    expect(broken([elsewhere, ledger])).toEqual([
      "POST /shop/orders keeps idempotency records in LedgerTable, not its table",
    ]);
  });

  test("finds an owner-only route without a token, or naming a resource its path does not", () => {
    const route = shop.routes[0]!;
    const owned: ServiceDefinition = {
      ...shop,
      routes: [
        { ...route, auth: false, owner: { path: "orderId", field: "buyerId" } },
        {
          ...route,
          method: "PATCH",
          path: "/orders/{orderId}",
          auth: true,
          owner: { path: "orderId", field: "buyerId" },
        },
      ],
    };
    expect(broken([owned, ledger])).toEqual([
      "POST /shop/orders is owner-only but takes no token",
      "POST /shop/orders is owner-only on {orderId}, not in its path",
    ]);
  });

  test("finds a consumed event that nobody publishes", () => {
    expect(broken([ledger])).toEqual(
      expect.arrayContaining([
        "LedgerOrderPlaced consumes shop.OrderPlaced, which no service publishes",
        "LedgerItemScanned consumes shop.ItemScanned, which no service publishes",
      ]),
    );
  });

  test("finds an event published by a service that does not own it, or by two", () => {
    const impostor: ServiceDefinition = { ...ledger, publishes: [OrderPlaced] };
    expect(broken([shop, impostor])).toEqual(
      expect.arrayContaining(["shop.OrderPlaced is published by shop and ledger: an event has one producer"]),
    );
    expect(
      broken([{ ...shop, publishes: [] }, impostor, { ...ledger, name: "x", basePath: "/x", tables: {} }]),
    ).toEqual(expect.arrayContaining(["shop.OrderPlaced is published by ledger, but its contract belongs to shop"]));
  });

  test("finds colliding routes, including differently named parameters", () => {
    const colliding: ServiceDefinition = {
      ...shop,
      routes: [...shop.routes, { ...shop.routes[1]!, path: "/orders/{id}", handler: "test/x/other.handler" }],
    };
    expect(broken([colliding, ledger])).toEqual(["GET /shop/orders/{id} collides with GET /shop/orders/{orderId}"]);
    const distinct: ServiceDefinition = {
      ...shop,
      routes: [...shop.routes, { ...shop.routes[1]!, path: "/orders/popular", handler: "test/x/popular.handler" }],
    };
    expect(broken([distinct, ledger])).toEqual([]);
  });

  test("finds a route whose handler is not a handler reference", () => {
    const bad: ServiceDefinition = { ...shop, routes: [{ ...shop.routes[0]!, handler: "nodot" as "a.b" }] };
    expect(broken([bad, ledger])).toEqual(
      expect.arrayContaining([expect.stringMatching(/has no handler in the form/)]),
    );
  });

  test("finds two services on one base path and a table owned twice", () => {
    expect(broken([shop, ledger, { ...ledger, name: "ledger2", consumers: [], routes: [] }])).toEqual(
      expect.arrayContaining([
        "two services are mapped on /ledger",
        "table LedgerTable is owned by both ledger and ledger2",
      ]),
    );
  });

  test("finds an SQS event with two consumers, and one with none", () => {
    const second: ServiceDefinition = {
      ...ledger,
      name: "other",
      basePath: "/other",
      tables: {},
      routes: [],
      consumers: [{ name: "labels", events: [LabelRequested], handler: "test/x/labels.handler" }],
    };
    expect(broken([shop, ledger, second])).toEqual(
      expect.arrayContaining([expect.stringMatching(/shop.LabelRequested travels on SQS but has 2 consumers/)]),
    );
    const noLabels: ServiceDefinition = {
      ...ledger,
      consumers: ledger.consumers.filter((c) => c.name !== "labelRequested"),
    };
    expect(broken([shop, noLabels])).toEqual(["shop.LabelRequested travels on SQS but nobody consumes it"]);
  });

  test("finds a consumer without a failure destination", () => {
    const t = buildTopology(fixtureServices);
    const withoutDlq = { ...t, queues: t.queues.filter((q) => q.name !== "LedgerReceiptIssuedDlq") };
    expect(checkTopology(withoutDlq)).toEqual([
      "LedgerReceiptIssued consumes shop.ReceiptIssued with no failure destination",
    ]);
    const withoutRedrive = {
      ...t,
      queues: t.queues.map((q) => (q.name === "ShopLabelRequestedQueue" ? { ...q, dlq: undefined } : q)),
    };
    expect(checkTopology(withoutRedrive)).toEqual([
      "LedgerLabelRequested's queue for shop.LabelRequested has no redrive policy to a DLQ",
    ]);
  });

  test("finds a function that reaches another service's table", () => {
    const t = buildTopology(fixtureServices);
    const leaky = {
      ...t,
      functions: t.functions.map((f) => (f.name === "LedgerEntries" ? { ...f, links: [...f.links, "ShopTable"] } : f)),
    };
    expect(checkTopology(leaky)).toEqual(["LedgerEntries (ledger) reaches shop's table ShopTable"]);
  });
});

describe("links: a function reaches the service resources it names, and only those", () => {
  const narrowed: ServiceDefinition = {
    ...shop,
    routes: shop.routes.map((r) => (r.method === "GET" ? { ...r, links: ["ShopTable"] } : r)),
  };

  test("a route that names its links gets exactly those; the others get all of the service's", () => {
    const t = buildTopology([narrowed, ledger]);
    expect(t.functions.find((f) => f.name === "ShopGetOrder")?.links).toEqual(["ShopTable"]);
    expect(t.functions.find((f) => f.name === "ShopPlaceOrder")?.links).toEqual(
      buildTopology(fixtureServices).functions.find((f) => f.name === "ShopPlaceOrder")?.links,
    );
  });

  test("a consumer that names its links keeps its event source and DLQ", () => {
    const quiet: ServiceDefinition = {
      ...ledger,
      consumers: ledger.consumers.map((c) => (c.name === "itemScanned" ? { ...c, links: ["LedgerTable"] } : c)),
    };
    const fn = buildTopology([shop, quiet]).functions.find((f) => f.name === "LedgerItemScanned");
    expect([...(fn?.links ?? [])].sort()).toEqual(["LedgerItemScannedDlq", "LedgerTable", "ShopItemScannedStream"]);
  });

  test("naming a resource the service neither owns nor publishes to fails the build", () => {
    const greedy: ServiceDefinition = {
      ...shop,
      routes: shop.routes.map((r) => (r.method === "GET" ? { ...r, links: ["ShopTable", "LedgerTable"] } : r)),
    };
    expect(() => buildTopology([greedy, ledger])).toThrow(
      /ShopGetOrder links LedgerTable, which shop neither owns nor publishes to/,
    );
  });
});

describe("function names: one function per handler reference, never two references per name", () => {
  const forums = (routes: ServiceDefinition["routes"], consumers: ServiceDefinition["consumers"] = []) =>
    buildTopology([{ name: "forums", basePath: "/forums", tables: {}, routes, publishes: [], consumers }]);
  const route = (path: string, handler: `${string}.${string}`) =>
    ({ method: "GET", path, auth: false, handler, summary: "" }) as const;
  const fnOf = (t: ReturnType<typeof buildTopology>, path: string) => t.routes.find((r) => r.path === path)?.function;

  test("keeps today's names where they are unambiguous", () => {
    expect(topology.functions.filter((f) => f.kind === "route").map((f) => f.name)).toEqual(
      expect.arrayContaining(["ShopPlaceOrder", "ShopGetOrder", "LedgerEntries"]),
    );
    const users = buildTopology(services).functions.filter((f) => f.service === "users" && f.kind === "route");
    expect(users.map((f) => f.name)).toEqual([
      "UsersSignup",
      "UsersSignin",
      "UsersRefresh",
      "UsersGetMe",
      "UsersUpdateMe",
      "UsersGetUser",
    ]);
  });

  test("files with one basename in different folders take their folder", () => {
    const t = forums([
      route("/threads", "services/forums/routes/threads/list.handler"),
      route("/posts", "services/forums/routes/posts/list.handler"),
    ]);
    expect(fnOf(t, "/threads")).toBe("ForumsThreadsList");
    expect(fnOf(t, "/posts")).toBe("ForumsPostsList");
    expect(t.functions.find((f) => f.name === "ForumsPostsList")?.handler).toBe(
      "services/forums/routes/posts/list.handler",
    );
    expect(checkTopology(t)).toEqual([]);
  });

  test("two exports of one file take their export", () => {
    const t = forums([
      route("/threads", "services/forums/routes/list.threads"),
      route("/posts", "services/forums/routes/list.posts"),
    ]);
    expect(fnOf(t, "/threads")).toBe("ForumsListThreads");
    expect(fnOf(t, "/posts")).toBe("ForumsListPosts");
    expect(checkTopology(t)).toEqual([]);
  });

  test("routes with the same handler reference share one function", () => {
    const t = forums([
      route("/threads", "services/forums/routes/list.handler"),
      route("/threads/recent", "services/forums/routes/list.handler"),
    ]);
    expect(t.functions.map((f) => f.name)).toEqual(["ForumsList"]);
    expect(t.routes.map((r) => r.function)).toEqual(["ForumsList", "ForumsList"]);
  });

  test("both kinds at once, and a route never takes a consumer's name", () => {
    const t = forums(
      [
        route("/a", "services/forums/routes/a/list.handler"),
        route("/b", "services/forums/routes/b/list.handler"),
        route("/b/other", "services/forums/routes/b/list.other"),
        route("/stats", "services/forums/routes/postCreated.handler"),
      ],
      [{ name: "postCreated", events: [OrderPlaced], handler: "services/forums/consumers/stats.handler" }],
    );
    expect(t.routes.map((r) => r.function)).toEqual([
      "ForumsAList",
      "ForumsBListHandler",
      "ForumsBListOther",
      "ForumsRoutesPostCreated",
    ]);
    expect(t.functions.map((f) => f.name)).toContain("ForumsPostCreated");
    expect(new Set(t.functions.map((f) => f.name)).size).toBe(t.functions.length);
  });

  test("names only the collision can spell alike are left to the check", () => {
    const t = forums([route("/x", "services/forums/a_b.handler"), route("/y", "services/forums/a-b.handler")]);
    expect(checkTopology(t)).toEqual(expect.arrayContaining([expect.stringMatching(/^two functions are named /)]));
  });
});

describe("declared resources", () => {
  const withResources: ServiceDefinition = {
    ...ledger,
    resources: { LedgerUserPool: userPool(), LedgerBucket: bucket({ notifies: LabelRequested }) },
    consumers: ledger.consumers.filter((c) => c.name !== "labelRequested"),
  };
  const t = buildTopology([
    { ...shop, publishes: shop.publishes.filter((c) => c !== LabelRequested) },
    withResources,
    {
      ...ledger,
      name: "labels",
      basePath: "/labels",
      tables: { LabelsTable: { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt" } },
      routes: [],
      consumers: ledger.consumers.filter((c) => c.name === "labelRequested"),
    },
  ]);

  test("become generic nodes by kind, and links of their service's functions", () => {
    expect(t.resources).toEqual([
      { name: "LedgerUserPool", service: "ledger", kind: "userPool", options: {}, linkable: true, raises: [] },
      {
        name: "LedgerBucket",
        service: "ledger",
        kind: "bucket",
        options: { notifies: LabelRequested.type },
        linkable: true,
        raises: [LabelRequested.type],
      },
    ]);
    expect(t.services.find((s) => s.name === "ledger")?.resources).toEqual(["LedgerUserPool", "LedgerBucket"]);
    expect(t.functions.find((f) => f.name === "LedgerEntries")?.links).toEqual(
      expect.arrayContaining(["LedgerUserPool", "LedgerBucket"]),
    );
  });

  test("a resource that raises an event is its producer", () => {
    // The bucket's notifications are the only source of shop.LabelRequested here: no "nobody publishes" problem.
    expect(checkTopology(t)).toEqual([]);
    expect(t.queues.map((q) => q.name)).toContain("ShopLabelRequestedQueue");
  });

  test("one name each, reached by their own service only", () => {
    const twice = buildTopology([shop, { ...ledger, resources: { ShopTable: userPool() } }]);
    expect(checkTopology(twice)).toEqual(
      expect.arrayContaining(["userPool ShopTable of ledger has the name of shop's"]),
    );
    const leaky = {
      ...t,
      functions: t.functions.map((f) =>
        f.name === "ShopGetOrder" ? { ...f, links: [...f.links, "LedgerBucket"] } : f,
      ),
    };
    expect(checkTopology(leaky)).toEqual(["ShopGetOrder (shop) reaches ledger's LedgerBucket"]);
  });
});
