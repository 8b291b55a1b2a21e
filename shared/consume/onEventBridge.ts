import type { Context, EventBridgeEvent } from "aws-lambda";
import { consumerStack } from "../middleware/consumerStack.js";
import { recordConsumer } from "./recordConsumer.js";
import type { ConsumerOptions, Contracts, EventHandler } from "./types.js";

/**
 * A Lambda handler for a bus rule's Lambda target: `detail` is the envelope. EventBridge invokes
 * asynchronously, so a handler error is rethrown and Lambda's retries and on-failure destination apply; a
 * record that can never be valid goes to the failure queue and the invocation succeeds.
 *
 * @example
 * ```ts
 * export const handler = onEventBridge([UserRegistered, UserProfileUpdated], async (payload, envelope) => {
 *   if (envelope.type === "users.UserRegistered") await profiles.create(envelope.data);
 * });
 * ```
 */
export function onEventBridge<const Cs extends Contracts>(
  contracts: Cs,
  handler: EventHandler<Cs>,
  options: ConsumerOptions = {},
): (event: EventBridgeEvent<string, unknown>, context: Context) => Promise<void> {
  const consume = recordConsumer(contracts, handler, options);
  // The consumer stack gives every record the Lambda context in its logs and the invocation its subsegment.
  return consumerStack(async function eventBridgeConsumer(event, context) {
    const outcome = await consume(
      {
        source: "eventbridge",
        recordId: event.id,
        envelope: event.detail,
        original: () => ({ body: JSON.stringify(event), encoding: "text" }),
      },
      context,
    );
    if (outcome.status === "failed") throw outcome.error;
  });
}
