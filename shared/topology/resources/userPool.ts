import type { ResourceDeclaration } from "./resource.js";

/** A Cognito user pool: email usernames and one app client for the service's own sign-in and refresh routes. */
export type UserPoolResource = ResourceDeclaration<"userPool", Record<string, never>>;

/**
 * Declares the service's user pool. The API's authorizer trusts the first pool declared in the system.
 *
 * @example
 * ```ts
 * defineService({ name: "users", resources: { UsersUserPool: userPool() }, … });
 * ```
 */
export function userPool(): UserPoolResource {
  return { kind: "userPool", options: {}, linkable: true, raises: [] };
}
