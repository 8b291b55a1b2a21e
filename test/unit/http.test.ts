import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import { currentCorrelationId } from "../../shared/context/index.js";
import {
  badRequest,
  HttpProblem,
  httpHandler,
  methodNotAllowed,
  notFound,
  PROBLEM_KINDS,
  type ProblemDetails,
} from "../../shared/http/index.js";
import { logger } from "../../shared/logging/index.js";
import { apiEvent, lambdaContext } from "../support/apiEvents.js";

const forumBody = v.object({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(80)),
  description: v.optional(v.pipe(v.string(), v.maxLength(500))),
  tags: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
});
const listQuery = v.object({
  limit: v.optional(v.pipe(v.string(), v.toNumber(), v.integer(), v.minValue(1), v.maxValue(100)), "20"),
  cursor: v.optional(v.string()),
});
const forumPath = v.object({ forumId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/)) });

const seen: unknown[] = [];
const createForum = httpHandler({
  body: forumBody,
  successStatus: 201,
  handler: async (request) => {
    seen.push(request);
    return { forumId: "f1", name: request.body.name };
  },
});

async function call(
  handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>,
  event: APIGatewayProxyEvent,
) {
  const result = await handler(event, lambdaContext());
  const contentType = String(result.headers?.["content-type"] ?? "");
  const json: unknown = result.body && contentType.includes("json") ? JSON.parse(result.body) : undefined;
  return { ...result, headers: result.headers ?? {}, json };
}

function expectCommonHeaders(headers: Record<string, unknown>): void {
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["strict-transport-security"]).toMatch(/^max-age=\d+/);
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  expect(headers["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'");
  expect(headers["x-request-id"]).toEqual(expect.any(String));
  expect(headers["x-amzn-trace-id"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}/);
}

