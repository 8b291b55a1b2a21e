import type { KinesisStreamBatchResponse, KinesisStreamRecord } from "aws-lambda";
import type { IncomingRecord } from "./recordConsumer.js";
import { recordText } from "./recordText.js";

/**
 * One Kinesis record as the shared pipeline takes it: the base64 `data` is the envelope as JSON bytes, the
 * sequence number is its id, and the bytes as they came are kept for the failure queue.
 *
 * @example
 * ```ts
 * const outcome = await consume(kinesisIncoming(event.Records[0]), context);
 * ```
 */
export function kinesisIncoming(record: KinesisStreamRecord): IncomingRecord {
  const bytes = Buffer.from(record.kinesis.data, "base64");
  return {
    source: "kinesis",
    recordId: record.kinesis.sequenceNumber,
    envelope: bytes.toString("utf8"),
    original: () => recordText(bytes),
  };
}

/**
 * The batch response that retries `records` from `index` on: that record and every one after it, by sequence
 * number (Lambda checkpoints at the lowest one reported and resumes there, "Reporting batch item failures").
 * An index past the end reports nothing.
 *
 * @example
 * ```ts
 * return failedFrom(event.Records, 3); // records 3… are delivered again
 * ```
 */
export function failedFrom(records: readonly KinesisStreamRecord[], index: number): KinesisStreamBatchResponse {
  return { batchItemFailures: records.slice(index).map((rest) => ({ itemIdentifier: rest.kinesis.sequenceNumber })) };
}
