import { describe, expect, test } from "vitest";
import type { ServiceDefinition } from "../../shared/topology/index.js";
import { buildTopology, checkTopology } from "../../shared/topology/index.js";
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
        "ShopPlaceOrder",
      ].sort(),
    );
    expect(topology.routes.map((r) => `${r.method} ${r.fullPath}`)).toEqual([
      "POST /shop/orders",
      "GET /shop/orders/{orderId}",
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
    expect([...links("ShopPlaceOrder")].sort()).toEqual(
      ["Bus", "ShopItemScannedStream", "ShopLabelRequestedQueue", "ShopReceiptIssuedTopic", "ShopTable"].sort(),
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

describe("consistency check", () => {
  const broken = (services: ServiceDefinition[]) => checkTopology(buildTopology(services));

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
