/**
 * Publishing events: `publish(contract, payload)` validates the payload, wraps it in the envelope and sends it
 * on the transport the contract's delivery needs selected (EventBridge, SNS, SQS or Kinesis).
 *
 * @example
 * ```ts
 * import { publish } from "../shared/publish/index.js";
 * await publish(PostCreated, { postId, threadId, forumId, authorId, createdAt });
 * ```
 */
export type { PayloadIssue, PublishFailure } from "./errors.js";
export { PublishError, PublishValidationError } from "./errors.js";
export { eventBridgeEntrySize } from "./eventBridgeEntrySize.js";
export { limits } from "./limits.js";
export { messageAttributes, messageSize } from "./messageAttributes.js";
export type { PublishOptions, RetryOptions } from "./options.js";
export { outgoingEvents } from "./outgoingEvents.js";
export { publish, publishBatch, publishEnvelope } from "./publish.js";
