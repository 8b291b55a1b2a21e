import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy, { type MiddyfiedHandler } from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { runWithInvocation } from "../context/index.js";
import { logger } from "../logging/index.js";
import { flushMetrics } from "../metrics/index.js";
import { requireAuth } from "./auth.js";
import { bodyLimit } from "./bodyLimit.js";
import { type ConditionalGetOptions, conditionalGet } from "./conditionalGet.js";
import type { HttpEvent } from "./exchange.js";
import { type IdempotencyOptions, idempotency } from "./idempotency.js";
import { jsonBody } from "./jsonBody.js";
import { problemResponse } from "./problemResponse.js";
import { requestIdentity } from "./requestIdentity.js";
import { requestValidation } from "./requestValidation.js";
import { responseHeaders } from "./responseHeaders.js";
import { responseValidator } from "./responseValidation.js";
import { toHttpResult } from "./result.js";
import { traceHandler } from "./traceHandler.js";
import type { HttpAuth, HttpRequest, PartOf, RawParams, RequestSchema, RouteHandler, RouteOutput } from "./types.js";

/** `required`: the handler always gets `auth` (401 otherwise); `optional`: `auth` may be `undefined`. */
export type AuthMode = "required" | "optional";

/** The request a route's handler receives, typed from its schemas. */
export type RouteRequest<TBody, TQuery, TPath, TAuth extends AuthMode> = HttpRequest<
  PartOf<TBody, undefined>,
  PartOf<TQuery, RawParams>,
  PartOf<TPath, RawParams>,
  TAuth extends "required" ? HttpAuth : HttpAuth | undefined
>;

export interface HttpHandlerOptions<TBody, TQuery, TPath, TAuth extends AuthMode, TResponse = undefined> {
  /** Schema of the JSON body; with one, a body is required and must be JSON. */
  readonly body?: TBody;
  /** Schema of the query string parameters (all strings, as API Gateway passes them). */
  readonly query?: TQuery;
  /** Schema of the path parameters. */
  readonly path?: TPath;
  readonly auth?: TAuth;
  readonly handler: RouteHandler<RouteRequest<TBody, TQuery, TPath, TAuth>, TResponse>;
  /**
   * Schema of the success body (a route's `schemas.response`): the handler must return what it takes in, and with
   * `validateResponses` each 2xx body is checked against it (a mismatch is a 500 fault, logged with the issues).
   */
  readonly response?: TResponse;
  /**
   * Checks success bodies against `response`. Default: on when `SUMMIT_VALIDATE_RESPONSES=1` (set by the tests and
   * `npm run dev`, never in the cloud), read once when the handler is created.
   */
  readonly validateResponses?: boolean;
  /** HTTP caching of a public GET: etag, `cache-control: public, …`, 304 (see `conditionalGet`). */
  readonly cache?: ConditionalGetOptions;
  /** Status of a plain-object answer (201 for creates). */
  readonly successStatus?: number;
  /** Makes POSTs with an `idempotency-key` header safe to repeat; records go to the service's table. */
  readonly idempotency?: IdempotencyOptions;
  /** The body limit in bytes. */
  readonly maxBodyBytes?: number;
}

const defaults = { successStatus: 200, maxBodyBytes: 64 * 1024 };

/**
 * Builds an API Gateway (REST, proxy integration) route handler with the conventions every service shares:
 * Powertools logging, tracing and metrics (flushed per invocation), request and correlation ids, the 64 KiB body
 * limit, JSON parsing, valibot validation of body, query and path (every violated field in one 400), RFC 9457
 * errors, security and tracing headers on every response, and optional idempotency keys. Schemas are given once,
 * at module init.
 *
 * @example
 * ```ts
 * export const handler = httpHandler({
 *   body: v.object({ name: v.pipe(v.string(), v.minLength(1), v.maxLength(80)) }),
 *   auth: "required",
 *   successStatus: 201,
 *   idempotency: { table: "ForumsTable" },
 *   handler: async ({ body, auth }) => createForum(body.name, auth.userId),
 * });
 * ```
 */
export function httpHandler<
  TBody extends RequestSchema | undefined = undefined,
  TQuery extends RequestSchema | undefined = undefined,
  TPath extends RequestSchema | undefined = undefined,
  TAuth extends AuthMode = "optional",
  TResponse extends RequestSchema | undefined = undefined,
>(
  options: HttpHandlerOptions<TBody, TQuery, TPath, TAuth, TResponse>,
): MiddyfiedHandler<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const { handler, successStatus, maxBodyBytes } = { ...defaults, ...options };
  if (typeof handler !== "function") throw new TypeError("httpHandler: handler must be a function");
  if (!Number.isInteger(successStatus) || successStatus < 200 || successStatus > 299) {
    throw new TypeError("httpHandler: successStatus must be a 2xx status");
  }
  if (options.auth !== undefined && options.auth !== "required" && options.auth !== "optional") {
    throw new TypeError('httpHandler: auth must be "required" or "optional"');
  }
  if (options.cache && options.auth === "required") {
    throw new TypeError("httpHandler: cache is for public GETs, not for a route that requires auth");
  }
  const validateResponses = options.validateResponses ?? process.env.SUMMIT_VALIDATE_RESPONSES === "1";
  const checkResponse = validateResponses && options.response ? responseValidator(options.response) : undefined;

  const route = async (event: HttpEvent): Promise<APIGatewayProxyResult> => {
    const exchange = event.exchange;
    if (!exchange) throw new Error("httpHandler: the route ran without its middlewares");
    if (exchange.replay) return exchange.replay;
    const request = exchange.request as RouteRequest<TBody, TQuery, TPath, TAuth> | undefined;
    if (!request) throw new Error("httpHandler: the route ran before request validation");
    const output = await runWithInvocation({ correlationId: exchange.correlationId }, () => handler(request));
    // A response schema types the body (JSON API bodies are objects or arrays); the shape is read as any output.
    const result = toHttpResult(output as RouteOutput, successStatus);
    checkResponse?.(result);
    return result;
  };

  // Order matters: `before` phases run top-down; `after` and `onError` bottom-up, so the problem mapping sees
  // the error before the headers are added, and idempotency sees the response before anything decorates it.
  // `conditionalGet` sits right inside `responseHeaders`: its `after` sees the final body (the route's, or a
  // replay) and digests it before the per-request headers (x-request-id, trace id) exist; a thrown error never
  // reaches it, and `responseHeaders` gives the problem `no-store`.
  const stack = middy<HttpEvent, APIGatewayProxyResult>()
    .use(flushMetrics())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(traceHandler())
    .use(requestIdentity())
    .use(responseHeaders())
    .use(problemResponse());
  if (options.cache) stack.use(conditionalGet(options.cache));
  if (options.auth === "required") stack.use(requireAuth());
  stack.use(bodyLimit({ maxBytes: maxBodyBytes }));
  if (options.body !== undefined) stack.use(jsonBody());
  stack.use(requestValidation({ body: options.body, query: options.query, path: options.path }));
  if (options.idempotency) stack.use(idempotency(options.idempotency));
  return stack.handler(route);
}
