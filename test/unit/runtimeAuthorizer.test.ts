import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { beforeAll, describe, expect, test } from "vitest";
import { cognitoAuthorizer, SIGNIN_SCOPE } from "../../local/runtime/gateway/cognitoAuthorizer.js";

const issuer = "http://127.0.0.1:9229/local_pool";
let sign: (claims: JWTPayload, expiresIn?: string | number) => Promise<string>;
let authorize: ReturnType<typeof cognitoAuthorizer>;
let keys: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  keys = createLocalJWKSet({ keys: [jwk] });
  authorize = cognitoAuthorizer({ keys, issuer, clientIds: ["client-1"] });
  sign = (claims, expiresIn = "1h") =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(privateKey);
});

const access = { sub: "u-1", token_use: "access", client_id: "client-1", scope: SIGNIN_SCOPE, username: "u" };

describe("the Cognito authorizer (own JWKS)", () => {
  test("accepts a valid access token and passes its claims as strings", async () => {
    const result = await authorize(`Bearer ${await sign(access)}`);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.claims.sub).toBe("u-1");
      expect(result.claims.exp).toMatch(/^\d+$/);
    }
  });

  test.each([
    ["an expired token", () => sign(access, Math.floor(Date.now() / 1000) - 10), "expired token"],
    ["an ID token", () => sign({ ...access, token_use: "id", aud: "client-1" }), "a id token"],
    ["another app client", () => sign({ ...access, client_id: "client-2" }), "token of another app client"],
    ["no signin scope", () => sign({ ...access, scope: "openid" }), "missing scope"],
  ])("refuses %s", async (_name, make, reason) => {
    const token = await make();
    const result = await authorize(`Bearer ${token}`);
    expect(result).toEqual({ ok: false, reason });
  });

  test("refuses a token from another issuer and a missing or malformed header", async () => {
    expect(await authorize(undefined)).toEqual({ ok: false, reason: "no bearer token" });
    expect(await authorize("Bearer abc")).toEqual({ ok: false, reason: "malformed bearer token" });
    const elsewhere = cognitoAuthorizer({ keys, issuer: "http://127.0.0.1:1/other_pool", clientIds: ["client-1"] });
    expect(await elsewhere(`Bearer ${await sign(access)}`)).toEqual({ ok: false, reason: "claim iss refused" });
  });
});
