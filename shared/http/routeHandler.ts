import type { MiddyfiedHandler } from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { RouteDefinition } from "../topology/defineService.js";
import { type HttpHandlerOptions, httpHandler } from "./httpHandler.js";

type Schemas<R extends RouteDefinition> = NonNullable<R["schemas"]>;
type Part<R extends RouteDefinition, K extends "body" | "query" | "path"> = K extends keyof Schemas<R>
  ? Exclude<Schemas<R>[K], undefined>
  : undefined;
type AuthOf<R extends RouteDefinition> = R["auth"] extends true ? "required" : "optional";

/** What a route's handler file adds to its definition: the code (and, rarely, another body limit). */
export type RouteHandlerOptions<R extends RouteDefinition> = Pick<
  HttpHandlerOptions<Part<R, "body">, Part<R, "query">, Part<R, "path">, AuthOf<R>>,
  "handler" | "maxBodyBytes"
>;

/**
 * The handler of a declared route: its body, query and path schemas, auth, success status and idempotency come
 * from the route's definition (the one the topology, the stacks and the OpenAPI document read), so none is written twice.
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
  const schemas = (route.schemas ?? {}) as { body?: Part<R, "body">; query?: Part<R, "query">; path?: Part<R, "path"> };
  return httpHandler<Part<R, "body">, Part<R, "query">, Part<R, "path">, AuthOf<R>>({
    ...options,
    ...(schemas.body ? { body: schemas.body } : {}),
    ...(schemas.query ? { query: schemas.query } : {}),
    ...(schemas.path ? { path: schemas.path } : {}),
    auth: (route.auth ? "required" : "optional") as AuthOf<R>,
    ...(route.successStatus ? { successStatus: route.successStatus } : {}),
    ...(route.idempotency ? { idempotency: route.idempotency } : {}),
  });
}
