import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { formatTraceHeader, newTraceId, parseTraceHeader } from "../tracing/index.js";

// A client-chosen id is echoed in a response header and written to logs: only plain tokens, no spaces or
// control characters (which could split a header or a log line), at most 128 characters.
const SANE_TOKEN = /^[A-Za-z0-9._~:+=/-]{1,128}$/;

/**
 * Whether a client-sent id may be reused as is.
 *
 * @example
 * ```ts
 * isSaneToken("req-42"); // true
 * isSaneToken("a b\r\n"); // false
 * ```
 */
export function isSaneToken(value: string | undefined): value is string {
  return value !== undefined && SANE_TOKEN.test(value);
}

/**
 * The request id: the client's `x-request-id` if sane, else API Gateway's `requestContext.requestId`, else a UUID.
 *
 * @example
 * ```ts
 * resolveRequestId(headers, event); // "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
 * ```
 */
export function resolveRequestId(headers: Readonly<Record<string, string>>, event: APIGatewayProxyEvent): string {
  const sent = headers["x-request-id"];
  if (isSaneToken(sent)) return sent;
  const gateway: unknown = event.requestContext?.requestId;
  if (typeof gateway === "string" && isSaneToken(gateway)) return gateway;
  return randomUUID();
}

/**
 * The correlation id: the client's `x-correlation-id` if sane (work that started elsewhere), else the request id.
 *
 * @example
 * ```ts
 * resolveCorrelationId(headers, requestId);
 * ```
 */
export function resolveCorrelationId(headers: Readonly<Record<string, string>>, requestId: string): string {
  const sent = headers["x-correlation-id"];
  return isSaneToken(sent) ? sent : requestId;
}

/**
 * The X-Ray trace that serves this request, as a response header value: the invocation's `_X_AMZN_TRACE_ID`
 * (Lambda sets it per invocation), else the incoming `x-amzn-trace-id`, else a new trace id, so every response
 * names one.
 *
 * @example
 * ```ts
 * resolveTraceHeader(headers); // "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
 * ```
 */
export function resolveTraceHeader(
  headers: Readonly<Record<string, string>>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const trace = parseTraceHeader(env._X_AMZN_TRACE_ID) ?? parseTraceHeader(headers["x-amzn-trace-id"]);
  if (!trace) return formatTraceHeader({ root: newTraceId() });
  return formatTraceHeader({ root: trace.root, ...(trace.sampled !== undefined ? { sampled: trace.sampled } : {}) });
}
