import { Validator } from "@seriousme/openapi-schema-validator";
import { toJsonSchema } from "@valibot/to-json-schema";
import { describe, expect, test } from "vitest";
import {
  BEARER_SCHEME,
  type OpenApiDocument,
  type OpenApiMethod,
  type OpenApiOperation,
  openApiDocument,
  pathParameters,
  REQUEST_SCHEMA_CONFIG,
  RESPONSE_SCHEMA_CONFIG,
} from "../../local/devtools/openapi.js";
import { services } from "../../services/index.js";
import {
  getMeRoute,
  refreshRoute,
  signinRoute,
  signupRoute,
  updateMeRoute,
  usersRoutes,
} from "../../services/users/api.js";
import type { RouteDefinition } from "../../shared/topology/index.js";
import { buildTopology } from "../../shared/topology/index.js";

/**
 * The users service's OpenAPI document, as `/docs/users.json` serves it, against the route definitions in
 * services/users/api.ts: the very objects the handlers validate with (`routeHandler(signupRoute, …)`).
 */
const doc = openApiDocument(buildTopology(services), "users");
if (!doc) throw new Error("the users service has no OpenAPI document");

/** The routes as the topology sees them (each literal type widened to the definition). */
const routes: readonly RouteDefinition[] = usersRoutes;

/** httpHandler's success status when a route declares none (shared/http/httpHandler.ts `defaults`). */
const HANDLER_DEFAULT_STATUS = 200;

/** The contract's error statuses and the shared responses the document names for them. */
const ERROR_COMPONENTS: Readonly<Record<number, string>> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  409: "Conflict",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  422: "IdempotencyKeyReused",
  429: "TooManyRequests",
};

function operationOf(document: OpenApiDocument, route: RouteDefinition): OpenApiOperation {
  const operation = document.paths[route.path]?.[route.method.toLowerCase() as OpenApiMethod];
  if (!operation) throw new Error(`${route.method} ${route.path} is not in the document`);
  return operation;
}

const label = (route: RouteDefinition) => `${route.method} /users${route.path === "/" ? "" : route.path}`;

/** Every `$ref` in the document, wherever it is. */
function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (value && typeof value === "object")
    for (const [key, item] of Object.entries(value)) {
      if (key === "$ref" && typeof item === "string") found.push(item);
      else refsIn(item, found);
    }
  return found;
}

/** Follows a local JSON pointer (`#/components/responses/NotFound`) through the document. */
function resolvePointer(document: unknown, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  return ref
    .slice(2)
    .split("/")
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce<unknown>(
      (node, part) => (node && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined),
      document,
    );
}

/** What a validator of the OpenAPI schema does not look at: the document's internal consistency. */
function consistencyProblems(document: OpenApiDocument): string[] {
  const problems: string[] = [];
  for (const ref of refsIn(document))
    if (resolvePointer(document, ref) === undefined) problems.push(`${ref} does not resolve`);
  const ids = new Map<string, number>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item) as [string, OpenApiOperation][]) {
      ids.set(operation.operationId, (ids.get(operation.operationId) ?? 0) + 1);
      const declared = (operation.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
      if (declared.slice().sort().join() !== pathParameters(path).sort().join())
        problems.push(`${method} ${path}: path parameters ${declared} for the template's ${pathParameters(path)}`);
      for (const p of operation.parameters ?? [])
        if (p.in === "path" && !p.required) problems.push(`${method} ${path}: path parameter ${p.name} is optional`);
      for (const requirement of operation.security ?? [])
        for (const scheme of Object.keys(requirement))
          if (!document.components.securitySchemes?.[scheme])
            problems.push(`${method} ${path}: security scheme ${scheme} is not defined`);
      if (!Object.keys(operation.responses).some((status) => /^2(\d\d|XX)$/.test(status)))
        problems.push(`${method} ${path}: no success response`);
    }
  }
  for (const [id, uses] of ids) if (uses > 1) problems.push(`operationId ${id} is used ${uses} times`);
  return problems;
}

