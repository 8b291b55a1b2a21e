import { ProductViewed } from "../../../events/products.js";
import { onKinesisBatch } from "../../../shared/consume/index.js";
import { logger } from "../../../shared/logging/index.js";
import { countViews } from "../store/popularity.js";

/**
 * The view counter: each batch of one shard of the click-stream becomes one write per product viewed in it (never
 * one per view), counted exactly once however often its records are delivered (`store/popularity.ts` says how).
 * A failure reports the batch from the first record not counted, and the retry goes on from there.
 */
export const handler = onKinesisBatch(ProductViewed, async ({ shardId, records }) => {
  const views = records.map(({ sequenceNumber, envelope, payload }) => ({
    sequenceNumber,
    eventId: envelope.id,
    productId: payload.productId,
  }));
  const counted = await countViews(shardId, views);
  if (counted.retryFrom === undefined) return undefined;
  logger.error("views not counted; the shard resumes at the first of them", {
    shardId,
    retryFrom: counted.retryFrom,
    error: counted.error,
  });
  return { retryFrom: counted.retryFrom };
});
