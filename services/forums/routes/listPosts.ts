import { routeHandler } from "../../../shared/http/routeHandler.js";
import { listPostsRoute } from "../api.js";
import { listPosts } from "../store/posts.js";

/** `GET /forums/{forumId}/threads/{threadId}/posts`: oldest first, in the order the thread accepted them. */
export const handler = routeHandler(listPostsRoute, {
  handler: ({ path, query }) => listPosts(path.forumId, path.threadId, query),
});
