import { PublishBatchCommand, PublishCommand } from "@aws-sdk/client-sns";
import { snsClient } from "../aws/sns.js";
import { defineSender } from "./defineSender.js";
import { destinationFor } from "./destination.js";
import { limits } from "./limits.js";
import { messageEntry, sendMessageChunk } from "./messageBatch.js";

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
export const toSns = defineSender({
  limits: limits.sns,
  target: (contract, options) => ({
    topicArn: destinationFor(contract, "arn", options.destination),
    client: options.clients?.sns ?? snsClient(),
  }),
  entry: (event, _target, contract) => messageEntry(contract, event),
  send: (chunk, { topicArn, client }) =>
    sendMessageChunk(
      chunk,
      (entry) =>
        client.send(
          new PublishCommand({ TopicArn: topicArn, Message: entry.body, MessageAttributes: entry.attributes }),
        ),
      (entries) =>
        client.send(
          new PublishBatchCommand({
            TopicArn: topicArn,
            PublishBatchRequestEntries: entries.map((entry) => ({
              Id: entry.eventId,
              Message: entry.body,
              MessageAttributes: entry.attributes,
            })),
          }),
        ),
    ),
});
