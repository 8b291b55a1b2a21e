import { routeHandler } from "../../../shared/http/routeHandler.js";
import { createThreadRoute } from "../api.js";
import { createThread, withAuthorNames } from "../store/threads.js";

/**
 * `POST /forums/{forumId}/threads`: the thread and `forums.ThreadCreated` commit together with a check that the
 * forum exists (404 otherwise); an `idempotency-key` makes a repeat safe.
 */
export const handler = routeHandler(createThreadRoute, {
  handler: async ({ path, body, auth }) => {
    const [thread] = await withAuthorNames([await createThread(path.forumId, auth.userId, body)]);
    return thread!;
  },
});
