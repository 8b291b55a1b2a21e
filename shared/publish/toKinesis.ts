import { PutRecordsCommand, type PutRecordsRequestEntry } from "@aws-sdk/client-kinesis";
import { kinesisClient } from "../aws/kinesis.js";
import { positionalFailures } from "./batchFailures.js";
import { defineSender } from "./defineSender.js";
import { destinationFor } from "./destination.js";
import { limits, maxPartitionKeyLength } from "./limits.js";
import { refuseEntries } from "./refuseOversized.js";
import type { BatchEntry } from "./sendWithRetry.js";

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
export const toKinesis = defineSender({
  limits: limits.kinesis,
  target(contract, options) {
    const streamName = destinationFor(contract, "name", options.destination);
    const client = options.clients?.kinesis ?? kinesisClient();
    const field = contract.partitionKey;
    if (!field) throw new Error(`${contract.type}: a Kinesis event needs a partitionKey`);
    return { streamName, client, field };
  },
  entry({ envelope, body, payload }, { field }): StreamEntry {
    const partitionKey = String(payload[field]);
    const data = Buffer.from(body, "utf8");
    return {
      eventId: envelope.id,
      type: envelope.type,
      // The partition key counts towards both the record and the request limits.
      size: data.byteLength + Buffer.byteLength(partitionKey, "utf8"),
      record: { PartitionKey: partitionKey, Data: data },
    };
  },
  refuse: (entries) =>
    refuseEntries(entries, (entry) => {
      const length = [...(entry.record.PartitionKey ?? "")].length;
      if (length >= 1 && length <= maxPartitionKeyLength) return undefined;
      return { code: "InvalidPartitionKey", message: `a partition key is 1 to ${maxPartitionKeyLength} characters` };
    }),
  async send(chunk, { streamName, client }) {
    const output = await client.send(
      new PutRecordsCommand({ StreamName: streamName, Records: chunk.map((entry) => entry.record) }),
    );
    // A failed record carries ErrorCode: its shard's throughput was exceeded, or an internal failure.
    return positionalFailures(chunk, {
      failedCount: output.FailedRecordCount,
      results: output.Records,
      idOf: (result) => result.SequenceNumber,
    });
  },
});
