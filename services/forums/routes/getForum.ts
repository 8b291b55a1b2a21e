import { notFound } from "../../../shared/http/problem.js";
import { routeHandler } from "../../../shared/http/routeHandler.js";
import { getForumRoute } from "../api.js";
import { findForum, toForum } from "../store/forums.js";

/** `GET /forums/{forumId}`: through the origin cache; its counters are eventually consistent (kept from events). */
export const handler = routeHandler(getForumRoute, {
  handler: async ({ path }) => {
    const item = await findForum(path.forumId);
    if (!item) throw notFound(`forum ${path.forumId} does not exist`);
    return toForum(item);
  },
});
