import { readFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import type { Message, MessageAttributeValue } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { catalog } from "../../events/catalog.js";
import { type DevQueuesOptions, devRoutes } from "../../local/devtools/index.js";
import { buildServiceMap } from "../../local/devtools/serviceMap.js";
import type { XraySegment } from "../../local/emulators/xrayCollector.js";
import { FunctionLogs } from "../../local/runtime/functionLogs.js";
import { buildTopology } from "../../shared/topology/index.js";
import { BASE, F, K, linkedSegments, P, R1, R2 } from "../fixtures/linkedSegments.js";
import { orderSegments, TRACE_A } from "../fixtures/segments.js";
import { fixtureServices } from "../fixtures/services/index.js";

const collector = {
  segments: (traceId?: string): XraySegment[] =>
    traceId === undefined ? orderSegments : orderSegments.filter((s) => s.trace_id === traceId),
};

const topology = buildTopology(fixtureServices);
/** The installed package's folder, found here independently of the routes. */
const swaggerUiDist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
let server: Server;
let origin: string;

beforeAll(async () => {
  const dev = devRoutes({ collector, topology });
  server = createServer(async (req, res) => {
    if (await dev(req, res)) return;
    res.writeHead(418, { "content-type": "text/plain" });
    res.end("not a dev route");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const get = (path: string, init?: RequestInit) => fetch(`${origin}${path}`, init);

/** A GET with the `Host` header as given (fetch sets its own). */
function getRaw(path: string, host?: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}${path}`, { setHost: host === undefined }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    if (host) req.setHeader("host", host);
    req.on("error", reject);
    req.end();
  });
}

describe("devRoutes", () => {
  test("GET /_dev/service-map is the map as JSON", async () => {
    const res = await get("/_dev/service-map");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual(buildServiceMap(orderSegments));
  });

  test.each(["/_dev/service-map.html", "/_dev/"])("GET %s is the self-contained map page", async (path) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const page = await res.text();
    expect(page).toContain("/_dev/service-map");
    expect(page).toContain("/_dev/traces");
    // Nothing from elsewhere: the one script it loads is the layout library, served by these routes.
    expect([...page.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]*)"/g)].map((m) => m[1])).toEqual([
      "/_dev/assets/dagre.js",
    ]);
  });

  test("GET /_dev/assets/dagre.js is the installed layout library's browser build, with its licence", async () => {
    const res = await get("/_dev/assets/dagre.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const script = await res.text();
    expect(script).toMatch(/^\/\*\s*@license/);
    expect(script).toContain("var dagre=");
    expect(script).not.toContain("sourceMappingURL");
    const dagre = new Function(`${script}; return dagre;`)() as { layout: unknown; graphlib: { Graph: unknown } };
    expect(typeof dagre.layout).toBe("function");
    expect(typeof dagre.graphlib.Graph).toBe("function");
    expect((await get("/_dev/assets/other.js")).status).toBe(418);
  });

  test("GET /_dev/traces lists recent traces, 20 by default", async () => {
    const res = await get("/_dev/traces");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { traceId: string }[] };
    expect(body.items).toHaveLength(4);
    const limited = (await (await get("/_dev/traces?limit=1")).json()) as { items: unknown[] };
    expect(limited.items).toHaveLength(1);
  });

  test.each(["0", "101", "abc", "", "1.5", "-1"])("GET /_dev/traces?limit=%s is a 400 problem", async (limit) => {
    const res = await get(`/_dev/traces?limit=${limit}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ status: 400, title: "Bad Request", detail: expect.any(String) });
  });

  test("GET /_dev/traces/{id} is the timeline; an unknown id a 404 problem", async () => {
    const res = await get(`/_dev/traces/${TRACE_A}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ traceId: TRACE_A, durationMs: 120 });
    const missing = await get("/_dev/traces/1-00000000-000000000000000000000000");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    expect(await missing.json()).toMatchObject({ status: 404, type: "https://summit.dev/problems/not-found" });
  });

  test("GET /docs is Swagger UI over every service's document, with only files of this origin", async () => {
    const res = await get("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const page = await res.text();
    const references = [...page.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1] ?? "");
    expect(references.length).toBeGreaterThan(0);
    for (const reference of references) expect(reference, reference).toMatch(/^(\/(?!\/)|data:)/);
    expect(page).not.toMatch(/https?:\/\//);
    const scripts = references.filter((r) => r.endsWith(".js"));
    expect(scripts).toEqual([
      "/docs/assets/swagger-ui-bundle.js",
      "/docs/assets/swagger-ui-standalone-preset.js",
      "/docs/assets/docs.js",
    ]);
    expect(references).toContain("/docs/assets/swagger-ui.css");
    expect(references).toContain("/docs/asyncapi.html");
    const config = JSON.parse(
      page.match(/<script id="docs-config" type="application\/json">(.*?)<\/script>/)?.[1] ?? "{}",
    );
    expect(config.urls).toEqual(topology.services.map((s) => ({ name: s.name, url: `/docs/${s.name}.json` })));
    for (const { url } of config.urls as { url: string }[]) expect((await get(url)).status, url).toBe(200);
  });

  test.each([
    ["swagger-ui-bundle.js", "text/javascript; charset=utf-8", "SwaggerUIBundle"],
    ["swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8", "SwaggerUIStandalonePreset"],
    ["swagger-ui.css", "text/css; charset=utf-8", ".swagger-ui"],
  ])("GET /docs/assets/%s is the installed package's file", async (name, type, marker) => {
    const res = await get(`/docs/assets/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(type);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const body = await res.text();
    expect(body).toBe(await readFile(join(swaggerUiDist, name), "utf8"));
    expect(body).toContain(marker);
  });

  test("GET /docs/assets/docs.js starts Swagger UI with try it out on and no online validator", async () => {
    const res = await get("/docs/assets/docs.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const script = await res.text();
    for (const setting of [
      "tryItOutEnabled: true",
      "validatorUrl: null",
      "persistAuthorization: true",
      "urls: config.urls",
    ])
      expect(script).toContain(setting);
  });

  test.each(["nope.js", "index.html", "..%2Fpackage.json", "swagger-initializer.js"])(
    "GET /docs/assets/%s is a 404 problem",
    async (name) => {
      const res = await get(`/docs/assets/${name}`);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await res.json()).toMatchObject({ status: 404, title: "Not Found" });
    },
  );

  test("GET /docs/{service}.json is the OpenAPI document; an unknown service a 404 problem", async () => {
    const res = await get("/docs/ledger.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toMatchObject({ openapi: "3.1.0", paths: { "/entries/{orderId}": {} } });
    const missing = await get("/docs/nope.json");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
  });

  test("a document's servers are the gateway the request reached: its Host header, else the socket's address", async () => {
    const basePath = topology.services.find((s) => s.name === "shop")?.basePath;
    const servers = async (host?: string) =>
      ((await getRaw("/docs/shop.json", host)).body as { servers: { url: string }[] }).servers.map((s) => s.url);
    expect(await servers()).toEqual([`${origin}${basePath}`, `https://api.example.com${basePath}`]);
    expect((await servers("localhost:4123"))[0]).toBe(`http://localhost:4123${basePath}`);
    expect((await servers("[::1]:4000"))[0]).toBe(`http://[::1]:4000${basePath}`);
    // Not a host: the socket's own address and port.
    expect((await servers("evil.test/<script>"))[0]).toBe(`${origin}${basePath}`);
    expect((await servers("a b:80"))[0]).toBe(`${origin}${basePath}`);
  });

  test("GET /docs/asyncapi.json is the catalog's AsyncAPI document; /docs/asyncapi.html shows it", async () => {
    const res = await get("/docs/asyncapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const doc = (await res.json()) as { asyncapi: string; channels: Record<string, { title: string }> };
    expect(doc.asyncapi).toBe("3.0.0");
    expect(
      Object.values(doc.channels)
        .map((c) => c.title)
        .sort(),
    ).toEqual(Object.keys(catalog).sort());
    const page = await get("/docs/asyncapi.html");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    for (const type of Object.keys(catalog)) expect(html).toContain(type);
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="?https?:/);
    expect((await get("/docs/events.json")).status).toBe(404);
  });

  test("HEAD answers like GET without a body; another method is a 405 problem", async () => {
    const head = await get("/_dev/service-map", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const post = await get("/_dev/traces", { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect(post.headers.get("content-type")).toBe("application/problem+json");
  });

  test.each(["/", "/shop/orders", "/_dev/unknown", "/docsx", "/_dev/traces/a/b", "/docs/a/b.json"])(
    "leaves %s to the gateway",
    async (path) => {
      expect((await get(path)).status).toBe(418);
    },
  );
});

/** An in-memory SQS on the commands `/_dev/queues` sends: enough to test the routes without fauxqs. */
function fakeSqs() {
  interface Held {
    id: string;
    body: string;
    attributes?: Record<string, MessageAttributeValue>;
    hidden: boolean;
  }
  const queues = new Map<string, Held[]>();
  const at = (url: string) => {
    const queue = queues.get(url) ?? [];
    queues.set(url, queue);
    return queue;
  };
  let next = 0;
  const put = (url: string, body: string, attributes?: Record<string, MessageAttributeValue>) =>
    at(url).push({ id: `m${next++}`, body, ...(attributes ? { attributes } : {}), hidden: false });
  const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const input = command.input as {
      QueueUrl: string;
      MaxNumberOfMessages?: number;
      MessageBody: string;
      MessageAttributes?: Record<string, MessageAttributeValue>;
      ReceiptHandle?: string;
    };
    const queue = at(input.QueueUrl);
    switch (command.constructor.name) {
      case "GetQueueAttributesCommand":
        return {
          Attributes: {
            ApproximateNumberOfMessages: String(queue.filter((m) => !m.hidden).length),
            ApproximateNumberOfMessagesNotVisible: String(queue.filter((m) => m.hidden).length),
          },
        };
      case "ReceiveMessageCommand": {
        const visible = queue.filter((m) => !m.hidden).slice(0, input.MaxNumberOfMessages ?? 1);
        for (const m of visible) m.hidden = true;
        return {
          Messages: visible.map(
            (m): Message => ({
              MessageId: m.id,
              ReceiptHandle: m.id,
              Body: m.body,
              ...(m.attributes ? { MessageAttributes: m.attributes } : {}),
            }),
          ),
        };
      }
      case "SendMessageCommand":
        put(input.QueueUrl, input.MessageBody, input.MessageAttributes);
        return { MessageId: "sent" };
      case "DeleteMessageCommand":
        queue.splice(
          queue.findIndex((m) => m.id === input.ReceiptHandle),
          1,
        );
        return {};
      case "ChangeMessageVisibilityCommand":
        for (const m of queue) if (m.id === input.ReceiptHandle) m.hidden = false;
        return {};
      default:
        throw new Error(`fake SQS: ${command.constructor.name}`);
    }
  };
  return { queues, put, sqs: { send } as unknown as DevQueuesOptions["sqs"] };
}

describe("devRoutes /_dev/queues", () => {
  const topology = buildTopology(fixtureServices);
  const resources = Object.fromEntries(
    topology.queues.map((q) => [q.name, { name: q.name, url: `http://sqs/${q.name}`, arn: `arn:sqs:${q.name}` }]),
  );
  const url = (name: string) => `http://sqs/${name}`;
  const invoked: { fn: string; event: unknown }[] = [];
  const fake = fakeSqs();
  let queueServer: Server;
  let queueOrigin: string;

  beforeAll(async () => {
    const dev = devRoutes({
      collector,
      topology,
      queues: {
        resources,
        sqs: fake.sqs,
        invoke: async (fn, event) => {
          invoked.push({ fn, event });
          return { outcome: { ok: !JSON.stringify(event).includes("still-bad") } };
        },
      },
    });
    queueServer = createServer(async (req, res) => {
      if (await dev(req, res)) return;
      res.writeHead(418);
      res.end();
    });
    await new Promise<void>((resolve) => queueServer.listen(0, "127.0.0.1", resolve));
    queueOrigin = `http://127.0.0.1:${(queueServer.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => queueServer.close(() => resolve())));

  const call = (path: string, init?: RequestInit) => fetch(`${queueOrigin}${path}`, init);
  const redrive = (name: string) => call(`/_dev/queues/${name}/redrive`, { method: "POST" });
  const items = async () => ((await (await call("/_dev/queues")).json()) as { items: Record<string, unknown>[] }).items;

  test("GET /_dev/queues lists every queue with role, depth, DLQ and source", async () => {
    fake.put(url("ShopLabelRequestedQueue"), "a");
    fake.put(url("ShopLabelRequestedQueue"), "b");
    const res = await call("/_dev/queues");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const list = await items();
    expect(list.map((q) => q.name)).toEqual(topology.queues.map((q) => q.name));
    const byName = Object.fromEntries(list.map((q) => [q.name, q]));
    expect(byName.ShopLabelRequestedQueue).toEqual({
      name: "ShopLabelRequestedQueue",
      role: "event",
      visible: 2,
      inFlight: 0,
      dlq: "LedgerLabelRequestedDlq",
    });
    expect(byName.LedgerLabelRequestedDlq).toMatchObject({ role: "dlq", source: "ShopLabelRequestedQueue" });
    expect(byName.LedgerOrderPlacedBufferedOrderPlacedBuffer).toMatchObject({
      role: "buffer",
      dlq: "LedgerOrderPlacedBufferedDlq",
    });
    expect(byName.LedgerOrderPlacedBufferedDlq).toMatchObject({
      source: "LedgerOrderPlacedBufferedOrderPlacedBuffer",
    });
    expect(byName.LedgerOrderPlacedDlq).toMatchObject({ role: "dlq", source: "LedgerOrderPlaced" });
    expect(byName.LedgerItemScannedDlq).toMatchObject({ source: "LedgerItemScanned" });
    expect(byName.ShopOutboxPublisherDlq).toMatchObject({ source: "ShopOutboxPublisher" });
    fake.queues.clear();
  });

  test("redrive moves a queue's DLQ back to its source queue, body and attributes", async () => {
    const attrs = { origin: { DataType: "String", StringValue: "test" } };
    for (let i = 0; i < 13; i++) fake.put(url("LedgerLabelRequestedDlq"), `m${i}`, attrs);
    const res = await redrive("LedgerLabelRequestedDlq");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ moved: 13 });
    expect(fake.queues.get(url("LedgerLabelRequestedDlq"))).toEqual([]);
    const back = fake.queues.get(url("ShopLabelRequestedQueue")) ?? [];
    expect(back.map((m) => m.body)).toEqual(Array.from({ length: 13 }, (_, i) => `m${i}`));
    expect(back[0]?.attributes).toEqual(attrs);
    fake.queues.clear();
  });

  test("a poison record of a queue consumer goes back to its queue, without the reason attributes", async () => {
    const text = (v: string) => ({ DataType: "String", StringValue: v });
    fake.put(url("LedgerLabelRequestedDlq"), "{not json", {
      errorCode: text("InvalidJson"),
      errorMessage: text("bad"),
      source: text("sqs"),
      recordId: text("r1"),
      bodyEncoding: text("text"),
    });
    expect(await (await redrive("LedgerLabelRequestedDlq")).json()).toEqual({ moved: 1 });
    const back = fake.queues.get(url("ShopLabelRequestedQueue")) ?? [];
    expect(back).toMatchObject([{ body: "{not json" }]);
    expect(back[0]?.attributes).toBeUndefined();
    fake.queues.clear();
  });

  test("an async consumer's records re-deliver their event through invoke; a failing one stays", async () => {
    const record = (orderId: string) =>
      JSON.stringify({
        version: "1.0",
        requestContext: { functionArn: "arn:aws:lambda:us-east-1:0:function:X:$LATEST", condition: "RetriesExhausted" },
        requestPayload: { detail: { orderId } },
        responsePayload: { errorType: "Error", errorMessage: "x" },
      });
    fake.put(url("LedgerOrderPlacedDlq"), record("fixed"));
    fake.put(url("LedgerOrderPlacedDlq"), record("still-bad"));
    const res = await redrive("LedgerOrderPlacedDlq");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ moved: 1 });
    expect(invoked.map((i) => i.fn)).toEqual(["LedgerOrderPlaced", "LedgerOrderPlaced"]);
    expect(invoked[0]?.event).toEqual({ detail: { orderId: "fixed" } });
    const left = fake.queues.get(url("LedgerOrderPlacedDlq")) ?? [];
    expect(left.map((m) => [m.hidden, m.body.includes("still-bad")])).toEqual([[false, true]]);
    fake.queues.clear();
  });

  test("404 for an unknown queue; 409 for a queue that is no DLQ and for a stream consumer's or publisher's DLQ", async () => {
    const unknown = await redrive("Nope");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toBe("application/problem+json");
    expect(await unknown.json()).toMatchObject({ status: 404, title: "Not Found" });
    for (const name of ["ShopLabelRequestedQueue", "LedgerItemScannedDlq", "ShopOutboxPublisherDlq"]) {
      const res = await redrive(name);
      expect(res.status, name).toBe(409);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await res.json()).toMatchObject({
        status: 409,
        type: "https://summit.dev/problems/conflict",
        detail: expect.any(String),
      });
    }
  });

  test("an async DLQ holding only unmovable records is a 409 and keeps them", async () => {
    const text = (v: string) => ({ DataType: "String", StringValue: v });
    fake.put(url("LedgerOrderPlacedDlq"), "{}", { errorCode: text("InvalidEnvelope"), source: text("eventbridge") });
    const res = await redrive("LedgerOrderPlacedDlq");
    expect(res.status).toBe(409);
    expect(fake.queues.get(url("LedgerOrderPlacedDlq"))).toMatchObject([{ hidden: false }]);
    fake.queues.clear();
  });

  test("a redrive is a POST (405 otherwise); without queues the routes are 404", async () => {
    const getRedrive = await call("/_dev/queues/LedgerLabelRequestedDlq/redrive");
    expect(getRedrive.status).toBe(405);
    expect(getRedrive.headers.get("allow")).toBe("POST");
    const post = await call("/_dev/queues", { method: "POST" });
    expect(post.status).toBe(405);
    expect((await get("/_dev/queues")).status).toBe(404);
    expect((await get("/_dev/queues/X/redrive", { method: "POST" })).status).toBe(404);
  });
});

describe("GET /_dev/traces/{id} with links and log lines", () => {
  let linkedServer: Server;
  let linkedOrigin: string;
  const all = [...orderSegments, ...linkedSegments];
  const logs = new FunctionLogs({ now: () => (BASE + 0.205) * 1000 });
  logs.add("ForumsCounter", "counting", `Root=${K};Parent=c000000000000001;Sampled=1`);
  logs.add(
    "ForumsCounter",
    JSON.stringify({
      level: "ERROR",
      message: "failed",
      timestamp: new Date((BASE + 0.31) * 1000).toISOString(),
      n: 2,
    }),
    `Root=${F};Parent=f000000000000001;Sampled=1`,
  );

  beforeAll(async () => {
    const dev = devRoutes({
      collector: { segments: (traceId?: string) => (traceId ? all.filter((s) => s.trace_id === traceId) : all) },
      topology: buildTopology(fixtureServices),
      logs,
    });
    linkedServer = createServer(async (req, res) => {
      if (!(await dev(req, res))) res.writeHead(418).end();
    });
    await new Promise<void>((resolve) => linkedServer.listen(0, "127.0.0.1", resolve));
    linkedOrigin = `http://127.0.0.1:${(linkedServer.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => linkedServer.close(() => resolve())));

  const trace = async (traceId: string) => {
    const res = await fetch(`${linkedOrigin}/_dev/traces/${traceId}`);
    expect(res.status).toBe(200);
    return (await res.json()) as { links: unknown[]; logs: unknown[]; entries: { cause?: unknown }[] };
  };

  test("a request's trace names the traces that continued it; theirs name it back", async () => {
    expect((await trace(R1)).links).toEqual([
      { traceId: P, direction: "out", via: "dynamodb-streams" },
      { traceId: K, direction: "out", via: "kinesis" },
    ]);
    expect((await trace(K)).links).toEqual([
      { traceId: R1, direction: "in", via: "kinesis" },
      { traceId: R2, direction: "in", via: "kinesis" },
    ]);
  });

  test("carries the invocations' log lines and the failure's cause; empty arrays where there are none", async () => {
    expect((await trace(K)).logs).toEqual([
      {
        time: new Date((BASE + 0.205) * 1000).toISOString(),
        offsetMs: 5,
        segmentId: "c000000000000001",
        function: "ForumsCounter",
        message: "counting",
      },
    ]);
    const failed = await trace(F);
    expect(failed.logs).toEqual([expect.objectContaining({ level: "ERROR", message: "failed", fields: { n: 2 } })]);
    expect(failed.entries[0]?.cause).toEqual({ type: "Error", message: "counter store down" });
    const plain = await trace(TRACE_A);
    expect(plain.links).toEqual([]);
    expect(plain.logs).toEqual([]);
  });
});
