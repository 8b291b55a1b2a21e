import type { EventContract } from "../events/defineEvent.js";
import { type BatchResultLists, batchFailures } from "./batchFailures.js";
import { type MessageAttributes, messageAttributes, messageSize } from "./messageAttributes.js";
import type { OutgoingEvent } from "./outgoing.js";
import type { BatchEntry, EntryFailure } from "./sendWithRetry.js";

/** An SNS or SQS message: the envelope as its body, and the attributes filter policies match. */
export interface MessageEntry extends BatchEntry {
  readonly body: string;
  readonly attributes: MessageAttributes;
}

/**
 * The message of one event, sized as SNS and SQS count it (the body and the attributes).
 *
 * @example
 * ```ts
 * const entry = messageEntry(MediaProcessed, event); // entry.attributes.status, entry.size
 * ```
 */
export function messageEntry(
  contract: Pick<EventContract, "type" | "attributes">,
  { envelope, body, payload }: OutgoingEvent,
): MessageEntry {
  const attributes = messageAttributes(contract, envelope, payload);
  return { eventId: envelope.id, type: envelope.type, size: messageSize(body, attributes), body, attributes };
}

/**
 * Sends one chunk of SNS or SQS messages: a lone message with the single-message call (Publish, SendMessage),
 * whose failure is thrown and fails it; several with the batch call (PublishBatch, SendMessageBatch), whose
 * answer lists the failed entries by id (the event id, a valid and unique batch entry id).
 *
 * @example
 * ```ts
 * await sendMessageChunk(chunk, (entry) => sqs.send(sendMessage(entry)), (all) => sqs.send(sendMessageBatch(all)));
 * ```
 */
export async function sendMessageChunk<E extends MessageEntry>(
  chunk: readonly E[],
  one: (entry: E) => Promise<unknown>,
  batch: (chunk: readonly E[]) => Promise<BatchResultLists>,
): Promise<EntryFailure<E>[]> {
  const [only] = chunk;
  if (chunk.length === 1 && only) {
    await one(only);
    return [];
  }
  return batchFailures(chunk, await batch(chunk));
}
