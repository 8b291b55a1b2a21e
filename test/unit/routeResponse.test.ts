import type { APIGatewayProxyEvent } from "aws-lambda";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import {
  HttpProblem,
  httpHandler,
  PROBLEM_KINDS,
  ResponseSchemaError,
  responseValidator,
  routeHandler,
} from "../../shared/http/index.js";
import { logger } from "../../shared/logging/index.js";
import { apiEvent, lambdaContext } from "../support/apiEvents.js";
import { getProductRoute, product } from "../support/productRoute.js";

let stored: unknown = { productId: "p1", name: "Rope", priceCents: 100 };
// The store hands back whatever it holds: the type says Product, the data may have drifted.
const fromStore = () => stored as v.InferInput<typeof product>;

function get(): APIGatewayProxyEvent {
  return apiEvent({ httpMethod: "GET", pathParameters: { productId: "p1" } });
}

let loggedError: MockInstance<typeof logger.error>;
beforeEach(() => {
  loggedError = vi.spyOn(logger, "error").mockImplementation(() => {});
});

afterEach(() => {
  stored = { productId: "p1", name: "Rope", priceCents: 100 };
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe("route responses are checked against schemas.response when SUMMIT_VALIDATE_RESPONSES=1", () => {
  it("is switched on for the tests", () => {
    expect(process.env.SUMMIT_VALIDATE_RESPONSES).toBe("1");
  });

  it("passes a body that matches", async () => {
    const handler = routeHandler(getProductRoute, { handler: fromStore });
    const result = await handler(get(), lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ productId: "p1", name: "Rope", priceCents: 100 });
    expect(loggedError).not.toHaveBeenCalled();
  });

  it("answers a drifted body with the generic 500, logging every issue as a fault", async () => {
    const handler = routeHandler(getProductRoute, { handler: fromStore });
    stored = { productId: 7, name: "Rope", priceCents: -1, extra: "kept out of the answer" };
    const result = await handler(get(), lambdaContext());
    expect(result.statusCode).toBe(500);
    expect(result.headers?.["content-type"]).toBe("application/problem+json");
    expect(result.headers?.["cache-control"]).toBe("no-store");
    const problem = JSON.parse(result.body) as { type: string };
    expect(problem.type).toBe(PROBLEM_KINDS.internal.type);
    expect(result.body).not.toContain("productId");
    expect(loggedError).toHaveBeenCalledTimes(1);
    const [, logged] = loggedError.mock.calls[0] ?? [];
    const error = (logged as { error?: unknown } | undefined)?.error;
    expect(error).toBeInstanceOf(ResponseSchemaError);
    expect((error as ResponseSchemaError).issues.map((issue) => issue.path)).toEqual([
      "body.productId",
      "body.priceCents",
    ]);
  });

  it("checks the body as the client gets it (the JSON text), in a shaped response too", async () => {
    stored = { productId: "p1", name: "Rope", priceCents: Number.NaN }; // JSON.stringify sends null
    const shaped = routeHandler(getProductRoute, { handler: () => ({ status: 200, body: fromStore() }) });
    expect((await shaped(get(), lambdaContext())).statusCode).toBe(500);
  });

  it("checks 2xx bodies only: a 4xx the handler shapes, or a problem, is left alone", async () => {
    const handler = httpHandler({
      response: product,
      validateResponses: true,
      handler: ({ query }) => {
        if (query.problem) throw new HttpProblem("not-found", "no such product");
        return { status: 409, body: { conflict: true } } as never;
      },
    });
    expect((await handler(get(), lambdaContext())).statusCode).toBe(409);
    const problem = apiEvent({ httpMethod: "GET", queryStringParameters: { problem: "1" } });
    expect((await handler(problem, lambdaContext())).statusCode).toBe(404);
    expect(loggedError).not.toHaveBeenCalled();
  });

  it("leaves a route without a response schema (a 204) unchecked", async () => {
    const handler = httpHandler({ validateResponses: true, handler: async () => {} });
    expect((await handler(apiEvent({ httpMethod: "DELETE" }), lambdaContext())).statusCode).toBe(204);
  });

  it("is off when switched off, and reads the switch once, when the handler is created", async () => {
    stored = { productId: 7, name: "Rope", priceCents: 100 };
    const off = httpHandler({ response: product, validateResponses: false, handler: fromStore });
    expect((await off(get(), lambdaContext())).statusCode).toBe(200);

    vi.stubEnv("SUMMIT_VALIDATE_RESPONSES", "");
    const createdOff = routeHandler(getProductRoute, { handler: fromStore });
    vi.stubEnv("SUMMIT_VALIDATE_RESPONSES", "1");
    expect((await createdOff(get(), lambdaContext())).statusCode).toBe(200);
    const createdOn = routeHandler(getProductRoute, { handler: fromStore });
    expect((await createdOn(get(), lambdaContext())).statusCode).toBe(500);
  });
});

describe("responseValidator", () => {
  const check = responseValidator(product);
  const result = (statusCode: number, body: string) => ({ statusCode, headers: {}, body });

  it("throws on a 2xx whose body does not match, a missing body included", () => {
    expect(() => check(result(200, '{"productId":"p1","name":"Rope","priceCents":1}'))).not.toThrow();
    expect(() => check(result(201, '{"productId":"p1"}'))).toThrow(ResponseSchemaError);
    expect(() => check(result(202, ""))).toThrow(/does not match the route's response schema/);
  });

  it("lets 204, 3xx, 4xx and 5xx through", () => {
    for (const status of [204, 304, 404, 500]) expect(() => check(result(status, ""))).not.toThrow();
  });

  it("takes only a synchronous valibot schema", () => {
    expect(() => responseValidator({} as never)).toThrow(/valibot schema/);
    expect(() => responseValidator(v.objectAsync({}) as never)).toThrow(/synchronous/);
    expect(() => responseValidator(undefined as never)).toThrow(/required/);
  });
});
