import * as v from "valibot";
import { describe, expectTypeOf, it } from "vitest";
import {
  type HttpAuth,
  type HttpRequest,
  httpHandler,
  type RawParams,
  type ResponseOutput,
  routeHandler,
} from "../../shared/http/index.js";
import { defineRoute } from "../../shared/topology/index.js";
import { getProductRoute, product } from "../support/productRoute.js";

const body = v.object({
  name: v.string(),
  priceCents: v.pipe(v.number(), v.integer()),
  tags: v.optional(v.array(v.string())),
});
const query = v.object({ limit: v.optional(v.pipe(v.string(), v.toNumber()), "20") });
const path = v.object({ productId: v.string() });

describe("handler request types come from the schemas", () => {
  it("types body, query and path from their schemas' outputs", () => {
    httpHandler({
      body,
      query,
      path,
      handler: (request) => {
        expectTypeOf(request.body).toEqualTypeOf<{ name: string; priceCents: number; tags?: string[] | undefined }>();
        expectTypeOf(request.query).toEqualTypeOf<{ limit: number }>();
        expectTypeOf(request.path).toEqualTypeOf<{ productId: string }>();
        expectTypeOf(request.auth).toEqualTypeOf<HttpAuth | undefined>();
        expectTypeOf(request.requestId).toBeString();
        expectTypeOf(request.correlationId).toBeString();
        expectTypeOf(request.headers).toEqualTypeOf<Readonly<Record<string, string>>>();
        return { ok: true };
      },
    });
  });

  it("gives no body and raw parameters without schemas", () => {
    httpHandler({
      handler: (request) => {
        expectTypeOf(request.body).toEqualTypeOf<undefined>();
        expectTypeOf(request.query).toEqualTypeOf<RawParams>();
        expectTypeOf(request.path).toEqualTypeOf<RawParams>();
        expectTypeOf(request).toExtend<HttpRequest<undefined, RawParams, RawParams>>();
      },
    });
  });

  it("guarantees the caller on routes that require one", () => {
    httpHandler({
      auth: "required",
      handler: (request) => {
        expectTypeOf(request.auth).toEqualTypeOf<HttpAuth>();
        return { userId: request.auth.userId };
      },
    });
  });

  it("refuses a handler that reads fields the schema does not have", () => {
    httpHandler({
      body,
      handler: (request) => {
        // @ts-expect-error `email` is not in the body schema
        return { email: request.body.email };
      },
    });
    httpHandler({
      handler: (request) => {
        // @ts-expect-error without a body schema there is no body
        return { name: request.body.name };
      },
    });
  });

  it("returns a Lambda handler for API Gateway proxy events", () => {
    const handler = httpHandler({ handler: () => ({}) });
    expectTypeOf(handler).parameter(0).toHaveProperty("httpMethod");
    expectTypeOf(handler).returns.resolves.toHaveProperty("statusCode");
  });
});

describe("handler return types come from the response schema", () => {
  type Product = { productId: string; name: string; priceCents: number };
  const route = getProductRoute;
  const noResponse = defineRoute({ ...route, schemas: {}, cache: undefined });
  const rope = { productId: "p1", name: "Rope", priceCents: 1 };

  it("accepts the schema's body, or a shaped response carrying it, sync or async", () => {
    expectTypeOf<ResponseOutput<typeof product>>().toEqualTypeOf<
      | Product
      | ({ readonly status?: number; readonly body?: Product; readonly headers?: Readonly<Record<string, string>> } & {
          readonly body: Product;
        })
    >();
    routeHandler(route, { handler: () => rope });
    routeHandler(route, { handler: async ({ path }) => ({ ...rope, productId: path.productId }) });
    routeHandler(route, { handler: () => ({ status: 200, body: rope, headers: {} }) });
    httpHandler({ response: product, handler: () => rope });
  });

  it("refuses a body that drifts from the schema", () => {
    // @ts-expect-error priceCents must be a number
    routeHandler(route, { handler: () => ({ ...rope, priceCents: "1" }) });
    // @ts-expect-error productId is missing
    routeHandler(route, { handler: async () => ({ name: "Rope", priceCents: 1 }) });
    // @ts-expect-error a shaped response must carry the schema's body
    routeHandler(route, { handler: () => ({ status: 200, body: { ...rope, productId: 1 } }) });
    // @ts-expect-error nothing (a 204) is not the declared body
    routeHandler(route, { handler: async () => {} });
    // @ts-expect-error httpHandler types it the same way
    httpHandler({ response: product, handler: () => ({ productId: "p1" }) });
  });

  it("leaves a route without a response schema free to return any object, or nothing", () => {
    routeHandler(noResponse, { handler: () => ({ anything: true }) });
    routeHandler(noResponse, { handler: async () => {} });
  });
});
