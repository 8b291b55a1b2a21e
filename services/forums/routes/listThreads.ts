import { routeHandler } from "../../../shared/http/routeHandler.js";
import { listThreadsRoute } from "../api.js";
import { listThreads } from "../store/threads.js";

/** `GET /forums/{forumId}/threads`: most recent activity first (a post moves its thread up); 404 for no forum. */
export const handler = routeHandler(listThreadsRoute, {
  handler: ({ path, query }) => listThreads(path.forumId, query),
});
