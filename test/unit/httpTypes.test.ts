import * as v from "valibot";
import { describe, expectTypeOf, it } from "vitest";
import { type HttpAuth, type HttpRequest, httpHandler, type RawParams } from "../../shared/http/index.js";

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
