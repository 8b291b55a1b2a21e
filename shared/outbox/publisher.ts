import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { catalog } from "../../events/catalog.js";
import { PoisonError, recordConsumer } from "../consume/index.js";
import type { EventContract } from "../events/defineEvent.js";
import type { Envelope } from "../events/envelope.js";
import { consumerStack } from "../middleware/consumerStack.js";
import { PublishError, type PublishOptions, publishEnvelope } from "../publish/index.js";
import { inTraceOf } from "../tracing/index.js";

/** Failures no retry can cure: the event itself is wrong for its transport. */
const PERMANENT = new Set(["EntryTooLarge", "InvalidPartitionKey"]);

/**
 * The outbox publisher: a Lambda handler for a service table's stream (the mapping's filter passes only outbox
 * inserts). Each record's `NewImage.envelope` is an event finished at write time; it leaves through
 * `publishEnvelope` on the transport the routing guide chose, with its id, correlation id and trace header. Lambda
 * starts a trace of its own for a stream batch: each record's subsegment links to the request that wrote it, and the
 * publish runs in a segment of that request's trace (`inTraceOf`), so the request reads table → publisher → transport
 * → consumers.
 *
 * Records are sent one at a time in the shard's order. At the first failure the batch stops and that record and
 * every later one are reported (`batchItemFailures`): Lambda resumes at the lowest, so nothing is lost and a key's
 * events never overtake each other. A record that can never be sent (not an envelope, an unknown event, a payload
 * its contract refuses, too large for its transport) goes to the publisher's DLQ with the reason and the shard moves
 * on. A send that failed after the events got out is sent again on the retry: consumers drop duplicates by event id.
 *
 * @example
 * ```ts
 * export const handler = outboxPublisher(Object.values(catalog));
 * ```
 */
export function outboxPublisher(
  contracts: readonly EventContract[],
  options: { readonly publish?: PublishOptions; readonly failureQueueUrl?: string } = {},
) {
  const consume = recordConsumer(
    contracts,
    async (_payload: unknown, envelope: Envelope) => {
      const contract = contracts.find((c) => c.type === envelope.type)!;
      try {
        // The stream's invocation is a trace of its own (its record links to the request); the publish itself is
        // recorded in the request's trace, so the request's consumers hang under it there.
        await inTraceOf(envelope.traceHeader, () => publishEnvelope(contract, envelope, options.publish));
      } catch (error) {
        if (error instanceof PublishError && error.failures.every((f) => PERMANENT.has(f.code)))
          throw new PoisonError("Refused", error.message);
        throw error;
      }
    },
    options.failureQueueUrl ? { failureQueueUrl: options.failureQueueUrl } : {},
  );

  return consumerStack(async function outboxPublisher(
    event: DynamoDBStreamEvent,
    context: Context,
  ): Promise<DynamoDBBatchResponse> {
    const records = event.Records;
    for (const [index, record] of records.entries()) {
      const outcome = await consume(
        {
          source: "dynamodb",
          recordId: sequenceNumber(record),
          envelope: record.dynamodb?.NewImage?.envelope?.S ?? record.dynamodb?.NewImage,
          original: () => ({ body: JSON.stringify(record), encoding: "text" }),
        },
        context,
      );
      if (outcome.status === "failed")
        return { batchItemFailures: records.slice(index).map((rest) => ({ itemIdentifier: sequenceNumber(rest) })) };
    }
    return { batchItemFailures: [] };
  });
}

function sequenceNumber(record: DynamoDBRecord): string {
  return record.dynamodb?.SequenceNumber ?? "";
}

/** Every service's publisher: the topology points each outbox's function here. */
export const handler = outboxPublisher(Object.values(catalog));
