import { SendMessageBatchCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { sqsClient } from "../aws/sqs.js";
import { defineSender } from "./defineSender.js";
import { destinationFor } from "./destination.js";
import { limits } from "./limits.js";
import { type MessageEntry, messageEntry, sendMessageChunk } from "./messageBatch.js";

interface QueueEntry extends MessageEntry {
  readonly traceHeader: string | undefined;
}

/** The `AWSTraceHeader` system attribute, which carries the trace to the consumer's invocation. */
const systemAttributes = (entry: QueueEntry) =>
  entry.traceHeader
    ? { MessageSystemAttributes: { AWSTraceHeader: { DataType: "String" as const, StringValue: entry.traceHeader } } }
    : {};

/**
 * Sends events to the contract's queue: the body is the envelope, the message attributes carry the event's
 * identity, and the `AWSTraceHeader` system attribute carries the trace to the consumer's invocation.
 *
 * @example
 * ```ts
 * await toSqs(UploadReceived, outgoingEvents(UploadReceived, [payload]));
 * ```
 */
export const toSqs = defineSender({
  limits: limits.sqs,
  target: (contract, options) => ({
    queueUrl: destinationFor(contract, "url", options.destination),
    client: options.clients?.sqs ?? sqsClient(),
  }),
  entry: (event, _target, contract): QueueEntry => ({
    ...messageEntry(contract, event),
    traceHeader: event.envelope.traceHeader,
  }),
  send: (chunk, { queueUrl, client }) =>
    sendMessageChunk(
      chunk,
      (entry) =>
        client.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: entry.body,
            MessageAttributes: entry.attributes,
            ...systemAttributes(entry),
          }),
        ),
      (entries) =>
        client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: entries.map((entry) => ({
              Id: entry.eventId,
              MessageBody: entry.body,
              MessageAttributes: entry.attributes,
              ...systemAttributes(entry),
            })),
          }),
        ),
    ),
});
