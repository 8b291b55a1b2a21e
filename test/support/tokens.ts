import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  AdminConfirmSignUpCommand,
  CognitoIdentityProviderClient,
  type CognitoIdentityProviderClientConfig,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from "jose";
import { expect } from "vitest";

/**
 * Token forging for the authorizer's tests: copies of real Cognito tokens with changed claims or signed by another
 * key, and real tokens from other pools and app clients of the local Cognito.
 */

export type SigningKey = Awaited<ReturnType<typeof importJWK>>;

/** The RSA key cognito-local signs every pool's tokens with (shipped in the package, `kid: CognitoLocal`). */
export async function cognitoLocalSigningKey(): Promise<SigningKey> {
  const packageDir = dirname(createRequire(import.meta.url).resolve("cognito-local/package.json"));
  const file = join(packageDir, "lib", "keys", "cognitoLocal.private.json");
  const { jwk } = JSON.parse(readFileSync(file, "utf8")) as { jwk: JWK };
  return importJWK(jwk, "RS256");
}

/** A new RSA key that nobody's JWKS lists. */
export async function strangerKey(): Promise<SigningKey> {
  return (await generateKeyPair("RS256")).privateKey;
}

/** `token`'s claims with `changes` applied, signed by `key` under the original header (same `alg`, `typ`, `kid`). */
export async function resign(token: string, key: SigningKey, changes: JWTPayload = {}): Promise<string> {
  const { alg = "RS256", ...header } = decodeProtectedHeader(token);
  return new SignJWT({ ...decodeJwt(token), ...changes }).setProtectedHeader({ ...header, alg }).sign(key);
}

/** The time claims of `token` moved back so that it expired `agoSeconds` ago, its lifetime unchanged. */
export function expiredClaims(token: string, agoSeconds = 60): JWTPayload {
  const claims = decodeJwt(token);
  const shift = (claims.exp ?? 0) - Math.floor(Date.now() / 1000) + agoSeconds;
  const moved: JWTPayload = {};
  for (const name of ["exp", "iat", "auth_time"]) {
    const value = claims[name];
    if (typeof value === "number") moved[name] = value - shift;
  }
  return moved;
}

/** `token` with its payload replaced by `claims`, keeping the original signature (a forgery). */
export function withForeignPayload(token: string, claims: JWTPayload): string {
  const [header, , signature] = token.split(".");
  return `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(token), ...claims })).toString("base64url")}.${signature}`;
}

/** A new app client (no secret) of `poolId`; returns its id. */
export async function createAppClient(cognito: CognitoIdentityProviderClient, poolId: string): Promise<string> {
  const { UserPoolClient } = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: `e2e-${crypto.randomUUID().slice(0, 8)}`,
      ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    }),
  );
  if (!UserPoolClient?.ClientId) throw new Error("CreateUserPoolClient returned no ClientId");
  return UserPoolClient.ClientId;
}

/** A new user pool with one app client. */
export async function createPool(
  cognito: CognitoIdentityProviderClient,
): Promise<{ poolId: string; clientId: string }> {
  const { UserPool } = await cognito.send(new CreateUserPoolCommand({ PoolName: `e2e-${crypto.randomUUID()}` }));
  if (!UserPool?.Id) throw new Error("CreateUserPool returned no Id");
  return { poolId: UserPool.Id, clientId: await createAppClient(cognito, UserPool.Id) };
}

/** Signs up and confirms `email` in the pool of `clientId`. */
export async function createConfirmedUser(
  cognito: CognitoIdentityProviderClient,
  pool: { poolId: string; clientId: string },
  email: string,
  password: string,
): Promise<void> {
  await cognito.send(
    new SignUpCommand({
      ClientId: pool.clientId,
      Username: email,
      Password: password,
      UserAttributes: [{ Name: "email", Value: email }],
    }),
  );
  await cognito.send(new AdminConfirmSignUpCommand({ UserPoolId: pool.poolId, Username: email }));
}

