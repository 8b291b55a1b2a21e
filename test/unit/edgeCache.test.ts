import { describe, expect, it } from "vitest";
import {
  EDGE_HIT,
  EDGE_MISS,
  EdgeCache,
  type EdgeRequest,
  edgeKey,
  sharedTtlSeconds,
} from "../../local/runtime/gateway/edgeCache.js";
import type { HttpAnswer } from "../../local/runtime/gateway/proxyResult.js";

const PUBLIC = "public, max-age=1, s-maxage=2";
const ETAG = '"abc"';

const get = (path = "/products/p1", headers: Record<string, string> = {}, query = ""): EdgeRequest => ({
  method: "GET",
  path,
  query,
  rawHeaders: Object.entries(headers).flat(),
});
const ok = (headers: Record<string, string | string[]> = {}, body = '{"productId":"p1"}'): HttpAnswer => ({
  status: 200,
  headers: {
    "content-type": "application/json",
    "cache-control": PUBLIC,
    etag: ETAG,
    vary: "authorization",
    ...headers,
  },
  body: Buffer.from(body),
});

/** An origin that counts its requests and remembers the headers it was sent. */
function origin(answer: () => HttpAnswer | Promise<HttpAnswer> = () => ok()) {
  const seen: (readonly string[])[] = [];
  const fn = async (rawHeaders: readonly string[]) => {
    seen.push(rawHeaders);
    return answer();
  };
  return { fn, seen };
}

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("sharedTtlSeconds", () => {
  it("takes s-maxage, else max-age, of a public 200", () => {
    expect(sharedTtlSeconds(ok())).toBe(2);
    expect(sharedTtlSeconds(ok({ "cache-control": "public, max-age=5" }))).toBe(5);
    expect(sharedTtlSeconds(ok({ "Cache-Control": "x", "cache-control": 'public, s-maxage="7"' }))).toBe(7);
  });

  it("stores nothing private, no-store, no-cache, not public, zero, an error, a cookie or vary: *", () => {
    expect(sharedTtlSeconds(ok({ "cache-control": "private, max-age=1" }))).toBe(0);
    expect(sharedTtlSeconds(ok({ "cache-control": "public, no-store, s-maxage=2" }))).toBe(0);
    expect(sharedTtlSeconds(ok({ "cache-control": "public, no-cache, s-maxage=2" }))).toBe(0);
    expect(sharedTtlSeconds(ok({ "cache-control": "max-age=60, s-maxage=60" }))).toBe(0);
    expect(sharedTtlSeconds(ok({ "cache-control": "public, max-age=0, s-maxage=0" }))).toBe(0);
    expect(sharedTtlSeconds(ok({ "cache-control": "public, s-maxage=abc" }))).toBe(0);
    expect(sharedTtlSeconds({ ...ok(), status: 404 })).toBe(0);
    expect(sharedTtlSeconds({ ...ok(), status: 304 })).toBe(0);
    expect(sharedTtlSeconds(ok({ "set-cookie": ["a=1"] }))).toBe(0);
    expect(sharedTtlSeconds(ok({ vary: "*" }))).toBe(0);
    expect(sharedTtlSeconds({ status: 200, headers: {} })).toBe(0);
  });
});

describe("edgeKey", () => {
  it("is the method, the path and the query sorted by name, repeated values kept in order", () => {
    expect(edgeKey({ method: "get", path: "/p", query: "" })).toBe("GET /p");
    expect(edgeKey({ method: "GET", path: "/p", query: "b=2&a=1" })).toBe(edgeKey(get("/p", {}, "a=1&b=2")));
    expect(edgeKey({ method: "GET", path: "/p", query: "x=2&a=1&x=1" })).toBe("GET /p?a=1&x=2&x=1");
    expect(edgeKey({ method: "GET", path: "/p", query: "a=1" })).not.toBe(edgeKey(get("/p", {}, "a=2")));
  });
});

