import { Validator } from "@seriousme/openapi-schema-validator";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openApiDocument } from "../../local/devtools/openapi.js";
import {
  conditionalGet,
  httpHandler,
  ifNoneMatchMatches,
  notFound,
  routeHandler,
  strongEtag,
} from "../../shared/http/index.js";
import { logger } from "../../shared/logging/index.js";
import { buildTopology, defineRoute, defineService } from "../../shared/topology/index.js";
import { apiEvent, lambdaContext } from "../support/apiEvents.js";
import { getProductRoute } from "../support/productRoute.js";

const getProduct = routeHandler(getProductRoute, {
  handler: ({ path }) => {
    if (path.productId === "missing") throw notFound(`product ${path.productId} does not exist`);
    return { productId: path.productId, name: "Rope", priceCents: 100 };
  },
});

const PUBLIC = "public, max-age=60, s-maxage=300";
const BODY = JSON.stringify({ productId: "p1", name: "Rope", priceCents: 100 });

function get(headers: Record<string, string> = {}, productId = "p1", requestId = "r-1"): APIGatewayProxyEvent {
  return apiEvent({
    httpMethod: "GET",
    path: `/products/${productId}`,
    headers: { "x-request-id": requestId, ...headers },
    pathParameters: { productId },
  });
}

async function call(handler: typeof getProduct, event: APIGatewayProxyEvent) {
  const result = await handler(event, lambdaContext());
  return { ...result, headers: (result.headers ?? {}) as Record<string, string> };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("If-None-Match (RFC 9110 §13.1.2, weak comparison)", () => {
  it("matches an exact tag, any tag of a list, and * ", () => {
    expect(ifNoneMatchMatches('"a"', '"a"')).toBe(true);
    expect(ifNoneMatchMatches('"x", "a"', '"a"')).toBe(true);
    expect(ifNoneMatchMatches('"x","y" ,  "a"', '"a"')).toBe(true);
    expect(ifNoneMatchMatches("*", '"a"')).toBe(true);
    expect(ifNoneMatchMatches("  * ", '"a"')).toBe(true);
  });

  it("compares weakly: W/ on either side still matches", () => {
    expect(ifNoneMatchMatches('W/"a"', '"a"')).toBe(true);
    expect(ifNoneMatchMatches('"x", W/"a"', '"a"')).toBe(true);
    expect(ifNoneMatchMatches('"a"', 'W/"a"')).toBe(true);
    expect(ifNoneMatchMatches('W/"a"', 'W/"a"')).toBe(true);
  });

  it("does not match other tags, unquoted tags, an absent or empty header", () => {
    expect(ifNoneMatchMatches('"b"', '"a"')).toBe(false);
    expect(ifNoneMatchMatches('"ab"', '"a"')).toBe(false);
    expect(ifNoneMatchMatches("a", '"a"')).toBe(false);
    expect(ifNoneMatchMatches("", '"a"')).toBe(false);
    expect(ifNoneMatchMatches(undefined, '"a"')).toBe(false);
    expect(ifNoneMatchMatches('"*"', '"a"')).toBe(false);
  });

  it("does not split a tag on a comma inside its quotes", () => {
    expect(ifNoneMatchMatches('"a,b"', '"a,b"')).toBe(true);
    expect(ifNoneMatchMatches('"a,b"', '"a"')).toBe(false);
  });
});

describe("strongEtag", () => {
  it("is a quoted digest of the exact bytes: the same for byte-identical bodies only", () => {
    const etag = strongEtag(BODY);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(strongEtag(BODY)).toBe(etag);
    expect(strongEtag(JSON.stringify({ name: "Rope", productId: "p1", priceCents: 100 }))).not.toBe(etag);
    expect(strongEtag(Buffer.from(BODY).toString("base64"), true)).toBe(etag);
  });
});

describe("conditionalGet on a cached GET route", () => {
  it("gives a 200 a strong etag of the body and public cache-control for the CDN", async () => {
    const result = await call(getProduct, get());
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe(BODY);
    expect(result.headers.etag).toBe(strongEtag(BODY));
    expect(result.headers["cache-control"]).toBe(PUBLIC);
    expect(result.headers.vary).toBe("authorization");
    expect(result.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(result.headers["x-request-id"]).toBe("r-1");
  });

  it("leaves the per-request headers out of the etag", async () => {
    const first = await call(getProduct, get({}, "p1", "r-1"));
    const second = await call(
      getProduct,
      get({ "x-amzn-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793" }, "p1", "r-2"),
    );
    expect(first.headers["x-request-id"]).not.toBe(second.headers["x-request-id"]);
    expect(second.headers.etag).toBe(first.headers.etag);
  });

  it("answers 304 with no body to a matching if-none-match, keeping etag, cache-control and vary", async () => {
    const { headers } = await call(getProduct, get());
    const result = await call(getProduct, get({ "If-None-Match": headers.etag ?? "" }, "p1", "r-2"));
    expect(result.statusCode).toBe(304);
    expect(result.body).toBe("");
    expect(result.headers.etag).toBe(headers.etag);
    expect(result.headers["cache-control"]).toBe(PUBLIC);
    expect(result.headers.vary).toBe("authorization");
    expect(result.headers["content-type"]).toBeUndefined();
    expect(result.headers["x-request-id"]).toBe("r-2");
    expect(result.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("answers 304 to a list holding the tag, to its weak form, and to *", async () => {
    const etag = strongEtag(BODY);
    for (const ifNoneMatch of [`"old", ${etag}`, `W/${etag}`, "*"]) {
      expect((await call(getProduct, get({ "if-none-match": ifNoneMatch }))).statusCode, ifNoneMatch).toBe(304);
    }
  });

  it("answers 200 with the body when no tag matches", async () => {
    const result = await call(getProduct, get({ "if-none-match": '"stale", W/"older"' }));
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe(BODY);
  });

  it("never lets a shared cache keep an authorized answer: private, no s-maxage; 304 still works", async () => {
    const authorization = "Bearer token";
    const result = await call(getProduct, get({ authorization }));
    expect(result.statusCode).toBe(200);
    expect(result.headers["cache-control"]).toBe("private, max-age=60");
    expect(result.headers.vary).toBe("authorization");
    const revalidated = await call(
      getProduct,
      get({ Authorization: authorization, "if-none-match": result.headers.etag ?? "" }),
    );
    expect(revalidated.statusCode).toBe(304);
    expect(revalidated.headers["cache-control"]).toBe("private, max-age=60");
  });

  it("answers an error no-store, without an etag, whatever the handler set", async () => {
    vi.spyOn(logger, "error").mockImplementation(() => {});
    const missing = await call(getProduct, get({ "if-none-match": "*" }, "missing"));
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["cache-control"]).toBe("no-store");
    expect(missing.headers.etag).toBeUndefined();

    const shaped = httpHandler({
      cache: { maxAgeSeconds: 60, sMaxAgeSeconds: 300 },
      handler: () => ({ status: 410, body: { gone: true }, headers: { "cache-control": "public, max-age=600" } }),
    });
    const gone = await call(shaped, get());
    expect(gone.statusCode).toBe(410);
    expect(gone.headers["cache-control"]).toBe("no-store");
    expect(gone.headers.etag).toBeUndefined();

    const faulty = httpHandler({
      cache: { maxAgeSeconds: 60, sMaxAgeSeconds: 300 },
      handler: () => {
        throw new Error("boom");
      },
    });
    const fault = await call(faulty, get());
    expect(fault.statusCode).toBe(500);
    expect(fault.headers["cache-control"]).toBe("no-store");
  });

  it("keeps a handler's own etag and merges its vary", async () => {
    const versioned = httpHandler({
      cache: { maxAgeSeconds: 5, sMaxAgeSeconds: 10 },
      handler: () => ({ body: { v: 3 }, headers: { ETag: '"v3"', Vary: "Accept-Language" } }),
    });
    const result = await call(versioned, get());
    expect(result.headers.etag).toBe('"v3"');
    expect(result.headers.vary).toBe("Accept-Language, authorization");
    expect((await call(versioned, get({ "if-none-match": 'W/"v3"' }))).statusCode).toBe(304);
  });

  it("leaves other methods and 2xx statuses other than 200 as they were", async () => {
    const cached = httpHandler({
      cache: { maxAgeSeconds: 60, sMaxAgeSeconds: 300 },
      handler: ({ method }) => (method === "GET" ? { status: 202, body: { queued: true } } : { ok: true }),
    });
    const post = await call(cached, apiEvent({ httpMethod: "POST", headers: { "if-none-match": "*" } }));
    expect(post.statusCode).toBe(200);
    expect(post.headers["cache-control"]).toBe("no-store");
    expect(post.headers.etag).toBeUndefined();
    const accepted = await call(cached, get({ "if-none-match": "*" }));
    expect(accepted.statusCode).toBe(202);
    expect(accepted.headers["cache-control"]).toBe("no-store");
    expect(accepted.headers.etag).toBeUndefined();
  });

  it("leaves a GET without cache as today: no-store, no etag, no 304", async () => {
    const plain = httpHandler({ handler: () => ({ productId: "p1", name: "Rope" }) });
    const result = await call(plain, get({ "if-none-match": "*" }));
    expect(result.statusCode).toBe(200);
    expect(result.headers["cache-control"]).toBe("no-store");
    expect(result.headers.etag).toBeUndefined();
    expect(result.headers.vary).toBeUndefined();
  });
});

describe("cache options are checked once, at creation", () => {
  it("refuses bad ages", () => {
    expect(() => conditionalGet({ maxAgeSeconds: -1, sMaxAgeSeconds: 0 })).toThrow(/maxAgeSeconds/);
    expect(() => conditionalGet({ maxAgeSeconds: 1, sMaxAgeSeconds: 1.5 })).toThrow(/sMaxAgeSeconds/);
    expect(() => conditionalGet({ maxAgeSeconds: 1 } as never)).toThrow(/sMaxAgeSeconds/);
    expect(() => conditionalGet(undefined as never)).toThrow(/options/);
    expect(conditionalGet({ maxAgeSeconds: 0, sMaxAgeSeconds: 0 }).after).toBeTypeOf("function");
  });

  it("refuses caching on a route that requires auth, or on a method other than GET", () => {
    const cache = { maxAgeSeconds: 1, sMaxAgeSeconds: 1 };
    expect(() => httpHandler({ cache, auth: "required", handler: () => ({}) })).toThrow(/public GETs/);
    const post = defineRoute({ ...getProductRoute, method: "POST", schemas: {} });
    expect(() => routeHandler(post, { handler: () => ({}) })).toThrow(/cache is for GETs/);
  });
});

describe("the OpenAPI document of a cached route", () => {
  const service = defineService({
    name: "products",
    basePath: "/products",
    tables: {},
    routes: [getProductRoute],
    publishes: [],
    consumers: [],
  });
  const doc = openApiDocument(buildTopology([service]), "products");
  const operation = doc?.paths["/{productId}"]?.get;

  it("shows etag, cache-control and vary on the 200, a 304 and the if-none-match header", () => {
    expect(operation?.responses["200"]).toMatchObject({
      headers: {
        etag: { $ref: "#/components/headers/ETag" },
        "cache-control": { $ref: "#/components/headers/CacheControl" },
        vary: { $ref: "#/components/headers/Vary" },
      },
    });
    expect(operation?.responses["304"]).toMatchObject({ headers: { etag: { $ref: "#/components/headers/ETag" } } });
    expect(operation?.parameters).toContainEqual(expect.objectContaining({ name: "if-none-match", in: "header" }));
    expect(Object.keys(doc?.components.headers ?? {})).toEqual(
      expect.arrayContaining(["ETag", "CacheControl", "Vary"]),
    );
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    expect(await new Validator().validate(JSON.parse(JSON.stringify(doc)) as Record<string, unknown>)).toEqual({
      valid: true,
    });
  });
});
