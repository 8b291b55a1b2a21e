import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyResult } from "aws-lambda";
import { exchangeFor, type HttpEvent } from "./exchange.js";

// For a JSON API nothing is to be framed, embedded or sniffed; these are OWASP's recommended API headers.
const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "strict-transport-security": "max-age=63072000; includeSubDomains",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
} as const;

export interface ResponseHeadersOptions {
  /** `cache-control` when the handler set none: API responses are private and live by default. */
  readonly cacheControl?: string;
}

const defaults = { cacheControl: "no-store" } satisfies ResponseHeadersOptions;

type Request = { event: HttpEvent; response: APIGatewayProxyResult | null | undefined };

/**
 * Adds the headers every response carries, success or error: security headers, `cache-control` (unless the
 * handler chose one), `x-request-id` and `x-amzn-trace-id`. Header names are written lower-case.
 *
 * @example
 * ```ts
 * middy(route).use(responseHeaders()).use(problemResponse());
 * ```
 */
export function responseHeaders(options: ResponseHeadersOptions = {}): MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  const { cacheControl } = { ...defaults, ...options };
  if (typeof cacheControl !== "string" || cacheControl === "")
    throw new TypeError("responseHeaders: cacheControl must be a string");

  const finish = (request: Request): void => {
    const response = request.response;
    if (!response) return;
    const exchange = exchangeFor(request);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = String(value);
    request.response = {
      ...response,
      headers: {
        "cache-control": cacheControl,
        ...headers,
        ...SECURITY_HEADERS,
        "x-request-id": exchange.requestId,
        "x-amzn-trace-id": exchange.traceHeader,
      },
    };
  };
  const responseHeadersAfter = (request: Request): void => finish(request);
  // Runs after the problem mapping has turned the error into a response (middy runs onError last-registered first).
  const responseHeadersOnError = (request: Request): void => finish(request);
  return { after: responseHeadersAfter, onError: responseHeadersOnError };
}
