import { existsSync, readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Emulators, startEmulators } from "../../local/emulators/index.js";
import { EDGE_HIT, EDGE_MISS } from "../../local/runtime/gateway/edgeCache.js";
import { type Runtime, startRuntime } from "../../local/runtime/index.js";
import { buildTopology, defineService } from "../../shared/topology/index.js";
import { edgeProbeRoute, invocationsFile } from "../fixtures/handlers/edgeProbe.js";

// The local gateway plays CloudFront in front of the API: a cached route (`s-maxage=1`) behind it, counted.
const edgeService = defineService({
  name: "edge",
  basePath: "/edge",
  tables: {},
  routes: [edgeProbeRoute],
  publishes: [],
  consumers: [],
});

const stage = `edge${Date.now().toString(36)}`;
const file = invocationsFile(stage);
let emulators: Emulators;
let runtime: Runtime;

const invocations = (id: string): number =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line && (JSON.parse(line) as { id: string }).id === id).length
    : 0;
const item = (id: string, headers: Record<string, string> = {}) =>
  fetch(`${runtime.url}/edge/items/${id}`, { headers });

beforeAll(async () => {
  emulators = await startEmulators();
  runtime = await startRuntime({ topology: buildTopology([edgeService]), emulators, port: 0, stage });
}, 90_000);

afterAll(async () => {
  await runtime?.stop();
  await emulators?.stop();
  rmSync(file, { force: true });
});

describe("the local gateway as the CDN", () => {
  test("collapses a burst of 100 identical GETs into one invocation, then serves it from the edge", async () => {
    const answers = await Promise.all(Array.from({ length: 100 }, () => item("burst")));
    const bodies = await Promise.all(answers.map((res) => res.text()));
    expect(invocations("burst")).toBe(1);
    expect(answers.every((res) => res.status === 200)).toBe(true);
    expect(new Set(bodies).size).toBe(1);
    expect(answers.filter((res) => res.headers.get("x-cache") === EDGE_MISS)).toHaveLength(1);
    const hit = answers.find((res) => res.headers.get("x-cache") === EDGE_HIT)!;
    expect(hit.headers.get("cache-control")).toBe("public, max-age=0, s-maxage=1");
    expect(hit.headers.get("age")).toMatch(/^\d+$/);
    // A stored copy keeps the ids of the request that produced it, as CloudFront's copies do.
    expect(hit.headers.get("x-amzn-trace-id")).toMatch(/^Root=1-/);
    expect(hit.headers.get("x-request-id")).toBeTruthy();
  });

  test("asks the function again once s-maxage has run out", async () => {
    await item("ttl");
    expect((await item("ttl")).headers.get("x-cache")).toBe(EDGE_HIT);
    expect(invocations("ttl")).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const fresh = await item("ttl");
    expect(fresh.headers.get("x-cache")).toBe(EDGE_MISS);
    expect(invocations("ttl")).toBe(2);
  });

  test("sends every request with authorization to the function, answered private", async () => {
    await item("signed");
    for (let i = 0; i < 3; i++) {
      const res = await item("signed", { authorization: "Bearer any" });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-cache")).toBe(EDGE_MISS);
      expect(res.headers.get("cache-control")).toBe("private, max-age=0");
    }
    expect(invocations("signed")).toBe(4);
  });

  test("never stores an error", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await item("missing");
      expect(res.status).toBe(404);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-cache")).toBe(EDGE_MISS);
    }
    expect(invocations("missing")).toBe(3);
  });

  test("answers 304 itself on a matching if-none-match", async () => {
    const first = await item("etag");
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"/);
    const again = await item("etag", { "if-none-match": `W/${etag}` });
    expect(again.status).toBe(304);
    expect(again.headers.get("x-cache")).toBe(EDGE_HIT);
    expect(again.headers.get("etag")).toBe(etag);
    expect(await again.text()).toBe("");
    expect(invocations("etag")).toBe(1);
  });

  test("passes a write through uncached", async () => {
    const res = await fetch(`${runtime.url}/edge/items/x`, { method: "POST", body: "{}" });
    expect(res.status).toBe(405);
    expect(res.headers.get("x-cache")).toBe(EDGE_MISS);
  });
});
