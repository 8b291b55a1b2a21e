import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import fc from "fast-check";
import * as v from "valibot";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { linkEnv, resetResourceCache } from "../../shared/config.js";
import { httpHandler } from "../../shared/http/index.js";
import { logger } from "../../shared/logging/index.js";

// Whatever arrives, the answer is never a fault: these routes have no bug to find, only input to refuse.
const acceptingClient = { send: async () => ({}) } as unknown as DynamoDBDocumentClient;

const routes = {
  create: httpHandler({
    body: v.object({
      name: v.pipe(v.string(), v.minLength(1), v.maxLength(80)),
      tags: v.optional(v.array(v.string())),
      meta: v.optional(v.record(v.string(), v.unknown())),
    }),
    query: v.object({ limit: v.optional(v.pipe(v.string(), v.toNumber(), v.integer(), v.minValue(1))) }),
    path: v.object({ forumId: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/))) }),
    successStatus: 201,
    idempotency: { table: "FuzzTable", client: acceptingClient },
    handler: ({ body }) => ({ name: body.name, tags: body.tags ?? [] }),
  }),
  read: httpHandler({
    handler: (request) => ({ query: request.query, path: request.path, auth: request.auth ?? null }),
  }),
  owner: httpHandler({ auth: "required", handler: ({ auth }) => ({ userId: auth.userId }) }),
};

const context = { awsRequestId: "fuzz", getRemainingTimeInMillis: () => 5_000 } as Context;

const protoKeys = fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf");
const key = fc.oneof(fc.string({ maxLength: 12 }), protoKeys);
const params = fc.option(fc.dictionary(key, fc.string({ maxLength: 40 }), { maxKeys: 6 }), { nil: null });

const deepJson = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom("[", '{"a":'))
  .map(
    ([depth, open]) => `{"name":"x","meta":{"m":${open.repeat(depth)}1${(open === "[" ? "]" : "}").repeat(depth)}}}`,
  );
const hugeJson = fc.integer({ min: 65_000, max: 70_000 }).map((n) => `{"name":"${"a".repeat(n)}"}`);
const pollutingJson = fc
  .tuple(protoKeys, fc.jsonValue({ maxDepth: 3 }))
  .map(([name, value]) => `{"name":"x","${name}":${JSON.stringify(value)},"meta":{"${name}":{"polluted":true}}}`);
const textBody = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify({ name: "ok", meta: { value } })),
  deepJson,
  hugeJson,
  pollutingJson,
);
const body = fc.oneof(
  fc.record({ body: fc.option(textBody, { nil: null }), isBase64Encoded: fc.constant(false) }),
  // Bytes API Gateway base64-encoded: arbitrary, so often not UTF-8 at all.
  fc.record({
    body: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString("base64")),
    isBase64Encoded: fc.constant(true),
  }),
  fc.record({
    body: textBody.map((text) => Buffer.from(text).toString("base64")),
    isBase64Encoded: fc.constant(true),
  }),
  // Not base64 at all though flagged so.
  fc.record({ body: fc.string({ maxLength: 100 }), isBase64Encoded: fc.constant(true) }),
);

const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      "application/merge-patch+json",
      "application/json; charset=latin1",
      "text/plain",
      "multipart/form-data; boundary=x",
      ";;;",
      "",
    ),
    fc.string({ maxLength: 60 }),
  ),
  { nil: undefined },
);

const headerName = fc.oneof(
  fc.constantFrom(
    "Content-Type",
    "X-Request-Id",
    "x-correlation-id",
    "X-Amzn-Trace-Id",
    "Idempotency-Key",
    "Authorization",
  ),
  key,
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 140 }),
  fc.uuid(),
  fc.constantFrom("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", "Root=bad", "a\r\nb", "x".repeat(200)),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 8 });

const claims = fc.option(
  fc.oneof(
    fc.dictionary(key, fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 4 }),
    fc.record({ sub: fc.string({ maxLength: 40 }) }),
  ),
  { nil: undefined },
);

