import { ThreadCreated } from "../../../events/forums.js";
import { onEventBridge } from "../../../shared/consume/index.js";
import { logger } from "../../../shared/logging/index.js";
import { countThread } from "../store/counters.js";

/**
 * A forum's `threadCount`: each thread counts once (a marker and the increment in one transaction), whatever the
 * number of deliveries. A failure is retried by the transport and ends in the consumer's DLQ, never dropped.
 */
export const handler = onEventBridge(ThreadCreated, async (thread) => {
  const counted = await countThread(thread);
  if (!counted) logger.info("thread already counted", { threadId: thread.threadId });
});
