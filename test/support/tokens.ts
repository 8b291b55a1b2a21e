import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  AdminConfirmSignUpCommand,
  type CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from "jose";

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