const event = fc
  .record({
    route: fc.constantFrom("create", "read", "owner") as fc.Arbitrary<keyof typeof routes>,
    httpMethod: fc.oneof(fc.constantFrom("GET", "POST", "PATCH", "DELETE", "post"), fc.string({ maxLength: 8 })),
    path: fc.oneof(fc.constant("/forums"), fc.string({ maxLength: 60 })),
    body,
    contentType,
    headers,
    query: params,
    pathParameters: params,
    claims,
  })
  .map(({ route, body: { body, isBase64Encoded }, contentType, headers, query, pathParameters, claims, ...rest }) => {
    const allHeaders: Record<string, string> = { ...headers };
    if (contentType !== undefined) allHeaders[Math.random() < 0.5 ? "content-type" : "Content-Type"] = contentType;
    const apiEvent: APIGatewayProxyEvent = {
      ...rest,
      resource: rest.path,
      body,
      isBase64Encoded,
      headers: allHeaders,
      multiValueHeaders: Object.fromEntries(Object.entries(allHeaders).map(([name, value]) => [name, [value]])),
      queryStringParameters: query,
      multiValueQueryStringParameters: null,
      pathParameters,
      stageVariables: null,
      requestContext: {
        requestId: "gw-fuzz",
        ...(claims !== undefined ? { authorizer: { claims } } : {}),
      } as APIGatewayProxyEvent["requestContext"],
    };
    return { route, apiEvent };
  });

function checkAnswer(result: APIGatewayProxyResult): void {
  expect(result.statusCode).toBeLessThan(500);
  const headers = result.headers ?? {};
  expect(String(headers["x-request-id"])).toMatch(/^[A-Za-z0-9._~:+=/-]{1,128}$/);
  expect(String(headers["x-amzn-trace-id"])).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}/);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  if (result.statusCode >= 400) {
    expect(headers["content-type"]).toBe("application/problem+json");
    const problem = JSON.parse(result.body) as Record<string, unknown>;
    expect(problem.status).toBe(result.statusCode);
    expect(typeof problem.type).toBe("string");
    expect(typeof problem.title).toBe("string");
    expect(typeof problem.detail).toBe("string");
    expect(result.body).not.toMatch(/\n\s+at /); // no stack trace
  }
}

beforeAll(() => {
  Object.assign(process.env, linkEnv("FuzzTable", { name: "fuzz" }));
  resetResourceCache();
  // A fault would be logged here; the assertions catch it, the output need not show it.
  vi.spyOn(logger, "error").mockImplementation(() => {});
});

describe("HTTP stack under arbitrary requests", () => {
  it("never answers 5xx, always problem+json for 4xx, always the trace and request ids", async () => {
    await fc.assert(
      fc.asyncProperty(event, async ({ route, apiEvent }) => {
        checkAnswer(await routes[route](apiEvent, context));
      }),
      { numRuns: 3_000, interruptAfterTimeLimit: 40_000 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
  }, 60_000);

  it("answers any valid body with its success status, however the keys are named", async () => {
    const validBody = fc
      .record({
        name: fc.string({ minLength: 1, maxLength: 80 }),
        tags: fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }),
        meta: fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
      })
      .map((value) => JSON.stringify(value));
    await fc.assert(
      fc.asyncProperty(validBody, fc.uuid(), async (text, idempotencyKey) => {
        const result = await routes.create(
          {
            httpMethod: "POST",
            path: "/forums",
            resource: "/forums",
            body: text,
            isBase64Encoded: false,
            headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey },
            multiValueHeaders: {},
            queryStringParameters: null,
            multiValueQueryStringParameters: null,
            pathParameters: null,
            stageVariables: null,
            requestContext: { requestId: "gw" } as APIGatewayProxyEvent["requestContext"],
          },
          context,
        );
        checkAnswer(result);
        expect(result.statusCode).toBe(201);
      }),
      { numRuns: 1_000, interruptAfterTimeLimit: 20_000 },
    );
  }, 40_000);
});