describe("EdgeCache", () => {
  it("stores a public 200 and serves it until s-maxage runs out, with age and x-cache", async () => {
    const time = clock();
    const edge = new EdgeCache({ now: time.now });
    const api = origin();
    const first = await edge.serve(get(), api.fn);
    expect(first.headers["x-cache"]).toBe(EDGE_MISS);
    expect(first.headers.age).toBeUndefined();
    time.advance(1_500);
    const second = await edge.serve(get(), api.fn);
    expect(second.status).toBe(200);
    expect(second.body.toString()).toBe('{"productId":"p1"}');
    expect(second.headers).toMatchObject({ "x-cache": EDGE_HIT, age: "1", etag: ETAG, "cache-control": PUBLIC });
    expect(api.seen).toHaveLength(1);
    time.advance(500);
    expect((await edge.serve(get(), api.fn)).headers["x-cache"]).toBe(EDGE_MISS);
    expect(api.seen).toHaveLength(2);
  });

  it("keys by the sorted query string, not by other headers", async () => {
    const edge = new EdgeCache();
    const api = origin();
    await edge.serve(get("/p", { accept: "a" }, "b=2&a=1"), api.fn);
    expect((await edge.serve(get("/p", { accept: "b" }, "a=1&b=2"), api.fn)).headers["x-cache"]).toBe(EDGE_HIT);
    expect((await edge.serve(get("/p", {}, "a=1"), api.fn)).headers["x-cache"]).toBe(EDGE_MISS);
    expect((await edge.serve(get("/q", {}, "a=1&b=2"), api.fn)).headers["x-cache"]).toBe(EDGE_MISS);
    expect(api.seen).toHaveLength(3);
  });

  it("sends every request with authorization to the origin, never stores its answer nor serves it a stored one", async () => {
    const edge = new EdgeCache();
    const api = origin(() => ok({ "cache-control": "private, max-age=1" }));
    const signedIn = get("/products/p1", { Authorization: "Bearer t" });
    await edge.serve(signedIn, api.fn);
    await edge.serve(signedIn, api.fn);
    expect(api.seen).toHaveLength(2);
    expect(edge.size).toBe(0);
    // Even a public answer to a signed-in caller is not stored, and an anonymous copy is not handed to one.
    const publicApi = origin();
    await edge.serve(signedIn, publicApi.fn);
    expect(edge.size).toBe(0);
    await edge.serve(get(), publicApi.fn);
    const answer = await edge.serve(signedIn, publicApi.fn);
    expect(answer.headers["x-cache"]).toBe(EDGE_MISS);
    expect(publicApi.seen).toHaveLength(3);
    expect(publicApi.seen[2]).toContain("Bearer t");
  });

  it("never stores an error, a private or no-store answer, or anything but a GET", async () => {
    for (const answer of [
      { status: 404, headers: { "cache-control": "no-store" }, body: Buffer.from("{}") },
      { status: 500, headers: { "cache-control": PUBLIC }, body: Buffer.from("{}") },
      ok({ "cache-control": "no-store" }),
      ok({ "cache-control": "private, max-age=9" }),
    ]) {
      const edge = new EdgeCache();
      const api = origin(() => answer);
      await edge.serve(get(), api.fn);
      const again = await edge.serve(get(), api.fn);
      expect(again.headers["x-cache"]).toBe(EDGE_MISS);
      expect(again.status).toBe(answer.status);
      expect(api.seen).toHaveLength(2);
    }
    const edge = new EdgeCache();
    const api = origin();
    await edge.serve({ ...get(), method: "POST" }, api.fn);
    await edge.serve({ ...get(), method: "POST" }, api.fn);
    expect(api.seen).toHaveLength(2);
    expect(edge.size).toBe(0);
  });

  it("answers 304 itself on a matching if-none-match (weak comparison), and asks the origin for the whole body", async () => {
    const edge = new EdgeCache();
    const api = origin();
    const miss = await edge.serve(get("/products/p1", { "If-None-Match": ETAG }), api.fn);
    expect(miss.status).toBe(304);
    expect(api.seen[0]).not.toContain("If-None-Match");
    const hit = await edge.serve(get("/products/p1", { "if-none-match": `W/"zz", W/${ETAG}` }), api.fn);
    expect(hit.status).toBe(304);
    expect(hit.body.length).toBe(0);
    expect(hit.headers).toMatchObject({
      etag: ETAG,
      "cache-control": PUBLIC,
      vary: "authorization",
      "x-cache": EDGE_HIT,
    });
    expect(hit.headers["content-type"]).toBeUndefined();
    const other = await edge.serve(get("/products/p1", { "if-none-match": '"other"' }), api.fn);
    expect(other.status).toBe(200);
    expect(api.seen).toHaveLength(1);
  });

  it("collapses concurrent misses for one key into one origin request", async () => {
    const edge = new EdgeCache();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const api = origin(async () => {
      await gate;
      return ok();
    });
    const burst = Array.from({ length: 100 }, () => edge.serve(get(), api.fn));
    const other = edge.serve(get("/products/p2"), api.fn);
    release();
    const answers = await Promise.all(burst);
    await other;
    expect(api.seen).toHaveLength(2);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.headers["x-cache"] === EDGE_MISS)).toHaveLength(1);
  });

  it("does not share an answer that may not be stored: each collapsed request then asks the origin", async () => {
    const edge = new EdgeCache();
    let calls = 0;
    const api = origin(async () => {
      const n = ++calls;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { status: 503, headers: { "cache-control": "no-store" }, body: Buffer.from(`{"n":${n}}`) };
    });
    const answers = await Promise.all(Array.from({ length: 5 }, () => edge.serve(get(), api.fn)));
    expect(api.seen).toHaveLength(5);
    expect(new Set(answers.map((a) => a.body.toString())).size).toBe(5);
    expect(edge.size).toBe(0);
  });

  it("honours vary: serves a stored answer only to a request with the same values of the headers it names", async () => {
    const edge = new EdgeCache();
    const api = origin(() => ok({ vary: "accept-language, authorization" }));
    await edge.serve(get("/p", { "accept-language": "fr" }), api.fn);
    expect((await edge.serve(get("/p", { "accept-language": "fr" }), api.fn)).headers["x-cache"]).toBe(EDGE_HIT);
    expect((await edge.serve(get("/p", { "accept-language": "de" }), api.fn)).headers["x-cache"]).toBe(EDGE_MISS);
    expect(api.seen).toHaveLength(2);
  });

  it("keeps at most maxEntries, dropping the least recently used", async () => {
    const edge = new EdgeCache({ maxEntries: 2 });
    const api = origin();
    await edge.serve(get("/a"), api.fn);
    await edge.serve(get("/b"), api.fn);
    await edge.serve(get("/a"), api.fn);
    await edge.serve(get("/c"), api.fn);
    expect(edge.size).toBe(2);
    expect((await edge.serve(get("/a"), api.fn)).headers["x-cache"]).toBe(EDGE_HIT);
    expect((await edge.serve(get("/b"), api.fn)).headers["x-cache"]).toBe(EDGE_MISS);
    expect(() => new EdgeCache({ maxEntries: 0 })).toThrow(TypeError);
  });

  it("lets a failed origin request fail only its own viewer, and collapsed ones retry", async () => {
    const edge = new EdgeCache();
    let first = true;
    const api = origin(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (first) {
        first = false;
        throw new Error("origin down");
      }
      return ok();
    });
    const [leader, follower] = await Promise.allSettled([edge.serve(get(), api.fn), edge.serve(get(), api.fn)]);
    expect(leader.status).toBe("rejected");
    expect(follower).toMatchObject({ status: "fulfilled", value: { status: 200 } });
  });
});