/** A real access token for `username`, issued through the app client `clientId` (USER_PASSWORD_AUTH). */
export async function accessTokenVia(
  cognito: CognitoIdentityProviderClient,
  clientId: string,
  username: string,
  password: string,
): Promise<string> {
  const { AuthenticationResult } = await cognito.send(
    new InitiateAuthCommand({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  );
  if (!AuthenticationResult?.AccessToken) throw new Error("InitiateAuth returned no AccessToken");
  return AuthenticationResult.AccessToken;
}

/** A user's credentials and real tokens, from which the attacks are forged. */
export interface TokenVictim {
  readonly email: string;
  readonly password: string;
  readonly accessToken: string;
  readonly idToken: string;
}

/** Forges one attack on `victim`: the `authorization` header to send (`undefined`: none). */
export type TokenAttack = (
  victim: TokenVictim,
  cognito: CognitoIdentityProviderClientConfig,
  usersPoolId: string,
) => Promise<string | undefined>;

/**
 * Each way a request may fail to carry a valid access token of the users pool, named: the users suite and the BOLA
 * matrix send every one of them, and each must be a 401.
 */
export const TOKEN_ATTACKS: Readonly<Record<string, TokenAttack>> = {
  "no authorization header": async () => undefined,
  "Bearer abc": async () => "Bearer abc",
  "Basic credentials": async (victim) =>
    `Basic ${Buffer.from(`${victim.email}:${victim.password}`).toString("base64")}`,
  "a JWT with characters outside base64url": async (victim) => {
    const [header, , signature] = victim.accessToken.split(".");
    return `Bearer ${header}.@@not+base64/@@.${signature}`;
  },
  "a JWT whose payload does not decode": async (victim) => {
    const [header, , signature] = victim.accessToken.split(".");
    return `Bearer ${header}.A.${signature}`;
  },
  "an expired token signed by the local Cognito's key": async (victim) => {
    const expired = await resign(victim.accessToken, await cognitoLocalSigningKey(), expiredClaims(victim.accessToken));
    expect(decodeJwt(expired).exp).toBeLessThan(Date.now() / 1000);
    return `Bearer ${expired}`;
  },
  "the same claims signed by another key with the same kid": async (victim) =>
    `Bearer ${await resign(victim.accessToken, await strangerKey())}`,
  "claims changed after signing": async (victim) =>
    `Bearer ${withForeignPayload(victim.accessToken, { sub: crypto.randomUUID() })}`,
  "another user pool's access token": async (victim, cognitoConfig) => {
    const cognito = new CognitoIdentityProviderClient(cognitoConfig);
    try {
      const pool = await createPool(cognito);
      await createConfirmedUser(cognito, pool, victim.email, victim.password);
      const token = await accessTokenVia(cognito, pool.clientId, victim.email, victim.password);
      expect(decodeJwt(token)).toMatchObject({ token_use: "access", client_id: pool.clientId });
      expect(decodeJwt(token).iss).toMatch(new RegExp(`/${pool.poolId}$`));
      return `Bearer ${token}`;
    } finally {
      cognito.destroy();
    }
  },
  "another app client's access token in the users pool": async (victim, cognitoConfig, usersPoolId) => {
    const cognito = new CognitoIdentityProviderClient(cognitoConfig);
    try {
      const clientId = await createAppClient(cognito, usersPoolId);
      const token = await accessTokenVia(cognito, clientId, victim.email, victim.password);
      const real = decodeJwt(victim.accessToken);
      expect(decodeJwt(token)).toMatchObject({ token_use: "access", iss: real.iss, sub: real.sub });
      expect(decodeJwt(token).client_id).not.toBe(real.client_id);
      return `Bearer ${token}`;
    } finally {
      cognito.destroy();
    }
  },
  "an ID token": async (victim) => `Bearer ${victim.idToken}`,
};
