import { PostCreated, ThreadCreated } from "../../../events/forums.js";
import { onEventBridge, onKinesis } from "../../../shared/consume/index.js";
import { logger } from "../../../shared/logging/index.js";
import { countActivity } from "../store.js";

/**
 * The forum activity behind each user's `stats`: a thread (from the bus) or a post (from the post stream) counts
 * once for its author, whatever the number of deliveries. A failure is retried by the transport and ends in the
 * consumer's DLQ, never dropped.
 */
export const threadHandler = onEventBridge(ThreadCreated, async (thread) => {
  const counted = await countActivity("thread", thread.threadId, thread.authorId, thread.createdAt);
  if (!counted) logger.info("thread already counted", { threadId: thread.threadId });
});

export const postHandler = onKinesis(PostCreated, async (post) => {
  const counted = await countActivity("post", post.postId, post.authorId, post.createdAt);
  if (!counted) logger.info("post already counted", { postId: post.postId });
});
