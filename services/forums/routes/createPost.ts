import { routeHandler } from "../../../shared/http/routeHandler.js";
import { createPostRoute } from "../api.js";
import { authorNames } from "../store/authors.js";
import { createPost, toPost } from "../store/posts.js";

/**
 * `POST /forums/{forumId}/threads/{threadId}/posts`: the thread's next post, in the one order the list, the stream
 * and every consumer share (`store/posts.ts`); 404 for a thread not in that forum, 409 for a thread too busy to
 * take it now. An `idempotency-key` makes a repeat safe.
 */
/** What answering takes after the last attempt (the author names, the idempotency record, the response). */
const ANSWER_RESERVE_MS = 3_000;

export const handler = routeHandler(createPostRoute, {
  handler: async ({ path, body, auth, timeLeftMs }) => {
    const deadline = Date.now() + timeLeftMs() - ANSWER_RESERVE_MS;
    const item = await createPost(path.forumId, path.threadId, auth.userId, body.body, deadline);
    return toPost(item, await authorNames([item.authorId]));
  },
});
