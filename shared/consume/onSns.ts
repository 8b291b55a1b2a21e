import type { Context, SNSEvent } from "aws-lambda";
import { consumerStack } from "../middleware/consumerStack.js";
import { recordConsumer } from "./recordConsumer.js";
import type { ConsumerOptions, Contracts, EventHandler } from "./types.js";

/**
 * A Lambda handler for a topic's Lambda subscription: each record's `Sns.Message` is the envelope. SNS invokes
 * asynchronously (one record per event), so a handler error is rethrown and Lambda's retries and on-failure
 * destination apply; a record that can never be valid goes to the failure queue and the invocation succeeds.
 *
 * @example
 * ```ts
 * export const handler = onSns(MediaProcessed, async (payload) => {
 *   if (payload.status === "ready") await avatars.attach(payload.ownerId, payload.url);
 * });
 * ```
 */
export function onSns<const Cs extends Contracts>(
  contracts: Cs,
  handler: EventHandler<Cs>,
  options: ConsumerOptions = {},
): (event: SNSEvent, context: Context) => Promise<void> {
  const consume = recordConsumer(contracts, handler, options);
  // The consumer stack gives every record the Lambda context in its logs and the invocation its subsegment.
  return consumerStack(async function snsConsumer(event, context) {
    for (const record of event.Records) {
      const outcome = await consume(
        {
          source: "sns",
          recordId: record.Sns.MessageId,
          envelope: record.Sns.Message,
          original: () => ({ body: record.Sns.Message, encoding: "text" }),
        },
        context,
      );
      if (outcome.status === "failed") throw outcome.error;
    }
  });
}
