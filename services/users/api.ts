import * as v from "valibot";
import { displayName, id, isoTime, url } from "../../events/fields.js";
import { defineRoute } from "../../shared/topology/defineService.js";

/**
 * The users rows of the HTTP contract: each route's schemas, status and auth, written once. The service lists these
 * routes, each handler reads its own (`routeHandler`), and the OpenAPI document is generated from them.
 */

const ROUTES = "services/users/routes";

/** Emails compare case-insensitively: trimmed and lower-cased before anything sees them. */
export const email = v.pipe(
  v.string(),
  v.trim(),
  v.email("must be an email address"),
  v.maxLength(254),
  v.toLowerCase(),
);
/**
 * Cognito accepts passwords of at most 256 characters, matching `^[\S]+.*[\S]+$` (no space at either end, no line
 * break); the contract asks for at least 8. Said here, so that a password Cognito would refuse is a 400 that names
 * it, and the OpenAPI document shows the pattern.
 */
export const password = v.pipe(
  v.string(),
  v.minLength(8, "must be at least 8 characters"),
  v.maxLength(256),
  v.regex(/^\S.*\S$/, "must not start or end with a space, nor hold a line break"),
);
/**
 * The event field `displayName` (1–64), trimmed first; spelt out, so the OpenAPI document shows its limits (and, as
 * a pattern, that a blank one is refused).
 */
const newDisplayName = v.pipe(
  v.string(),
  v.regex(/\S/, "must not be blank"),
  v.trim(),
  v.minLength(1),
  v.maxLength(64),
);
const bio = v.pipe(v.string(), v.maxLength(500, "must be at most 500 characters"));

export const avatar = v.object({ mediaId: id, url, thumbnailUrl: url });

export const profile = v.object({
  userId: id,
  email: v.string(),
  displayName,
  bio: v.nullable(v.string()),
  avatar: v.nullable(avatar),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type Profile = v.InferOutput<typeof profile>;
export type Avatar = v.InferOutput<typeof avatar>;

export const publicProfile = v.object({
  ...v.omit(profile, ["email"]).entries,
  stats: v.object({
    threads: v.pipe(v.number(), v.integer(), v.minValue(0)),
    posts: v.pipe(v.number(), v.integer(), v.minValue(0)),
  }),
});
export type PublicProfile = v.InferOutput<typeof publicProfile>;

export const tokens = v.object({
  accessToken: v.string(),
  idToken: v.string(),
  refreshToken: v.string(),
  expiresIn: v.pipe(v.number(), v.integer()),
  tokenType: v.literal("Bearer"),
});
export type Tokens = v.InferOutput<typeof tokens>;

export const signupRoute = defineRoute({
  method: "POST",
  path: "/signup",
  auth: false,
  links: ["UsersTable", "UsersUserPool"],
  handler: `${ROUTES}/signup.handler`,
  summary: "Create an account: a Cognito identity and a profile (the email is unique)",
  schemas: {
    body: v.object({ email, password, displayName: newDisplayName }),
    response: v.object({ userId: id, email: v.string(), displayName, createdAt: isoTime }),
  },
  successStatus: 201,
  errors: [400, 409],
  idempotency: { table: "UsersTable" },
});

export const signinRoute = defineRoute({
  method: "POST",
  path: "/signin",
  auth: false,
  links: ["UsersUserPool"],
  handler: `${ROUTES}/signin.handler`,
  summary: "Exchange an email and password for tokens (the same 401 for an unknown email and a wrong password)",
  schemas: {
    body: v.object({ email, password: v.pipe(v.string(), v.minLength(1), v.maxLength(256)) }),
    response: tokens,
  },
  successStatus: 200,
  errors: [400, 401, 429],
});

export const refreshRoute = defineRoute({
  method: "POST",
  path: "/refresh",
  auth: false,
  links: ["UsersUserPool"],
  handler: `${ROUTES}/refresh.handler`,
  summary: "New access and ID tokens for a refresh token",
  schemas: {
    body: v.object({ refreshToken: v.pipe(v.string(), v.minLength(1), v.maxLength(8192)) }),
    response: tokens,
  },
  successStatus: 200,
  errors: [400, 401, 429],
});

export const getMeRoute = defineRoute({
  method: "GET",
  path: "/me",
  auth: true,
  links: ["UsersTable"],
  handler: `${ROUTES}/getMe.handler`,
  summary: "The caller's own profile",
  schemas: { response: profile },
  errors: [401, 404],
});

export const updateMeRoute = defineRoute({
  method: "PATCH",
  path: "/me",
  auth: true,
  links: ["UsersTable"],
  handler: `${ROUTES}/updateMe.handler`,
  summary: "Change the caller's display name, bio or avatar (a ready image of the caller's own; null removes it)",
  schemas: {
    // Strict: a misspelt field is a 400, not an update that silently changes nothing.
    body: v.strictObject(
      {
        displayName: v.optional(newDisplayName),
        bio: v.optional(v.nullable(bio)),
        avatarMediaId: v.optional(v.nullable(id)),
      },
      "must be an object with only displayName, bio and avatarMediaId",
    ),
    response: profile,
  },
  successStatus: 200,
  errors: [400, 401, 403, 409],
});

export const getUserRoute = defineRoute({
  method: "GET",
  path: "/{userId}",
  auth: false,
  links: ["UsersTable"],
  handler: `${ROUTES}/getUser.handler`,
  summary: "A user's public profile, with their forum stats",
  // A URL-safe id, as every id: anything else is a 400 before a key too large for DynamoDB reaches the table.
  schemas: { path: v.object({ userId: id }), response: publicProfile },
  errors: [404],
});

export const usersRoutes = [signupRoute, signinRoute, refreshRoute, getMeRoute, updateMeRoute, getUserRoute];
