import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { consumerStack } from "../middleware/consumerStack.js";
import { failedFrom, kinesisIncoming } from "./kinesisRecord.js";
import { recordConsumer } from "./recordConsumer.js";
import type { ConsumerOptions, Contracts, EventHandler } from "./types.js";

/**
 * A Lambda handler for a stream's event source mapping (with `ReportBatchItemFailures`): each record's
 * base64 `data` is the envelope as JSON. Records run in the shard's order; at the first handler error the
 * batch stops and that record and every one after it are reported by sequence number (Lambda checkpoints at
 * the lowest one and retries from there), so the events of one key are never applied out of order. Records
 * that can never be valid go to the failure queue and count as handled, so one bad record does not block
 * the shard.
 *
 * @example
 * ```ts
 * export const handler = onKinesis(PostCreated, async (post) => counters.increment(post.threadId));
 * ```
 */
export function onKinesis<const Cs extends Contracts>(
  contracts: Cs,
  handler: EventHandler<Cs>,
  options: ConsumerOptions = {},
): (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse> {
  const consume = recordConsumer(contracts, handler, options);
  // The consumer stack gives every record the Lambda context in its logs and the invocation its subsegment.
  return consumerStack(async function kinesisConsumer(event, context) {
    const records = event.Records;
    for (const [index, record] of records.entries()) {
      const outcome = await consume(kinesisIncoming(record), context);
      if (outcome.status === "failed") return failedFrom(records, index);
    }
    return { batchItemFailures: [] };
  });
}
