import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { exchangeFor, type HttpEvent } from "./exchange.js";
import { unauthorized } from "./problem.js";
import type { HttpAuth } from "./types.js";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The caller, from the claims a Cognito user-pool authorizer put in `requestContext.authorizer.claims`
 * (API Gateway passes every claim as a string); `undefined` when the route had no authorizer or no `sub`.
 *
 * @example
 * ```ts
 * authOf(event)?.userId; // the `sub` claim
 * ```
 */
export function authOf(event: APIGatewayProxyEvent): HttpAuth | undefined {
  const authorizer: unknown = event.requestContext?.authorizer;
  const claims: unknown = isRecord(authorizer) ? authorizer.claims : undefined;
  if (!isRecord(claims)) return undefined;
  const strings: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(claims)) {
    if (typeof value === "string") strings[name] = value;
    else if (typeof value === "number" || typeof value === "boolean") strings[name] = String(value);
  }
  const userId = strings.sub;
  if (!userId) return undefined;
  return { userId, claims: strings };
}

/**
 * 401 for a request without an authenticated caller. API Gateway's authorizer refuses such requests before the
 * function runs; this keeps a misconfigured route from running unauthenticated, in the same order (auth first).
 *
 * @example
 * ```ts
 * middy(route).use(requireAuth());
 * ```
 */
export function requireAuth(): MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  const requireAuthBefore = (request: { event: HttpEvent }): void => {
    if (!authOf(exchangeFor(request).event)) throw unauthorized("a valid bearer token is required");
  };
  return { before: requireAuthBefore };
}
