import { SendMessageBatchCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { sqsClient } from "../aws/sqs.js";
import type { EventContract } from "../events/defineEvent.js";
import { batchFailures } from "./batchFailures.js";
import { destinationFor } from "./destination.js";
import { limits } from "./limits.js";
import { type MessageAttributes, messageAttributes, messageSize } from "./messageAttributes.js";
import type { PublishOptions } from "./options.js";
import type { OutgoingEvent } from "./outgoing.js";
import { refuseOversized } from "./refuseOversized.js";
import { type BatchEntry, sendWithRetry } from "./sendWithRetry.js";
import { throwIfFailed } from "./throwIfFailed.js";

interface QueueEntry extends BatchEntry {
  readonly body: string;
  readonly attributes: MessageAttributes;
  readonly traceHeader: string | undefined;
}

/**
 * Sends events to the contract's queue: the body is the envelope, the message attributes carry the event's
 * identity, and the `AWSTraceHeader` system attribute carries the trace to the consumer's invocation.
 *
 * @example
 * ```ts
 * await toSqs(UploadReceived, outgoingEvents(UploadReceived, [payload]));
 * ```
 */
export async function toSqs(
  contract: EventContract,
  events: readonly OutgoingEvent[],
  options: PublishOptions = {},
): Promise<void> {
  const queueUrl = destinationFor(contract, "url", options.destination);
  const client = options.clients?.sqs ?? sqsClient();
  const entries = events.map(({ envelope, body, payload }): QueueEntry => {
    const attributes = messageAttributes(contract, envelope, payload);
    return {
      eventId: envelope.id,
      type: envelope.type,
      size: messageSize(body, attributes),
      body,
      attributes,
      traceHeader: envelope.traceHeader,
    };
  });
  refuseOversized(entries, limits.sqs.maxEntryBytes);

  const systemAttributes = (entry: QueueEntry) =>
    entry.traceHeader
      ? { MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: entry.traceHeader } } }
      : {};

  const failures = await sendWithRetry(
    entries,
    {
      limits: limits.sqs,
      async send(chunk) {
        const [only] = chunk;
        if (chunk.length === 1 && only) {
          await client.send(
            new SendMessageCommand({
              QueueUrl: queueUrl,
              MessageBody: only.body,
              MessageAttributes: only.attributes,
              ...systemAttributes(only),
            }),
          );
          return [];
        }
        const output = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((entry) => ({
              Id: entry.eventId,
              MessageBody: entry.body,
              MessageAttributes: entry.attributes,
              ...systemAttributes(entry),
            })),
          }),
        );
        return batchFailures(chunk, output);
      },
    },
    options.retry,
  );
  throwIfFailed(entries, failures);
}
