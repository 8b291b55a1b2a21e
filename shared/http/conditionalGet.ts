import { createHash } from "node:crypto";
import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyResult } from "aws-lambda";
import { exchangeFor, type HttpEvent } from "./exchange.js";

/** How long a public GET may be reused: by any cache (`max-age`) and by shared caches, the CDN (`s-maxage`). */
export interface ConditionalGetOptions {
  readonly maxAgeSeconds: number;
  readonly sMaxAgeSeconds: number;
}

type Request = { event: HttpEvent; response: APIGatewayProxyResult | null | undefined };

// 128 bits of the SHA-256 are plenty to tell two bodies apart, and keep the header short.
const DIGEST_CHARS = 22;
// RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc may be a comma, so a list is not split on commas.
const ENTITY_TAG = /(?:W\/)?"([\x21\x23-\x7e\x80-\xff]*)"/g;
// Headers of the representation itself, which a 304 does not send (RFC 9110 §15.4.5).
const REPRESENTATION_HEADERS = new Set(["content-type", "content-length", "content-encoding", "content-language"]);

/**
 * The strong entity tag of a body: a quoted digest of its exact bytes (the bytes API Gateway sends, decoded when
 * the body is base64), so only byte-identical bodies share one.
 *
 * @example
 * ```ts
 * strongEtag('{"productId":"p1"}'); // '"mPk1…"'
 * ```
 */
export function strongEtag(body: string, isBase64Encoded = false): string {
  const bytes = isBase64Encoded ? Buffer.from(body, "base64") : Buffer.from(body, "utf8");
  return `"${createHash("sha256").update(bytes).digest("base64url").slice(0, DIGEST_CHARS)}"`;
}

/**
 * Whether an `If-None-Match` value matches the current entity tag (RFC 9110 §13.1.2): `*` matches any current
 * representation, else any listed tag matches by the weak comparison (`W/"x"` matches `"x"`). A value with no
 * well-formed tag matches nothing.
 *
 * @example
 * ```ts
 * ifNoneMatchMatches('"a", W/"b"', '"b"'); // true
 * ifNoneMatchMatches("*", '"b"'); // true
 * ```
 */
export function ifNoneMatchMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === "*") return true;
  const current = etag.startsWith("W/") ? etag.slice(2) : etag;
  for (const match of ifNoneMatch.matchAll(ENTITY_TAG)) if (`"${match[1]}"` === current) return true;
  return false;
}

function checkSeconds(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`conditionalGet: ${name} must be a whole number of seconds, 0 or more`);
  }
  return value;
}

function withVary(vary: string | undefined, name: string): string {
  const names = (vary ?? "").split(",").map((part) => part.trim());
  if (names.some((part) => part === "*" || part.toLowerCase() === name.toLowerCase())) return vary ?? name;
  return [...names.filter((part) => part !== ""), name].join(", ");
}

/**
 * HTTP caching of a public GET, for the CDN and the browser. A 200 gets a strong `etag` (a digest of the body,
 * computed once) and `cache-control: public, max-age=…, s-maxage=…`; a request whose `if-none-match` matches gets
 * a 304 with no body that keeps `etag`, `cache-control` and `vary`. A 4xx or 5xx is `no-store`; other statuses and
 * methods keep what the common headers give them.
 *
 * A request with `authorization` is answered `private` (RFC 9111 §5.2.2.7: no shared cache may store it; with
 * `public` or `s-maxage` a shared cache *may* store an authorized response, §3.5), and every answer carries
 * `vary: authorization` so a cache that keys on it never hands the anonymous copy to a signed-in caller, whose
 * answer may differ. `private` is what keeps authorized responses out of the CDN; `vary` alone would not (CloudFront
 * does not key on `vary`).
 *
 * Register it after `responseHeaders` and `problemResponse` (middy runs `after` bottom-up): it then sees the final
 * body, and the per-request headers (`x-request-id`, the trace id) are added after it, outside the digest.
 *
 * @example
 * ```ts
 * middy(route).use(responseHeaders()).use(problemResponse()).use(conditionalGet({ maxAgeSeconds: 60, sMaxAgeSeconds: 300 }));
 * ```
 */
export function conditionalGet(options: ConditionalGetOptions): MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  if (typeof options !== "object" || options === null) throw new TypeError("conditionalGet: options are required");
  const maxAge = checkSeconds("maxAgeSeconds", options.maxAgeSeconds);
  const sMaxAge = checkSeconds("sMaxAgeSeconds", options.sMaxAgeSeconds);
  const publicCacheControl = `public, max-age=${maxAge}, s-maxage=${sMaxAge}`;
  const privateCacheControl = `private, max-age=${maxAge}`;

  const conditionalGetAfter = (request: Request): void => {
    const response = request.response;
    if (!response) return;
    const exchange = exchangeFor(request);
    if (exchange.method !== "GET") return;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = String(value);
    if (response.statusCode >= 400) {
      request.response = { ...response, headers: { ...headers, "cache-control": "no-store" } };
      return;
    }
    if (response.statusCode !== 200) return;

    // A handler that knows its representation's version may set its own etag; otherwise the body's digest.
    const etag = headers.etag ?? strongEtag(response.body, response.isBase64Encoded === true);
    headers.etag = etag;
    headers["cache-control"] = exchange.headers.authorization === undefined ? publicCacheControl : privateCacheControl;
    headers.vary = withVary(headers.vary, "authorization");
    if (!ifNoneMatchMatches(exchange.headers["if-none-match"], etag)) {
      request.response = { ...response, headers };
      return;
    }
    for (const name of REPRESENTATION_HEADERS) delete headers[name];
    request.response = { ...response, statusCode: 304, headers, body: "", isBase64Encoded: false };
  };
  return { after: conditionalGetAfter };
}
