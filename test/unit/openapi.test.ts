import { Validator } from "@seriousme/openapi-schema-validator";
import { toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";
import { describe, expect, test } from "vitest";
import {
  BEARER_SCHEME,
  openApiDocument,
  pathParameters,
  REQUEST_SCHEMA_CONFIG,
  RESPONSE_SCHEMA_CONFIG,
} from "../../local/devtools/openapi.js";
import { buildTopology, defineService } from "../../shared/topology/index.js";
import { fixtureServices } from "../fixtures/services/index.js";
import { placeOrderBody } from "../fixtures/services/shop/service.js";

const topology = buildTopology(fixtureServices);

describe("openApiDocument of the fixture shop service", () => {
  const doc = openApiDocument(topology, "shop");
  if (!doc) throw new Error("the shop service has no document");

  test("is an OpenAPI 3.1 document served under the base path", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers.map((s) => s.url)).toEqual(["http://127.0.0.1:4000/shop", "https://api.example.com/shop"]);
    expect(Object.keys(doc.paths)).toEqual(["/orders", "/orders/{orderId}", "/orders/crashing"]);
  });

  test("documents the request body with the schema the handler validates with", () => {
    const post = doc.paths["/orders"]?.post;
    expect(post?.operationId).toBe("ShopPlaceOrder");
    expect(post?.requestBody).toEqual({
      required: true,
      content: { "application/json": { schema: toJsonSchema(placeOrderBody, REQUEST_SCHEMA_CONFIG) } },
    });
    expect(post?.requestBody?.content["application/json"]?.schema).toMatchObject({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      required: ["orderId", "totalCents"],
    });
  });

  test("asks for a bearer token on auth routes only, and answers 401 only there", () => {
    const post = doc.paths["/orders"]?.post;
    const get = doc.paths["/orders/{orderId}"]?.get;
    expect(post?.security).toEqual([{ [BEARER_SCHEME]: [] }]);
    expect(get?.security).toBeUndefined();
    expect(doc.components.securitySchemes?.[BEARER_SCHEME]).toMatchObject({ type: "http", scheme: "bearer" });
    expect(Object.keys(post?.responses ?? {}).sort()).toEqual(["201", "400", "401", "403", "409", "413", "415", "422"]);
    expect(Object.keys(get?.responses ?? {}).sort()).toEqual(["200", "404"]);
  });

  test("takes path parameters from the template", () => {
    expect(doc.paths["/orders/{orderId}"]?.get?.parameters).toEqual([
      { name: "orderId", in: "path", required: true, schema: { type: "string" } },
    ]);
  });

  test("answers errors as problem+json", () => {
    expect(doc.paths["/orders"]?.post?.responses["400"]).toEqual({ $ref: "#/components/responses/BadRequest" });
    expect(doc.components.responses.BadRequest?.content?.["application/problem+json"]?.schema).toEqual({
      $ref: "#/components/schemas/Problem",
    });
    expect(doc.components.schemas.Problem).toMatchObject({ required: ["type", "title", "status", "detail"] });
  });

  test("survives a JSON round trip (what /docs/shop.json serves)", () => {
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  test("is valid against the OpenAPI 3.1 schema", async () => {
    const validator = new Validator();
    expect(await validator.validate(JSON.parse(JSON.stringify(doc)) as Record<string, unknown>)).toEqual({
      valid: true,
    });
    expect(validator.version).toBe("3.1");
  });

  test("serves under the gateway it is given, and stays valid", async () => {
    const served = openApiDocument(topology, "shop", { localOrigin: "http://localhost:4123" });
    expect(served?.servers.map((s) => s.url)).toEqual(["http://localhost:4123/shop", "https://api.example.com/shop"]);
    expect(served?.paths).toEqual(doc.paths);
    expect(await new Validator().validate(JSON.parse(JSON.stringify(served)) as Record<string, unknown>)).toEqual({
      valid: true,
    });
  });
});

describe("openApiDocument of other routes", () => {
  const query = v.object({
    limit: v.optional(v.pipe(v.string(), v.regex(/^\d+$/))),
    cursor: v.optional(v.string()),
    category: v.pipe(v.string(), v.minLength(1)),
  });
  const response = v.object({ items: v.array(v.object({ id: v.string() })), nextCursor: v.nullable(v.string()) });
  const catalog = defineService({
    name: "catalog",
    basePath: "/catalog",
    tables: {},
    routes: [
      {
        method: "GET",
        path: "/",
        auth: false,
        handler: "test/fixtures/none/list.handler",
        summary: "List",
        schemas: { query, response },
      },
      {
        method: "DELETE",
        path: "/{itemId}",
        auth: true,
        handler: "test/fixtures/none/remove.handler",
        summary: "Remove",
      },
    ],
    publishes: [],
    consumers: [],
  });
  const doc = openApiDocument(buildTopology([catalog]), "catalog");

  test("turns the query schema into query parameters, property by property", () => {
    const json = toJsonSchema(query, REQUEST_SCHEMA_CONFIG) as { properties: Record<string, unknown> };
    expect(doc?.paths["/"]?.get?.parameters).toEqual([
      { name: "limit", in: "query", required: false, schema: json.properties.limit },
      { name: "cursor", in: "query", required: false, schema: json.properties.cursor },
      { name: "category", in: "query", required: true, schema: json.properties.category },
    ]);
    expect(doc?.paths["/"]?.get?.responses["400"]).toBeDefined();
  });

  test("documents the response schema; a DELETE without one answers 204", () => {
    expect(doc?.paths["/"]?.get?.responses["200"]).toMatchObject({
      content: { "application/json": { schema: toJsonSchema(response, RESPONSE_SCHEMA_CONFIG) } },
    });
    expect(Object.keys(doc?.paths["/{itemId}"]?.delete?.responses ?? {}).sort()).toEqual(["204", "401", "403", "404"]);
  });

  test("shows an owner-only route (x-owner) and a 400 wherever a path schema or an idempotency key is validated", () => {
    const owned = defineService({
      name: "owned",
      basePath: "/owned",
      tables: {},
      routes: [
        {
          method: "DELETE",
          path: "/{itemId}",
          auth: true,
          handler: "test/fixtures/none/remove.handler",
          summary: "Remove (its owner only)",
          schemas: { path: v.object({ itemId: v.pipe(v.string(), v.regex(/^[a-z]+$/)) }) },
          owner: { path: "itemId", field: "ownerId" },
        },
        {
          method: "POST",
          path: "/{itemId}/likes",
          auth: false,
          handler: "test/fixtures/none/like.handler",
          summary: "Like",
          idempotency: { table: "OwnedTable" },
        },
      ],
      publishes: [],
      consumers: [],
    });
    const paths = openApiDocument(buildTopology([owned]), "owned")?.paths;
    expect(paths?.["/{itemId}"]?.delete?.["x-owner"]).toEqual({ path: "itemId", field: "ownerId" });
    expect(Object.keys(paths?.["/{itemId}"]?.delete?.responses ?? {}).sort()).toEqual([
      "204",
      "400",
      "401",
      "403",
      "404",
    ]);
    expect(paths?.["/{itemId}/likes"]?.post?.["x-owner"]).toBeUndefined();
    expect(paths?.["/{itemId}/likes"]?.post?.responses["400"]).toBeDefined();
  });

  test("has no security scheme when no route needs a token; undefined for an unknown service", () => {
    const ledger = openApiDocument(topology, "ledger");
    expect(ledger?.components.securitySchemes).toBeUndefined();
    expect(openApiDocument(topology, "nope")).toBeUndefined();
  });

  test("is valid against the OpenAPI 3.1 schema, query parameters and a 204 included", async () => {
    expect(await new Validator().validate(JSON.parse(JSON.stringify(doc)) as Record<string, unknown>)).toEqual({
      valid: true,
    });
  });

  test("reads path parameters, greedy ones included", () => {
    expect(pathParameters("/forums/{forumId}/threads/{threadId}")).toEqual(["forumId", "threadId"]);
    expect(pathParameters("/files/{proxy+}")).toEqual(["proxy"]);
    expect(pathParameters("/")).toEqual([]);
  });
});