function expectProblem(result: Awaited<ReturnType<typeof call>>, status: number): ProblemDetails {
  expect(result.statusCode).toBe(status);
  expect(result.headers["content-type"]).toBe("application/problem+json");
  expectCommonHeaders(result.headers);
  const problem = result.json as ProblemDetails;
  expect(problem).toMatchObject({ status, type: expect.stringMatching(/^https:\/\/summit\.dev\/problems\//) });
  expect(typeof problem.title).toBe("string");
  expect(typeof problem.detail).toBe("string");
  return problem;
}

// Faults are logged on purpose here; keep the test output readable.
let loggedError: MockInstance<typeof logger.error>;
beforeEach(() => {
  loggedError = vi.spyOn(logger, "error").mockImplementation(() => {});
});

afterEach(() => {
  seen.length = 0;
  vi.restoreAllMocks();
  delete process.env._X_AMZN_TRACE_ID;
});

describe("success responses", () => {
  it("answers JSON with the success status and every common header", async () => {
    const result = await call(createForum, apiEvent({ body: JSON.stringify({ name: "Climbing" }) }));
    expect(result.statusCode).toBe(201);
    expect(result.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(result.headers["cache-control"]).toBe("no-store");
    expectCommonHeaders(result.headers);
    expect(result.json).toEqual({ forumId: "f1", name: "Climbing" });
  });

  it("takes a shaped response, keeps the handler's cache-control and lower-cases its headers", async () => {
    const handler = httpHandler({
      handler: () => ({
        status: 202,
        body: { queued: true },
        headers: { "Cache-Control": "public, max-age=60", ETag: '"1"' },
      }),
    });
    const result = await call(handler, apiEvent({ httpMethod: "GET" }));
    expect(result.statusCode).toBe(202);
    expect(result.headers["cache-control"]).toBe("public, max-age=60");
    expect(result.headers.etag).toBe('"1"');
    expect(result.json).toEqual({ queued: true });
  });

  it("sends a domain object with a `status` field as the body, not as a response shape", async () => {
    const media = { mediaId: "m1", status: "pending" };
    const result = await call(httpHandler({ handler: () => media }), apiEvent({ httpMethod: "GET" }));
    expect(result.statusCode).toBe(200);
    expect(result.json).toEqual(media);
  });

  it("answers 204 with no body when the handler returns nothing", async () => {
    const result = await call(httpHandler({ handler: async () => {} }), apiEvent({ httpMethod: "DELETE" }));
    expect(result.statusCode).toBe(204);
    expect(result.body).toBe("");
    expect(result.headers["content-type"]).toBeUndefined();
    expectCommonHeaders(result.headers);
  });
});

describe("body limit", () => {
  // A JSON body of exactly `bytes` UTF-8 bytes: {"name":"x","description":"…"} padded with a multi-byte character.
  function bodyOfBytes(bytes: number): string {
    const frame = JSON.stringify({ name: "x", description: "" });
    const room = bytes - Buffer.byteLength(frame);
    const padding = "é".repeat(Math.floor(room / 2)) + "a".repeat(room % 2);
    const body = JSON.stringify({ name: "x", description: padding });
    expect(Buffer.byteLength(body)).toBe(bytes);
    return body;
  }
  const lenient = httpHandler({
    body: v.object({ name: v.string(), description: v.string() }),
    handler: () => ({ ok: true }),
  });

  it("accepts exactly 64 KiB", async () => {
    const result = await call(lenient, apiEvent({ body: bodyOfBytes(65_536) }));
    expect(result.statusCode).toBe(200);
  });

  it("refuses one byte more with 413, counting UTF-8 bytes not characters", async () => {
    const body = bodyOfBytes(65_537);
    expect(body.length).toBeLessThan(65_536);
    expectProblem(await call(lenient, apiEvent({ body })), 413);
  });

  it("counts the decoded bytes of a base64 body", async () => {
    const atLimit = Buffer.from(bodyOfBytes(65_536)).toString("base64");
    const overLimit = Buffer.from(bodyOfBytes(65_537)).toString("base64");
    expect((await call(lenient, apiEvent({ body: atLimit, isBase64Encoded: true }))).statusCode).toBe(200);
    expectProblem(await call(lenient, apiEvent({ body: overLimit, isBase64Encoded: true })), 413);
  });

  it("applies to routes without a body schema too", async () => {
    const handler = httpHandler({ handler: () => ({ ok: true }) });
    expectProblem(await call(handler, apiEvent({ body: "a".repeat(65_537) })), 413);
  });
});

describe("JSON parsing", () => {
  it("refuses a non-JSON content type with 415", async () => {
    const event = apiEvent({ headers: { "content-type": "text/plain" }, body: JSON.stringify({ name: "x" }) });
    expectProblem(await call(createForum, event), 415);
  });

  it("refuses JSON in another charset with 415", async () => {
    const event = apiEvent({ headers: { "content-type": "application/json; charset=latin1" }, body: '{"name":"x"}' });
    expectProblem(await call(createForum, event), 415);
  });

  it("accepts +json types and explicit utf-8", async () => {
    for (const type of [
      "application/merge-patch+json",
      "Application/JSON; Charset=UTF-8",
      'application/json;charset="utf-8"',
    ]) {
      const result = await call(createForum, apiEvent({ headers: { "content-type": type }, body: '{"name":"x"}' }));
      expect(result.statusCode, type).toBe(201);
    }
  });

  it("answers 400 for malformed JSON", async () => {
    const problem = expectProblem(await call(createForum, apiEvent({ body: '{"name": "x",' })), 400);
    expect(problem.type).toBe(PROBLEM_KINDS["malformed-json"].type);
  });

  it("answers 400 for a missing body where the route takes one", async () => {
    expectProblem(await call(createForum, apiEvent({ body: null })), 400);
    expectProblem(await call(createForum, apiEvent({ body: "" })), 400);
  });

  it("answers 400 for JSON nested too deeply, before any recursive code sees it", async () => {
    const body = `{"name":"x","tags":${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
    expectProblem(await call(createForum, apiEvent({ body })), 400);
  });

  it("parses a base64 body and refuses one that is not UTF-8", async () => {
    const good = Buffer.from('{"name":"Ünïcode"}').toString("base64");
    expect((await call(createForum, apiEvent({ body: good, isBase64Encoded: true }))).json).toEqual({
      forumId: "f1",
      name: "Ünïcode",
    });
    const bad = Buffer.from([0x7b, 0x22, 0x6e, 0xff, 0xfe, 0x22, 0x7d]).toString("base64");
    expectProblem(await call(createForum, apiEvent({ body: bad, isBase64Encoded: true })), 400);
  });

  it("ignores a leading byte order mark", async () => {
    expect((await call(createForum, apiEvent({ body: '\ufeff{"name":"x"}' }))).statusCode).toBe(201);
  });

  it("reads header names case-insensitively", async () => {
    const event = apiEvent({
      headers: { "Content-Type": "text/html", "X-Request-Id": "client-req-7" },
      body: '{"name":"x"}',
    });
    const result = await call(createForum, event);
    expectProblem(result, 415);
    expect(result.headers["x-request-id"]).toBe("client-req-7");
  });

  it("keeps __proto__ keys as plain data", async () => {
    const handler = httpHandler({
      body: v.record(v.string(), v.unknown()),
      handler: ({ body }) => ({ keys: Object.keys(body), polluted: ({} as Record<string, unknown>).polluted ?? null }),
    });
    const result = await call(
      handler,
      apiEvent({ body: '{"__proto__":{"polluted":true},"constructor":{"prototype":1}}' }),
    );
    expect(result.statusCode).toBe(200);
    expect(result.json).toMatchObject({ polluted: null });
  });
});

describe("validation", () => {
  const updateThread = httpHandler({
    body: forumBody,
    query: listQuery,
    path: forumPath,
    handler: (request) => ({ body: request.body, query: request.query, path: request.path }),
  });

  it("lists every violated field of body, query and path in one 400", async () => {
    const event = apiEvent({
      body: JSON.stringify({ name: "", description: 5, tags: ["ok", ""] }),
      queryStringParameters: { limit: "500" },
      pathParameters: { forumId: "not valid!" },
    });
    const problem = expectProblem(await call(updateThread, event), 400);
    expect(problem.type).toBe(PROBLEM_KINDS.validation.type);
    const paths = problem.errors?.map((error) => error.path);
    expect(paths).toEqual(
      expect.arrayContaining(["body.name", "body.description", "body.tags.1", "query.limit", "path.forumId"]),
    );
    for (const error of problem.errors ?? []) expect(error.message).toEqual(expect.any(String));
  });

  it("reports missing required fields and a body of the wrong shape", async () => {
    const missing = expectProblem(await call(createForum, apiEvent({ body: "{}" })), 400);
    expect(missing.errors).toEqual([{ path: "body.name", message: expect.any(String) }]);
    const scalar = expectProblem(await call(createForum, apiEvent({ body: "5" })), 400);
    expect(scalar.errors).toEqual([{ path: "body", message: expect.any(String) }]);
  });

  it("refuses a JSON array where the body schema wants an object, strict or not (valibot takes arrays as objects)", async () => {
    const patch = httpHandler({
      body: v.strictObject({ name: v.optional(v.string()) }),
      handler: () => {
        throw new Error("the handler must not run");
      },
    });
    for (const [handler, body] of [
      [patch, "[]"],
      [patch, '["x"]'],
      [createForum, '[{"name":"x"}]'],
    ] as const) {
      const problem = expectProblem(await call(handler, apiEvent({ body })), 400);
      expect(problem.type).toBe(PROBLEM_KINDS.validation.type);
      expect(problem.errors).toEqual([{ path: "body", message: "must be a JSON object, not an array" }]);
    }
    expect(seen).toEqual([]);
  });

  it("hands the handler the schemas' outputs", async () => {
    const event = apiEvent({
      body: JSON.stringify({ name: "Bouldering", extra: "dropped" }),
      queryStringParameters: { limit: "7" },
      pathParameters: { forumId: "f_1" },
    });
    const result = await call(updateThread, event);
    expect(result.json).toEqual({ body: { name: "Bouldering" }, query: { limit: 7 }, path: { forumId: "f_1" } });
  });

  it("applies query defaults and passes unschema'd parts through", async () => {
    const list = httpHandler({
      query: listQuery,
      handler: (request) => ({ query: request.query, path: request.path }),
    });
    const result = await call(list, apiEvent({ httpMethod: "GET", pathParameters: { forumId: "f9" } }));
    expect(result.json).toEqual({ query: { limit: 20 }, path: { forumId: "f9" } });
  });
});

describe("auth", () => {
  it("gives the handler the caller from the authorizer claims", async () => {
    const whoAmI = httpHandler({ handler: (request) => ({ auth: request.auth ?? null }) });
    const claims = { sub: "user-1", username: "ana", token_use: "access", exp: 1_900_000_000 };
    const result = await call(whoAmI, apiEvent({ httpMethod: "GET", claims }));
    expect(result.json).toEqual({
      auth: { userId: "user-1", claims: { sub: "user-1", username: "ana", token_use: "access", exp: "1900000000" } },
    });
    expect((await call(whoAmI, apiEvent({ httpMethod: "GET" }))).json).toEqual({ auth: null });
  });

  it("answers 401 with www-authenticate on a route that requires a caller and has none", async () => {
    const me = httpHandler({ auth: "required", handler: ({ auth }) => ({ userId: auth.userId }) });
    const result = await call(me, apiEvent({ httpMethod: "GET" }));
    expectProblem(result, 401);
    expect(result.headers["www-authenticate"]).toBe("Bearer");
    expect((await call(me, apiEvent({ httpMethod: "GET", claims: { sub: "u2" } }))).json).toEqual({ userId: "u2" });
  });
});

describe("errors", () => {
  it("answers a thrown plain Error with a generic 500, logged with the trace id, leaking nothing", async () => {
    process.env._X_AMZN_TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    const failing = httpHandler({
      handler: () => {
        throw new Error("connect ECONNREFUSED 10.0.0.12:5432 (secret table users-prod)");
      },
    });
    const result = await call(failing, apiEvent({ httpMethod: "GET" }));
    const problem = expectProblem(result, 500);
    expect(problem.type).toBe(PROBLEM_KINDS.internal.type);
    expect(result.body).not.toMatch(/ECONNREFUSED|secret|users-prod|at .*\.ts|stack/i);
    expect(result.headers["x-amzn-trace-id"]).toBe("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");
    expect(loggedError).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({ error: expect.any(Error), trace_id: expect.stringContaining("1-5759e988") }),
    );
  });

  it("answers a thrown non-Error value with the same 500", async () => {
    const failing = httpHandler({
      handler: () => {
        throw "a string";
      },
    });
    const result = await call(failing, apiEvent({ httpMethod: "GET" }));
    expectProblem(result, 500);
    expect(result.body).not.toContain("a string");
  });

  it("answers an unserializable result with a 500, not a crash", async () => {
    const result = await call(httpHandler({ handler: () => ({ big: 1n }) }), apiEvent({ httpMethod: "GET" }));
    expectProblem(result, 500);
  });

  it("answers problems thrown by handlers with their status, detail and headers", async () => {
    const cases: [HttpProblem, number][] = [
      [notFound("forum f9 does not exist"), 404],
      [methodNotAllowed(["get", "patch"]), 405],
      [badRequest("cursor is not valid"), 400],
      [new HttpProblem("conflict", "email is already registered"), 409],
    ];
    for (const [thrown, status] of cases) {
      const result = await call(
        httpHandler({
          handler: () => {
            throw thrown;
          },
        }),
        apiEvent({ httpMethod: "GET" }),
      );
      const problem = expectProblem(result, status);
      expect(problem.detail).toBe(thrown.detail);
      if (status === 405) expect(result.headers.allow).toBe("GET, PATCH");
    }
  });
});

describe("request ids, correlation and tracing", () => {
  it("echoes a sane client request id and replaces an unsafe one", async () => {
    const handler = httpHandler({ handler: (request) => ({ requestId: request.requestId }) });
    const sane = await call(handler, apiEvent({ headers: { "x-request-id": "abc-123_XYZ.9" }, httpMethod: "GET" }));
    expect(sane.headers["x-request-id"]).toBe("abc-123_XYZ.9");
    for (const unsafe of ["has space", "x".repeat(129), "line\r\nbreak", ""]) {
      const result = await call(handler, apiEvent({ headers: { "x-request-id": unsafe }, httpMethod: "GET" }));
      expect(result.headers["x-request-id"]).toBe("gw-request-1");
    }
    const noGateway = apiEvent({ httpMethod: "GET", requestContext: {} as APIGatewayProxyEvent["requestContext"] });
    expect((await call(handler, noGateway)).headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("uses a valid x-correlation-id, else the request id, in the invocation context and the logger", async () => {
    const handler = httpHandler({
      handler: (request) => ({
        correlationId: request.correlationId,
        inContext: currentCorrelationId() ?? null,
        inLogger: logger.getCorrelationId() ?? null,
      }),
    });
    const given = await call(handler, apiEvent({ httpMethod: "GET", headers: { "X-Correlation-Id": "order-77" } }));
    expect(given.json).toEqual({ correlationId: "order-77", inContext: "order-77", inLogger: "order-77" });
    const fallback = await call(handler, apiEvent({ httpMethod: "GET", headers: { "x-correlation-id": "bad id" } }));
    expect(fallback.json).toEqual({
      correlationId: "gw-request-1",
      inContext: "gw-request-1",
      inLogger: "gw-request-1",
    });
  });

  it("names the trace: the invocation's, else the incoming header's, else a new one", async () => {
    const handler = httpHandler({ handler: () => ({}) });
    const incoming = "Root=1-65f0a0b1-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=0";
    const fromHeader = await call(handler, apiEvent({ httpMethod: "GET", headers: { "X-Amzn-Trace-Id": incoming } }));
    expect(fromHeader.headers["x-amzn-trace-id"]).toBe("Root=1-65f0a0b1-0123456789abcdef01234567;Sampled=0");
    process.env._X_AMZN_TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
    const fromEnv = await call(handler, apiEvent({ httpMethod: "GET", headers: { "x-amzn-trace-id": incoming } }));
    expect(fromEnv.headers["x-amzn-trace-id"]).toBe("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");
    delete process.env._X_AMZN_TRACE_ID;
    const fresh = await call(handler, apiEvent({ httpMethod: "GET", headers: { "x-amzn-trace-id": "garbage" } }));
    expect(fresh.headers["x-amzn-trace-id"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  it("does not touch the caller's event", async () => {
    const event = apiEvent({ body: '{"name":"x"}' });
    const before = JSON.stringify(event);
    await call(createForum, event);
    expect(JSON.stringify(event)).toBe(before);
    expect(Object.hasOwn(event, "exchange")).toBe(false);
  });
});

describe("options are checked once, at creation", () => {
  it("refuses bad options", () => {
    expect(() => httpHandler({ successStatus: 404, handler: () => ({}) })).toThrow(TypeError);
    expect(() => httpHandler({ body: {} as v.GenericSchema, handler: () => ({}) })).toThrow(TypeError);
    expect(() => httpHandler({ idempotency: { table: "" }, handler: () => ({}) })).toThrow(TypeError);
  });
});
