import {
  AdminConfirmSignUpCommand,
  AdminDeleteUserCommand,
  type AuthenticationResultType,
  InitiateAuthCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { decodeJwt, type JWTPayload } from "jose";
import { cognitoClient } from "../../shared/aws/cognito.js";
import { resource } from "../../shared/config.js";
import { badRequest, type FieldError, tooManyRequests, unauthorized } from "../../shared/http/problem.js";
import type { Tokens } from "./api.js";

/**
 * The service's identities in its Cognito user pool (`UsersUserPool`, with the app client the stacks create).
 * Emails are the usernames; every call uses the pool's own uniqueness and password checks.
 */

const pool = () => {
  const linked = resource("UsersUserPool");
  return { id: linked.id as string, clientId: linked.clientId as string };
};

const errorName = (error: unknown): string => (error instanceof Error ? error.name : "");

/** Cognito refusing to authenticate, whatever the reason; the caller learns only "not these credentials". */
const NOT_AUTHENTICATED = new Set([
  "NotAuthorizedException",
  "UserNotFoundException",
  // cognito-local answers a wrong password with this; AWS says NotAuthorizedException.
  "InvalidPasswordException",
  "UserNotConfirmedException",
  "PasswordResetRequiredException",
]);
const THROTTLED = new Set(["TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException"]);

/**
 * The fields of a sign-up that Cognito's `InvalidParameterException` names ("Value at 'password' failed to satisfy
 * constraint: ..."): the password, or the username and its attributes, which are the email; the whole body when it
 * names neither. A 400 always says which field.
 *
 * @example
 * ```ts
 * refusedFields("1 validation error detected: Value at 'password' failed to satisfy constraint: ..."); // [{ path: "body.password", ... }]
 * ```
 */
export function refusedFields(message: string): FieldError[] {
  const fields = [
    ...(/'password'/i.test(message) ? ["body.password"] : []),
    ...(/'(username|userAttributes[^']*)'/i.test(message) ? ["body.email"] : []),
  ];
  return (fields.length > 0 ? fields : ["body"]).map((path) => ({ path, message: "the identity provider refused it" }));
}

export class EmailTakenInCognito extends Error {
  override readonly name = "EmailTakenInCognito";
}

/**
 * Creates the identity and confirms it, so the user can sign in at once. Returns its `sub`, the user id.
 * A password the pool refuses is the client's 400; an existing username is {@link EmailTakenInCognito}.
 */
export async function createIdentity(email: string, password: string): Promise<string> {
  const { id, clientId } = pool();
  let sub: string | undefined;
  try {
    const created = await cognitoClient().send(
      new SignUpCommand({
        ClientId: clientId,
        Username: email,
        Password: password,
        UserAttributes: [{ Name: "email", Value: email }],
      }),
    );
    sub = created.UserSub;
  } catch (error) {
    const name = errorName(error);
    if (name === "UsernameExistsException" || name === "AliasExistsException") throw new EmailTakenInCognito(email);
    if (name === "InvalidPasswordException")
      throw badRequest("the password does not meet the policy", [{ path: "body.password", message: message(error) }]);
    if (name === "InvalidParameterException")
      throw badRequest(`the identity provider refused it: ${message(error)}`, refusedFields(message(error)));
    if (THROTTLED.has(name)) throw tooManyRequests("too many sign-ups right now; try again shortly");
    throw error;
  }
  if (!sub) throw new Error("Cognito SignUp returned no UserSub");
  try {
    await cognitoClient().send(new AdminConfirmSignUpCommand({ UserPoolId: id, Username: email }));
  } catch (error) {
    // An unconfirmed identity is of no use to anyone: remove it now rather than wait for the next sign-up.
    await deleteIdentity(email).catch(() => undefined);
    throw error;
  }
  return sub;
}

/** Deletes the identity of `email`; an identity already gone is fine (compensation must be repeatable). */
export async function deleteIdentity(email: string): Promise<void> {
  try {
    await cognitoClient().send(new AdminDeleteUserCommand({ UserPoolId: pool().id, Username: email }));
  } catch (error) {
    if (errorName(error) !== "UserNotFoundException") throw error;
  }
}

/** One answer for every refused sign-in, so it tells nobody whether an email is registered. */
const refused = () => unauthorized("the email or password is not correct");

export async function signIn(email: string, password: string): Promise<Tokens> {
  const result = await authenticate("USER_PASSWORD_AUTH", { USERNAME: email, PASSWORD: password }, refused);
  return tokensOf(result);
}

export async function refresh(refreshToken: string): Promise<Tokens> {
  const result = await authenticate("REFRESH_TOKEN_AUTH", { REFRESH_TOKEN: refreshToken }, () =>
    unauthorized("the refresh token is not valid"),
  );
  // Cognito issues no new refresh token (unless rotation is on): the one given stays valid, so it is returned.
  return tokensOf({ ...result, RefreshToken: result.RefreshToken ?? refreshToken });
}

async function authenticate(
  flow: "USER_PASSWORD_AUTH" | "REFRESH_TOKEN_AUTH",
  parameters: Record<string, string>,
  refusal: () => Error,
): Promise<AuthenticationResultType> {
  let result: AuthenticationResultType | undefined;
  try {
    ({ AuthenticationResult: result } = await cognitoClient().send(
      new InitiateAuthCommand({ AuthFlow: flow, ClientId: pool().clientId, AuthParameters: parameters }),
    ));
  } catch (error) {
    const name = errorName(error);
    if (NOT_AUTHENTICATED.has(name)) throw refusal();
    if (THROTTLED.has(name)) throw tooManyRequests("too many sign-in attempts; try again shortly");
    throw error;
  }
  // A challenge (a new password required, MFA) is not a sign-in this API completes.
  if (!result?.AccessToken || !result.IdToken) throw refusal();
  return result;
}

function tokensOf(result: AuthenticationResultType): Tokens {
  const accessToken = result.AccessToken!;
  return {
    accessToken,
    idToken: result.IdToken!,
    refreshToken: result.RefreshToken!,
    // Cognito answers ExpiresIn; where it does not (the local emulator), the token's own `exp` says the same.
    expiresIn: result.ExpiresIn ?? secondsUntilExpiry(accessToken),
    tokenType: "Bearer",
  };
}

/**
 * Seconds until a JWT's `exp` (its payload is decoded, not verified: the token came straight from Cognito).
 * A token that is not a JWT at all is a `SyntaxError`, with jose's reason as its `cause`.
 */
export function secondsUntilExpiry(jwt: string, nowMs = Date.now()): number {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(jwt);
  } catch (cause) {
    throw new SyntaxError("the access token is not a JWT", { cause });
  }
  if (typeof claims.exp !== "number") throw new Error("the access token carries no exp");
  return Math.max(0, claims.exp - Math.floor(nowMs / 1000));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
