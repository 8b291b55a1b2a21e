import type { APIGatewayProxyEvent } from "aws-lambda";
import { resolveCorrelationId, resolveRequestId, resolveTraceHeader } from "./requestIds.js";
import type { HttpResult } from "./result.js";
import type { HttpRequest } from "./types.js";

/**
 * What the middlewares learn about one request, handed from one to the next and to the route.
 * It travels on `request.event` (never in module state): a module outlives the invocation, since Lambda and the
 * local runtime hand a sandbox its next request (one at a time) with the modules already loaded, so state left
 * there would leak into that next request; and handlers called in one process (the tests) may overlap.
 */
export interface HttpExchange {
  /** The event as API Gateway sent it. */
  readonly event: APIGatewayProxyEvent;
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Header names lower-cased: HTTP header names are case-insensitive (RFC 9110 §5.1), API Gateway keeps the client's case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly requestId: string;
  readonly correlationId: string;
  /** The value of the `x-amzn-trace-id` response header. */
  readonly traceHeader: string;
  /** The body as sent (`bodyLimit`): text, or bytes when API Gateway base64-encoded it. */
  rawBody?: string | Uint8Array;
  /** The parsed JSON body (`jsonBody`), wrapped so that a JSON `null` body is told apart from no body. */
  json?: { readonly value: unknown };
  /** The typed request for the handler (`requestValidation`). */
  request?: HttpRequest<unknown, unknown, unknown, unknown>;
  /** A response already known without running the handler (an idempotent replay). */
  replay?: HttpResult;
  /** The idempotency claim this request holds, released or completed when it ends. */
  idempotencyClaim?: { readonly key: string; readonly claimId: string; readonly fingerprint: string } | undefined;
}

/**
 * The event the HTTP middlewares and the route see: `exchange` is absent until the first {@link exchangeFor}
 * attaches it, so the route checks for it.
 */
export type HttpEvent = APIGatewayProxyEvent & { readonly exchange?: HttpExchange };

function lowerCaseHeaders(event: APIGatewayProxyEvent): Record<string, string> {
  // No prototype: a header named `__proto__` or `constructor` is just a header.
  const headers: Record<string, string> = Object.create(null);
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    const last = values?.[values.length - 1];
    if (typeof last === "string") headers[name.toLowerCase()] = last;
  }
  // `headers` holds the last value of each header (API Gateway REST proxy integration); it wins.
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (typeof value === "string") headers[name.toLowerCase()] = value;
  }
  return headers;
}

/**
 * Builds the exchange of one request: headers, request id, correlation id, trace header.
 *
 * @example
 * ```ts
 * const exchange = openExchange(event);
 * exchange.requestId; // the x-request-id of the response
 * ```
 */
export function openExchange(event: APIGatewayProxyEvent): HttpExchange {
  const headers = lowerCaseHeaders(event);
  const requestId = resolveRequestId(headers, event);
  return {
    event,
    method: typeof event.httpMethod === "string" ? event.httpMethod.toUpperCase() : "GET",
    headers,
    requestId,
    correlationId: resolveCorrelationId(headers, requestId),
    traceHeader: resolveTraceHeader(headers),
  };
}

/**
 * The exchange of this request, attached to `request.event` the first time it is asked for (an error raised
 * before the request-identity middleware ran still gets ids and a trace header).
 *
 * @example
 * ```ts
 * const exchange = exchangeFor(request);
 * ```
 */
export function exchangeFor(request: { event: HttpEvent }): HttpExchange {
  const attached = request.event.exchange;
  if (attached) return attached;
  const exchange = openExchange(request.event);
  // A new event object, not a mutation: the caller's event stays as it was sent.
  request.event = { ...request.event, exchange };
  return exchange;
}
