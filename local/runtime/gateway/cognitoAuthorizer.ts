import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";

/** The scope every access token from `USER_PASSWORD_AUTH` carries; the authorized methods require it. */
export const SIGNIN_SCOPE = "aws.cognito.signin.user.admin";

export interface CognitoAuthorizerOptions {
  /** The pool's signing keys (its JWKS). */
  readonly keys: JWTVerifyGetKey;
  /** Exactly the `iss` the pool writes. */
  readonly issuer: string;
  /** The pool's app clients: an access token's `client_id` must be one of them. */
  readonly clientIds: readonly string[];
  /** The method's authorization scopes: the token must carry one. */
  readonly scopes?: readonly string[];
  /** Clock skew tolerated on `exp`, seconds; default 0. */
  readonly clockToleranceSeconds?: number;
}

export type AuthorizerResult =
  | { readonly ok: true; readonly claims: Record<string, string> }
  | { readonly ok: false; readonly reason: string };

/**
 * The REST API `COGNITO_USER_POOLS` authorizer of a method with authorization scopes ("Integrate a REST API
 * with an Amazon Cognito user pool"): the `Authorization` header's bearer token must be signed by the pool
 * (RS256, its JWKS), unexpired, issued by the pool, an access token (`token_use`), for one of the pool's app
 * clients, and carry one of the scopes. An ID token is refused because methods with scopes require access tokens.
 * The claims reach the function as strings, as API Gateway passes them.
 */
export function cognitoAuthorizer(options: CognitoAuthorizerOptions) {
  const scopes = options.scopes ?? [SIGNIN_SCOPE];
  return async function authorize(authorization: string | undefined): Promise<AuthorizerResult> {
    if (!authorization) return { ok: false, reason: "no bearer token" };
    const match = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/i.exec(authorization);
    if (!match) return { ok: false, reason: "malformed bearer token" };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1]!, options.keys, {
        issuer: options.issuer,
        algorithms: ["RS256"],
        clockTolerance: options.clockToleranceSeconds ?? 0,
        requiredClaims: ["exp", "token_use"],
      }));
    } catch (error) {
      return { ok: false, reason: describe(error) };
    }
    if (payload.token_use !== "access") return { ok: false, reason: `a ${String(payload.token_use)} token` };
    if (typeof payload.client_id !== "string" || !options.clientIds.includes(payload.client_id))
      return { ok: false, reason: "token of another app client" };
    const granted = typeof payload.scope === "string" ? payload.scope.split(" ") : [];
    if (!scopes.some((scope) => granted.includes(scope))) return { ok: false, reason: "missing scope" };
    return { ok: true, claims: stringClaims(payload) };
  };
}

/** The JWKS of a local Cognito pool, and the issuer it writes: `<endpoint>/<poolId>` (from the host it serves on). */
export function localPoolAuthorizer(cognitoEndpoint: string, poolId: string, clientIds: readonly string[]) {
  const base = cognitoEndpoint.replace(/\/$/, "");
  return cognitoAuthorizer({
    keys: createRemoteJWKSet(new URL(`${base}/${poolId}/.well-known/jwks.json`)),
    issuer: `${base}/${poolId}`,
    clientIds,
  });
}

function stringClaims(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    claims[name] = typeof value === "string" ? value : Array.isArray(value) ? value.join(",") : String(value);
  }
  return claims;
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "expired token";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "bad signature";
  if (error instanceof errors.JWKSNoMatchingKey) return "unknown signing key";
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} refused`;
  if (error instanceof errors.JOSEError) return error.code;
  return "invalid token";
}