describe("the users OpenAPI document", () => {
  test("is a valid OpenAPI 3.1 document (its JSON schema, and every $ref resolving)", async () => {
    const validator = new Validator();
    // A JSON round trip first: this is what /docs/users.json serves.
    const result = await validator.validate(JSON.parse(JSON.stringify(doc)) as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(consistencyProblems(doc)).toEqual([]);
  });

  test("the validator and the consistency checks refuse a broken document", async () => {
    const broken = structuredClone(doc) as unknown as {
      paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: unknown[] }>>;
    };
    broken.paths["/me"]!.get!.responses["200"] = { content: {} };
    expect((await new Validator().validate(broken)).valid).toBe(false);

    const dangling = structuredClone(doc) as typeof broken;
    dangling.paths["/me"]!.get!.responses["404"] = { $ref: "#/components/responses/Gone" };
    expect(consistencyProblems(dangling as unknown as OpenApiDocument)).toEqual([
      "#/components/responses/Gone does not resolve",
    ]);
    const paramless = structuredClone(doc) as typeof broken;
    delete paramless.paths["/{userId}"]!.get!.parameters;
    expect(consistencyProblems(paramless as unknown as OpenApiDocument)).toEqual([
      expect.stringContaining("path parameters  for the template's userId"),
    ]);
  });

  test("has every route of api.ts, once, under the /users base path", () => {
    expect(doc.servers.every((s) => s.url.endsWith("/users"))).toBe(true);
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  test.each(routes.filter((r) => r.schemas && "body" in r.schemas).map((r) => [label(r), r] as const))(
    "%s documents the body schema its handler validates with",
    (_label, route) => {
      const body = (route.schemas as { body: Parameters<typeof toJsonSchema>[0] }).body;
      expect(operationOf(doc, route).requestBody).toEqual({
        required: true,
        content: { "application/json": { schema: toJsonSchema(body, REQUEST_SCHEMA_CONFIG) } },
      });
    },
  );

  test("the sign-up body is the contract's { email, password (≥ 8), displayName }", () => {
    const schema = operationOf(doc, signupRoute).requestBody?.content["application/json"]?.schema;
    expect(schema).toMatchObject({
      type: "object",
      required: ["email", "password", "displayName"],
      properties: { email: { type: "string", format: "email" }, password: { type: "string", minLength: 8 } },
    });
    // PATCH /me is strict: a misspelt field is a 400, and the document says so.
    expect(operationOf(doc, updateMeRoute).requestBody?.content["application/json"]?.schema).toMatchObject({
      additionalProperties: false,
    });
  });

  test.each(routes.map((r) => [label(r), r] as const))(
    "%s documents its response schema under its declared success status",
    (_label, route) => {
      const declared = route.successStatus;
      const operation = operationOf(doc, route);
      const success = Object.keys(operation.responses).filter((s) => s.startsWith("2"));
      expect(success).toHaveLength(1);
      if (declared) expect(success).toEqual([String(declared)]);
      const response = operation.responses[success[0]!] as { content?: Record<string, { schema: unknown }> };
      const schema = route.schemas?.response;
      if (!schema) throw new Error(`${label(route)} declares no response schema`);
      expect(response.content?.["application/json"]?.schema).toEqual(toJsonSchema(schema, RESPONSE_SCHEMA_CONFIG));
    },
  );

  test("sign-up answers 201 and the reads 200", () => {
    expect(Object.keys(operationOf(doc, signupRoute).responses)).toContain("201");
    for (const route of routes.filter((r) => r.method === "GET"))
      expect(Object.keys(operationOf(doc, route).responses), label(route)).toContain("200");
  });

  test("sign-in, refresh and PATCH /me document the 200 their handlers answer; only sign-up takes an idempotency key", () => {
    for (const route of [signinRoute, refreshRoute, updateMeRoute]) {
      const statuses = Object.keys(operationOf(doc, route).responses);
      expect(statuses, label(route)).toContain(String(HANDLER_DEFAULT_STATUS));
      expect(statuses, label(route)).not.toContain("2XX");
    }
    const keyed = routes.filter((r) =>
      operationOf(doc, r).parameters?.some((p) => p.in === "header" && p.name === "idempotency-key"),
    );
    expect(keyed.map(label)).toEqual(["POST /users/signup"]);
    expect(operationOf(doc, signupRoute).responses["422"]).toEqual({
      $ref: "#/components/responses/IdempotencyKeyReused",
    });
  });

  test.each(routes.map((r) => [label(r), r] as const))(
    "%s lists each error it declares, as a $ref to a shared problem response",
    (_label, route) => {
      const responses = operationOf(doc, route).responses;
      for (const status of route.errors ?? []) {
        const name = ERROR_COMPONENTS[status];
        expect(name, `no shared response for ${status}`).toBeDefined();
        expect(responses[String(status)]).toEqual({ $ref: `#/components/responses/${name}` });
        expect(doc.components.responses[name!]?.content?.["application/problem+json"]?.schema).toEqual({
          $ref: "#/components/schemas/Problem",
        });
      }
    },
  );

  test("GET and PATCH /me require the bearer scheme; the other routes are open", () => {
    const authorized = routes.filter((r) => r.auth).map(label);
    expect(authorized.sort()).toEqual(["GET /users/me", "PATCH /users/me"]);
    for (const route of routes) {
      const security = operationOf(doc, route).security;
      if (route.auth) expect(security, label(route)).toEqual([{ [BEARER_SCHEME]: [] }]);
      else expect(security, label(route)).toBeUndefined();
    }
    expect(doc.components.securitySchemes?.[BEARER_SCHEME]).toEqual(
      expect.objectContaining({ type: "http", scheme: "bearer", bearerFormat: "JWT" }),
    );
    expect(operationOf(doc, getMeRoute).responses["401"]).toEqual({ $ref: "#/components/responses/Unauthorized" });
  });

  test("GET /{userId} has its required path parameter, a URL-safe id (else a 400); no other route has one", () => {
    const getUser = routes.find((r) => r.path === "/{userId}")!;
    expect(operationOf(doc, getUser).parameters).toEqual([
      { name: "userId", in: "path", required: true, schema: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" } },
    ]);
    expect(Object.keys(operationOf(doc, getUser).responses).sort()).toEqual(["200", "400", "404"]);
    for (const route of routes.filter((r) => r !== getUser))
      expect(operationOf(doc, route).parameters?.filter((p) => p.in === "path") ?? [], label(route)).toEqual([]);
  });

  test("the request bodies say displayName is 1–64 characters, as the contract does", () => {
    for (const route of [signupRoute, updateMeRoute]) {
      const schema = operationOf(doc, route).requestBody?.content["application/json"]?.schema as {
        properties: Record<string, unknown>;
      };
      expect(schema.properties.displayName, label(route)).toMatchObject({ minLength: 1, maxLength: 64 });
    }
  });
});
