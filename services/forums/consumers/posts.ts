import { PostCreated } from "../../../events/forums.js";
import { onKinesisBatch } from "../../../shared/consume/index.js";
import { logger } from "../../../shared/logging/index.js";
import { countPosts } from "../store/counters.js";

/**
 * The post counters: each batch of one shard of the post stream becomes one write per forum and per author posted
 * in it (the forum's `postCount`, the author's posts on the leaderboard), counted exactly once however often its
 * records are delivered (`store/counters.ts` says how, and why no key runs hot). A failure reports the batch from
 * the first record not counted, and the retry goes on from there.
 */
export const handler = onKinesisBatch(PostCreated, async ({ shardId, records }) => {
  const posts = records.map(({ sequenceNumber, envelope, payload }) => ({
    sequenceNumber,
    eventId: envelope.id,
    ...payload,
  }));
  const counted = await countPosts(shardId, posts);
  if (counted.missingForums.length > 0)
    logger.warn("posts of forums not found were counted for their authors only", {
      shardId,
      forumIds: counted.missingForums,
    });
  if (counted.retryFrom === undefined) return undefined;
  logger.error("posts not counted; the shard resumes at the first of them", {
    shardId,
    retryFrom: counted.retryFrom,
    error: counted.error,
  });
  return { retryFrom: counted.retryFrom };
});
