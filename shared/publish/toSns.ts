import { PublishBatchCommand, PublishCommand } from "@aws-sdk/client-sns";
import { snsClient } from "../aws/sns.js";
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

interface TopicEntry extends BatchEntry {
  readonly message: string;
  readonly attributes: MessageAttributes;
}

/**
 * Publishes events to the contract's topic: `Message` is the envelope, and the message attributes carry the
 * event's identity and the contract's `attributes`, for subscription filter policies. The topic's active
 * tracing carries the trace to subscribers.
 *
 * @example
 * ```ts
 * await toSns(MediaProcessed, outgoingEvents(MediaProcessed, [payload]));
 * ```
 */
export async function toSns(
  contract: EventContract,
  events: readonly OutgoingEvent[],
  options: PublishOptions = {},
): Promise<void> {
  const topicArn = destinationFor(contract, "arn", options.destination);
  const client = options.clients?.sns ?? snsClient();
  const entries = events.map(({ envelope, body, payload }): TopicEntry => {
    const attributes = messageAttributes(contract, envelope, payload);
    return {
      eventId: envelope.id,
      type: envelope.type,
      size: messageSize(body, attributes),
      message: body,
      attributes,
    };
  });
  refuseOversized(entries, limits.sns.maxEntryBytes);

  const failures = await sendWithRetry(
    entries,
    {
      limits: limits.sns,
      async send(chunk) {
        const [only] = chunk;
        if (chunk.length === 1 && only) {
          await client.send(
            new PublishCommand({ TopicArn: topicArn, Message: only.message, MessageAttributes: only.attributes }),
          );
          return [];
        }
        const output = await client.send(
          new PublishBatchCommand({
            TopicArn: topicArn,
            // The event id is a UUID: a valid, unique batch entry id (alphanumerics, - and _, ≤ 80).
            PublishBatchRequestEntries: chunk.map((entry) => ({
              Id: entry.eventId,
              Message: entry.message,
              MessageAttributes: entry.attributes,
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
