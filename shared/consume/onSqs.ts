import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { consumerStack } from "../middleware/consumerStack.js";
import { type RecordOutcome, recordConsumer } from "./recordConsumer.js";
import type { Contracts, EventHandler, SqsConsumerOptions } from "./types.js";
import { unwrapSqsBody } from "./unwrapSqsBody.js";

/**
 * A Lambda handler for a queue's event source mapping (with `ReportBatchItemFailures`). A body is our
 * envelope, or an EventBridge event whose `detail` is (a queue buffering a bus), or an SNS notification whose
 * `Message` is (a queue subscribed to a topic). Records whose handler throws are returned in
 * `batchItemFailures` by message id and come back after the visibility timeout; records that can never be
 * valid go to the failure queue and count as handled.
 *
 * Records run one at a time by default. On a FIFO queue the first failure stops the batch and every record
 * after it is reported too, as AWS asks, so that a message group keeps its order.
 *
 * @example
 * ```ts
 * export const handler = onSqs(UploadReceived, async (upload) => thumbnails.make(upload), { concurrency: 4 });
 * ```
 */
export function onSqs<const Cs extends Contracts>(
  contracts: Cs,
  handler: EventHandler<Cs>,
  options: SqsConsumerOptions = {},
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const consume = recordConsumer(contracts, handler, options);
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));

  const consumeOne = (record: SQSRecord, context: Context): Promise<RecordOutcome> => {
    const { envelope, via } = unwrapSqsBody(record.body);
    return consume(
      {
        source: via === "sqs" ? "sqs" : via,
        recordId: record.messageId,
        envelope,
        original: () => ({ body: record.body, encoding: "text" }),
      },
      context,
      { concurrent: concurrency > 1 },
    );
  };

  // The consumer stack gives every record the Lambda context in its logs and the invocation its subsegment.
  return consumerStack(async function sqsConsumer(event, context) {
    const records = event.Records;
    const fifo = records[0]?.eventSourceARN.endsWith(".fifo") ?? false;
    if (fifo || concurrency === 1) {
      const failed: string[] = [];
      for (const [index, record] of records.entries()) {
        const outcome = await consumeOne(record, context);
        if (outcome.status === "handled") continue;
        if (fifo) return failures(records.slice(index).map((rest) => rest.messageId));
        failed.push(record.messageId);
      }
      return failures(failed);
    }
    const outcomes = await inParallel(records, concurrency, (record) => consumeOne(record, context));
    return failures(records.filter((_, i) => outcomes[i]?.status !== "handled").map((record) => record.messageId));
  });
}

function failures(ids: readonly string[]): SQSBatchResponse {
  return { batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })) };
}

/** Runs `work` over `items` with at most `limit` at a time; results keep the items' order. */
async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
