import type { MiddyfiedHandler } from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { RouteDefinition } from "../topology/defineService.js";
import { type HttpHandlerOptions, httpHandler } from "./httpHandler.js";

type Schemas<R extends RouteDefinition> = NonNullable<R["schemas"]>;
type Part<R extends RouteDefinition, K extends "body" | "query" | "path" | "response"> = K extends keyof Schemas<R>
  ? Exclude<Schemas<R>[K], undefined>
  : undefined;
type AuthOf<R extends RouteDefinition> = R["auth"] extends true ? "required" : "optional";

/**
 * What a route's handler file adds to its definition: the code (and, rarely, another body limit). With a
 * `schemas.response` the handler must return that body (a drift from the OpenAPI document does not compile).
 */
export type RouteHandlerOptions<R extends RouteDefinition> = Pick<
  HttpHandlerOptions<Part<R, "body">, Part<R, "query">, Part<R, "path">, AuthOf<R>, Part<R, "response">>,
  "handler" | "maxBodyBytes"
>;

/**
 * The handler of a declared route: its body, query, path and response schemas, auth, success status, idempotency
 * and caching come from the route's definition (the one the topology, the stacks and the OpenAPI document read),
 * so none is written twice.
 *
 * @example
 * ```ts
 * export const handler = routeHandler(signupRoute, {
 *   handler: async ({ body }) => register(body),
 * });
 * ```
 */
export function routeHandler<const R extends RouteDefinition>(
  route: R,
  options: RouteHandlerOptions<R>,
): MiddyfiedHandler<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const schemas = (route.schemas ?? {}) as {
    body?: Part<R, "body">;
    query?: Part<R, "query">;
    path?: Part<R, "path">;
    response?: Part<R, "response">;
  };
  if (route.cache && route.method !== "GET")
    throw new TypeError(`routeHandler: cache is for GETs, not ${route.method}`);
  return httpHandler<Part<R, "body">, Part<R, "query">, Part<R, "path">, AuthOf<R>, Part<R, "response">>({
    ...options,
    ...(schemas.body ? { body: schemas.body } : {}),
    ...(schemas.query ? { query: schemas.query } : {}),
    ...(schemas.path ? { path: schemas.path } : {}),
    ...(schemas.response ? { response: schemas.response } : {}),
    ...(route.cache ? { cache: route.cache } : {}),
    auth: (route.auth ? "required" : "optional") as AuthOf<R>,
    ...(route.successStatus ? { successStatus: route.successStatus } : {}),
    ...(route.idempotency ? { idempotency: route.idempotency } : {}),
  });
}
