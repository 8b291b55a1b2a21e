import type { RouteNode, Topology } from "../shared/topology/index.js";
import type { Apis } from "./api.js";

/**
 * CloudFront's managed origin request policy `AllViewerExceptHostHeader`: every viewer header, cookie and query string
 * except `Host` goes to the origin. It is how `Authorization` reaches the API without being in the cache key: a
 * custom origin request policy may not list `Authorization` (CloudFront refuses it with a 400; the header must be in
 * the cache key or come with an all-viewer-headers policy), and API Gateway needs its own domain as `Host` to find
 * the base-path mapping, so `AllViewer` would break it.
 */
const ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
/** CloudFront's managed cache policy `CachingDisabled` (TTLs 0, nothing in the key): what is not cached passes through. */
const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/** The longest the CDN keeps anything, whatever `s-maxage` an origin sends. */
const CDN_MAX_TTL_SECONDS = 86_400;
/** The status codes CloudFront lets a distribution set an error caching TTL for. */
const CLOUDFRONT_ERROR_CODES = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504] as const;
const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

export interface Cdn {
  readonly cdn: sst.aws.Cdn;
  readonly cachePolicy: aws.cloudfront.CachePolicy;
  /** The CDN's own name, `cdn.<stage domain>`. */
  readonly domain: string;
}

/** A route template as a CloudFront path pattern: each `{param}` becomes `*` (which also crosses `/`). */
const pathPattern = (fullPath: string): string => fullPath.replace(/\{[^}]+\}/g, "*");

/** Whether a CloudFront path pattern (`*` any characters, `?` one) matches a path. */
function patternMatches(pattern: string, path: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`).test(path);
}

/** A path a route template serves (`/products/{productId}` → `/products/x`), to test patterns against. */
const samplePath = (route: RouteNode): string => route.fullPath.replace(/\{[^}]+\}/g, "x");

/**
 * The path patterns of the cached routes, exact ones first. Throws when one would also cover a GET that needs a
 * token: CloudFront collapses concurrent requests for one cache key even when the answer is `private` or
 * `no-store`, and `Authorization` is not in the key, so such a GET must stay on the uncached default behaviour.
 */
export function cachedPathPatterns(topology: Topology): string[] {
  // `?.`: the offline synth hands the stacks a JSON topology without route definitions (they hold schemas).
  const cached = topology.routes.filter((r) => r.definition?.cache);
  const patterns = [...new Set(cached.map((r) => pathPattern(r.fullPath)))].sort(
    (a, b) => Number(a.includes("*")) - Number(b.includes("*")) || b.length - a.length || (a < b ? -1 : 1),
  );
  for (const pattern of patterns) {
    const covered = topology.routes.find((r) => r.auth && r.method === "GET" && patternMatches(pattern, samplePath(r)));
    if (covered)
      throw new Error(`the CDN's cached pattern ${pattern} would cover GET ${covered.fullPath}, which needs a token`);
  }
  return patterns;
}

/**
 * The CDN in front of the stage's API: a CloudFront distribution whose one origin is the API custom domain (HTTPS
 * only), on its own name `cdn.<stage domain>`. The APIs and their base-path mappings stay as they are: clients that
 * want the edge use the CDN's name, everything else keeps working on the API domain. A name of our own, not the
 * `*.cloudfront.net` one, so it survives the distribution being replaced and lives in the API domain's hosted zone,
 * which validates its certificate (CloudFront's, in us-east-1).
 *
 * - The cached routes' paths (`cachedPathPatterns`) take their TTLs from the origin's `Cache-Control` (min 0,
 *   default 0, max a day): `s-maxage` for a public GET, nothing for `private`/`no-store` (an authorized request's
 *   answer), nothing for an answer without caching headers. The cache key is the path and every query string: no
 *   header, no cookie. `Authorization` still reaches the API, through `AllViewerExceptHostHeader`.
 * - Every other path (the default behaviour) is not cached at all (`CachingDisabled`), so a GET that needs a token
 *   is neither stored nor collapsed with another caller's.
 * - Every method is allowed (writes pass through, never cached); HTTP is redirected to HTTPS; 4xx and 5xx are
 *   cached for 0 s (CloudFront's default is 10 s); X-Ray stays on the API stages and functions, the viewer's
 *   `X-Amzn-Trace-Id` passes through with the other headers.
 *
 * Created only when some route declares `cache`. Like CloudFront itself, nothing purges on a write: staleness is
 * bounded by `s-maxage`.
 */
export function createCdn(topology: Topology, apis: Apis, domain: string): Cdn | undefined {
  const patterns = cachedPathPatterns(topology);
  if (patterns.length === 0) return undefined;
  // The domain resource, so the distribution is created after the API domain it points at.
  const api = Object.values(apis)[0];
  if (!api) throw new Error("routes declare cache, but no API was created");
  const originDomain = api.nodes.domainName.apply((d) => d.domainName);

  const cachePolicy = new aws.cloudfront.CachePolicy("ApiCdnCachePolicy", {
    comment: "Summit API: TTLs from the origin's Cache-Control; key is path and query strings",
    minTtl: 0,
    defaultTtl: 0,
    maxTtl: CDN_MAX_TTL_SECONDS,
    parametersInCacheKeyAndForwardedToOrigin: {
      headersConfig: { headerBehavior: "none" },
      cookiesConfig: { cookieBehavior: "none" },
      queryStringsConfig: { queryStringBehavior: "all" },
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    },
  });
  const behaviour = {
    targetOriginId: "api",
    viewerProtocolPolicy: "redirect-to-https",
    allowedMethods: METHODS,
    cachedMethods: ["GET", "HEAD"],
    compress: true,
    originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST,
  };
  const cdnDomain = `cdn.${domain}`;
  const cdn = new sst.aws.Cdn("ApiCdn", {
    comment: `Summit API CDN in front of ${domain}`,
    origins: [
      {
        originId: "api",
        domainName: originDomain,
        customOriginConfig: {
          httpPort: 80,
          httpsPort: 443,
          originProtocolPolicy: "https-only",
          originSslProtocols: ["TLSv1.2"],
        },
      },
    ],
    defaultCacheBehavior: { ...behaviour, cachePolicyId: CACHING_DISABLED },
    orderedCacheBehaviors: patterns.map((pattern) => ({
      ...behaviour,
      pathPattern: pattern,
      cachePolicyId: cachePolicy.id,
    })),
    customErrorResponses: CLOUDFRONT_ERROR_CODES.map((errorCode) => ({ errorCode, errorCachingMinTtl: 0 })),
    domain: cdnDomain,
  });
  return { cdn, cachePolicy, domain: cdnDomain };
}
