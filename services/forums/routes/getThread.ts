import { routeHandler } from "../../../shared/http/routeHandler.js";
import { getThreadRoute } from "../api.js";
import { threadOf, withAuthorNames } from "../store/threads.js";

/** `GET /forums/{forumId}/threads/{threadId}`: a thread of another forum is a 404, as is none at all. */
export const handler = routeHandler(getThreadRoute, {
  handler: async ({ path }) => {
    const [thread] = await withAuthorNames([await threadOf(path.forumId, path.threadId)]);
    return thread!;
  },
});
