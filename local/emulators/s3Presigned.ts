import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { S3RequestError } from "./s3Notifications.js";

/**
 * What fauxqs does not check on a presigned request, checked the way S3 does ("Authenticating Requests: Using Query
 * Parameters (AWS Signature Version 4)"), before the request reaches it:
 * - the signature over the method, path, query, and every header in `X-Amz-SignedHeaders` with the value the client
 *   really sent: another `content-length` (other bytes) or `content-type` than the signed ones is
 *   `403 SignatureDoesNotMatch`, as a changed URL or a wrong secret is;
 * - the expiry: after `X-Amz-Date` + `X-Amz-Expires` it is `403 AccessDenied` ("Request has expired"); a lifetime
 *   over 7 days, or a malformed date, is `400 AuthorizationQueryParametersError`;
 * - an access key it does not know is `403 InvalidAccessKeyId`.
 * Requests signed in the `Authorization` header are not checked (the SDK signs those itself, correctly).
 */

/** The secret of an access key, or `undefined` for a key the local S3 does not know. */
export type SecretLookup = (accessKeyId: string) => string | undefined;

/** The local credentials' convention (`local`/`local`, `test`/`test`): the secret is the key id. */
export const secretIsKeyId: SecretLookup = (accessKeyId) => accessKeyId;

const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;
const ALGORITHM = "AWS4-HMAC-SHA256";

/** RFC 3986 encoding, as SigV4 canonicalizes the query. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The query's pairs decoded, in the order sent (a `+` is a plus: the SDK encodes spaces as %20). */
function queryPairs(rawQuery: string): [string, string][] {
  if (!rawQuery) return [];
  return rawQuery.split("&").map((part) => {
    const eq = part.indexOf("=");
    const [k, v] = eq === -1 ? [part, ""] : [part.slice(0, eq), part.slice(eq + 1)];
    return [decodeURIComponent(k), decodeURIComponent(v)];
  });
}

function amzDateMs(amzDate: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}

const sha256 = (data: string) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value.join(",") : value).trim().replace(/\s+/g, " ");
}

const mismatch = () =>
  new S3RequestError(
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    403,
  );

/** Whether a request is authenticated by query parameters (a presigned URL). */
export function isPresigned(rawUrl: string): boolean {
  return /[?&]X-Amz-Signature=/.test(rawUrl);
}

/**
 * The S3 error a presigned request earns, or `undefined` when S3 would take it.
 *
 * @example
 * ```ts
 * const refusal = checkPresigned({ method: req.method, url: req.url, headers: req.headers }, secretIsKeyId);
 * ```
 */
export function checkPresigned(
  request: { readonly method: string; readonly url: string; readonly headers: IncomingHttpHeaders },
  secretFor: SecretLookup,
  nowMs: number = Date.now(),
): S3RequestError | undefined {
  const q = request.url.indexOf("?");
  const path = q === -1 ? request.url : request.url.slice(0, q);
  let pairs: [string, string][];
  try {
    pairs = queryPairs(q === -1 ? "" : request.url.slice(q + 1));
  } catch {
    return new S3RequestError("AuthorizationQueryParametersError", "The query string is not well formed.", 400);
  }
  const param = (name: string) => pairs.find(([k]) => k === name)?.[1];
  const algorithm = param("X-Amz-Algorithm");
  const credential = param("X-Amz-Credential");
  const amzDate = param("X-Amz-Date");
  const expires = param("X-Amz-Expires");
  const signedHeaders = param("X-Amz-SignedHeaders");
  const signature = param("X-Amz-Signature");
  if (algorithm !== ALGORITHM || !credential || !amzDate || !expires || !signedHeaders || !signature)
    return new S3RequestError(
      "AuthorizationQueryParametersError",
      "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
      400,
    );
  const signedAt = amzDateMs(amzDate);
  const lifetime = Number(expires);
  if (signedAt === undefined)
    return new S3RequestError(
      "AuthorizationQueryParametersError",
      "X-Amz-Date must be in the ISO8601 Long Format.",
      400,
    );
  if (!Number.isInteger(lifetime) || lifetime < 0 || lifetime > MAX_EXPIRES_SECONDS)
    return new S3RequestError(
      "AuthorizationQueryParametersError",
      "X-Amz-Expires must be less than a week (in seconds) that is 604800",
      400,
    );
  if (nowMs > signedAt + lifetime * 1000) return new S3RequestError("AccessDenied", "Request has expired", 403);

  const [accessKeyId, scopeDate, region, service, terminator] = credential.split("/");
  const secret = accessKeyId ? secretFor(accessKeyId) : undefined;
  if (!accessKeyId || secret === undefined)
    return new S3RequestError(
      "InvalidAccessKeyId",
      "The AWS Access Key Id you provided does not exist in our records.",
      403,
    );
  if (!scopeDate || !region || !service || terminator !== "aws4_request" || !amzDate.startsWith(scopeDate))
    return new S3RequestError(
      "AuthorizationQueryParametersError",
      "Error parsing the X-Amz-Credential parameter.",
      400,
    );

  const names = signedHeaders.split(";");
  const canonicalHeaders = names.map((name) => `${name}:${headerValue(request.headers, name) ?? ""}\n`).join("");
  const canonicalQuery = pairs
    .filter(([k]) => k !== "X-Amz-Signature")
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const payloadHash = param("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD";
  const canonicalRequest = [request.method, path, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join(
    "\n",
  );
  const scope = `${scopeDate}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256(canonicalRequest)].join("\n");
  let key = hmac(`AWS4${secret}`, scopeDate);
  for (const part of [region, service, "aws4_request"]) key = hmac(key, part);
  const expected = Buffer.from(createHmac("sha256", key).update(stringToSign).digest("hex"));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return mismatch();
  return undefined;
}
