import { routeHandler } from "../../../shared/http/routeHandler.js";
import { createForumRoute } from "../api.js";
import { createForum, toForum } from "../store/forums.js";

/**
 * `POST /forums`: the caller owns the new forum; it and `forums.ForumCreated` commit together, and an
 * `idempotency-key` makes a repeat safe.
 */
export const handler = routeHandler(createForumRoute, {
  handler: async ({ body, auth }) =>
    toForum(await createForum(auth.userId, { name: body.name, description: body.description ?? null })),
});
