import { PutRecordsCommand, type PutRecordsRequestEntry } from "@aws-sdk/client-kinesis";
import { kinesisClient } from "../aws/kinesis.js";
import type { EventContract } from "../events/defineEvent.js";
import { destinationFor } from "./destination.js";
import { PublishError } from "./errors.js";
import { limits, maxPartitionKeyLength } from "./limits.js";
import type { PublishOptions } from "./options.js";
import type { OutgoingEvent } from "./outgoing.js";
import { refuseOversized } from "./refuseOversized.js";
import { type BatchEntry, type EntryFailure, sendWithRetry } from "./sendWithRetry.js";
import { throwIfFailed } from "./throwIfFailed.js";

interface StreamEntry extends BatchEntry {
  readonly record: PutRecordsRequestEntry;
}

/**
 * Puts events on the contract's stream, keyed by the payload's partition-key field so that one key's events
 * stay in order on one shard. The record is the envelope as JSON bytes; it carries the trace header, since
 * Kinesis has no trace context of its own.
 *
 * @example
 * ```ts
 * await toKinesis(PostCreated, outgoingEvents(PostCreated, [payload])); // keyed by threadId
 * ```
 */
export async function toKinesis(
  contract: EventContract,
  events: readonly OutgoingEvent[],
  options: PublishOptions = {},
): Promise<void> {
  const streamName = destinationFor(contract, "name", options.destination);
  const client = options.clients?.kinesis ?? kinesisClient();
  const field = contract.partitionKey;
  if (!field) throw new Error(`${contract.type}: a Kinesis event needs a partitionKey`);
  const entries = events.map(({ envelope, body, payload }): StreamEntry => {
    const partitionKey = String(payload[field]);
    const data = Buffer.from(body, "utf8");
    return {
      eventId: envelope.id,
      type: envelope.type,
      // The partition key counts towards both the record and the request limits.
      size: data.byteLength + Buffer.byteLength(partitionKey, "utf8"),
      record: { PartitionKey: partitionKey, Data: data },
    };
  });
  refuseBadKeys(entries);
  refuseOversized(entries, limits.kinesis.maxEntryBytes);

  const failures = await sendWithRetry(
    entries,
    {
      limits: limits.kinesis,
      async send(chunk) {
        const output = await client.send(
          new PutRecordsCommand({ StreamName: streamName, Records: chunk.map((entry) => entry.record) }),
        );
        if (!output.FailedRecordCount) return [];
        // Results are positional; failed records carry ErrorCode (throughput exceeded or internal failure).
        return chunk.flatMap((entry, i): EntryFailure<StreamEntry>[] => {
          const result = output.Records?.[i];
          if (result?.SequenceNumber && !result.ErrorCode) return [];
          return [
            {
              entry,
              code: result?.ErrorCode ?? "MissingResult",
              message: result?.ErrorMessage ?? "no result for this record",
              retryable: true,
            },
          ];
        });
      },
    },
    options.retry,
  );
  throwIfFailed(entries, failures);
}

function refuseBadKeys(entries: readonly StreamEntry[]): void {
  const bad = entries.filter((entry) => {
    const length = [...(entry.record.PartitionKey ?? "")].length;
    return length < 1 || length > maxPartitionKeyLength;
  });
  if (bad.length === 0) return;
  throw new PublishError(
    bad.map((entry) => ({
      eventId: entry.eventId,
      type: entry.type,
      code: "InvalidPartitionKey",
      message: `a partition key is 1 to ${maxPartitionKeyLength} characters`,
    })),
    [],
  );
}
