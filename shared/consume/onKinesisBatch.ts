import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { logger } from "../logging/index.js";
import { consumerStack } from "../middleware/consumerStack.js";
import { failedFrom, kinesisIncoming } from "./kinesisRecord.js";
import { recordConsumer } from "./recordConsumer.js";
import type {
  ConsumedEnvelope,
  ConsumedPayload,
  ConsumerOptions,
  ContractIn,
  Contracts,
  EventHandler,
} from "./types.js";

/** One valid record of a stream batch: its validated payload and envelope, and where it stands in its shard. */
export interface StreamRecord<Cs extends Contracts> {
  readonly sequenceNumber: string;
  readonly payload: ConsumedPayload<ContractIn<Cs>>;
  readonly envelope: ConsumedEnvelope<ContractIn<Cs>>;
}

/** A batch of one shard, as one invocation of the stream's event source mapping receives it. */
export interface StreamBatch<Cs extends Contracts> {
  /** The shard (`shardId-000000000000`): the mapping runs one invocation at a time per shard, in its order. */
  readonly shardId: string;
  readonly streamArn: string;
  /** The batch's valid records in shard order; those that can never be valid are in the failure queue already. */
  readonly records: readonly StreamRecord<Cs>[];
}

/**
 * What a batch handler answers: nothing when it handled every record, or `retryFrom`, the sequence number of the
 * first record it did not handle (that record and every later one of the batch are delivered again).
 */
export type StreamBatchOutcome = { readonly retryFrom?: string } | undefined;

export type StreamBatchHandler<Cs extends Contracts> = (
  batch: StreamBatch<Cs>,
  context: Context,
) => Promise<StreamBatchOutcome> | StreamBatchOutcome;

/**
 * A Lambda handler for a stream's event source mapping (with `ReportBatchItemFailures`) whose handler takes the
 * whole batch at once, for work that aggregates it (one write per key per batch rather than one per record). Each
 * record goes through the same pipeline as {@link onKinesis}'s (decode, the failure queue for records that can never
 * be valid, its correlation id, its subsegment linked to the producer's trace); the valid ones reach `handler`
 * together, in shard order. Failures are reported from the first record not handled: the one the failure queue
 * refused, the handler's `retryFrom`, or the first record of the batch when the handler throws.
 *
 * @example
 * ```ts
 * export const handler = onKinesisBatch(ProductViewed, async ({ shardId, records }) => {
 *   const counted = await countViews(shardId, records);
 *   return counted.retryFrom === undefined ? undefined : { retryFrom: counted.retryFrom };
 * });
 * ```
 */
export function onKinesisBatch<const Cs extends Contracts>(
  contracts: Cs,
  handler: StreamBatchHandler<Cs>,
  options: ConsumerOptions = {},
): (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse> {
  // Each invocation collects into its own list, found by its context: no state is shared between invocations.
  const collecting = new WeakMap<Context, { sequenceNumber: string; records: StreamRecord<Cs>[] }>();
  const collect: EventHandler<Cs> = (payload, envelope, context) => {
    const batch = collecting.get(context);
    batch?.records.push({ sequenceNumber: batch.sequenceNumber, payload, envelope });
  };
  const consume = recordConsumer(contracts, collect, options);

  // The consumer stack gives every record the Lambda context in its logs and the invocation its subsegment.
  return consumerStack(async function kinesisBatchConsumer(event, context) {
    const records = event.Records;
    const first = records[0];
    if (!first) return { batchItemFailures: [] };
    const batch = { sequenceNumber: "", records: [] as StreamRecord<Cs>[] };
    let decoded = records.length;
    collecting.set(context, batch);
    try {
      for (const [index, record] of records.entries()) {
        batch.sequenceNumber = record.kinesis.sequenceNumber;
        const outcome = await consume(kinesisIncoming(record), context);
        // Only a poison record the failure queue refused fails here: it and the rest are delivered again.
        if (outcome.status === "failed") {
          decoded = index;
          break;
        }
      }
    } finally {
      collecting.delete(context);
    }

    // `eventID` is `<shardId>:<sequenceNumber>` ("Using Lambda with Kinesis", the event's shape).
    const shardId = first.eventID.slice(0, first.eventID.lastIndexOf(":"));
    let outcome: StreamBatchOutcome;
    try {
      if (batch.records.length > 0)
        outcome = await handler({ shardId, streamArn: first.eventSourceARN, records: batch.records }, context);
    } catch (error) {
      logger.error("stream batch handler failed; the batch will be retried", { shardId, error });
      return failedFrom(records, 0);
    }
    if (outcome?.retryFrom === undefined) return failedFrom(records, decoded);
    const index = records.findIndex((record) => record.kinesis.sequenceNumber === outcome.retryFrom);
    // A sequence number not in the batch fails the whole batch, as Lambda itself reads it.
    return failedFrom(records, index === -1 ? 0 : Math.min(index, decoded));
  });
}
