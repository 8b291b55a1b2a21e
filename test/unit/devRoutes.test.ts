import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { catalog } from "../../events/catalog.js";
import { devRoutes } from "../../local/devtools/index.js";
import { buildServiceMap } from "../../local/devtools/serviceMap.js";
import type { XraySegment } from "../../local/emulators/xrayCollector.js";
import { eventJsonSchema } from "../../shared/events/jsonSchema.js";
import { buildTopology } from "../../shared/topology/index.js";
import { orderSegments, TRACE_A } from "../fixtures/segments.js";
import { fixtureServices } from "../fixtures/services/index.js";

const collector = {
  segments: (traceId?: string): XraySegment[] =>
    traceId === undefined ? orderSegments : orderSegments.filter((s) => s.trace_id === traceId),
};

let server: Server;
let origin: string;

beforeAll(async () => {
  const dev = devRoutes({ collector, topology: buildTopology(fixtureServices) });
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
    expect(page).not.toMatch(/<(script|link)[^>]+(src|href)=/);
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

  test("GET /docs lists every service's operations", async () => {
    const res = await get("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const page = await res.text();
    for (const text of ["/shop/orders", "/shop/orders/{orderId}", "/ledger/entries/{orderId}", "/docs/shop.json"]) {
      expect(page).toContain(text);
    }
    expect(page).not.toMatch(/<(script|link)[^>]+(src|href)=/);
  });

  test("GET /docs/{service}.json is the OpenAPI document; an unknown service a 404 problem", async () => {
    const res = await get("/docs/ledger.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toMatchObject({ openapi: "3.1.0", paths: { "/entries/{orderId}": {} } });
    const missing = await get("/docs/nope.json");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
  });

  test("GET /docs/events.json has the JSON Schema of every catalog event", async () => {
    const res = await get("/docs/events.json");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { events: Record<string, unknown> };
    expect(Object.keys(body.events).sort()).toEqual(Object.keys(catalog).sort());
    const created = catalog["forums.PostCreated"];
    expect(body.events["forums.PostCreated"]).toEqual(JSON.parse(JSON.stringify(eventJsonSchema(created))));
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
