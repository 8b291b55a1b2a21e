/**
 * Consuming events: each factory turns a typed handler into a Lambda handler for one event source shape,
 * unwraps the transport's envelope, validates our envelope and the payload against the contracts, sends
 * records that can never be valid to the failure queue, and reports handler failures the way the platform
 * retries them (partial batch responses for SQS and Kinesis, a rethrow for EventBridge and SNS).
 *
 * @example
 * ```ts
 * import { onKinesis } from "../../shared/consume/index.js";
 * export const handler = onKinesis(PostCreated, async (post, envelope) => counters.increment(post.threadId));
 * ```
 */
export { contractRegistry } from "./contractRegistry.js";
export type { Decoded, PoisonCode } from "./decodeEvent.js";
export { decodeEvent, PoisonError } from "./decodeEvent.js";
export type { FailureDestination, PoisonRecord } from "./failureQueue.js";
export { failureQueue } from "./failureQueue.js";
export { onEventBridge } from "./onEventBridge.js";
export { onKinesis } from "./onKinesis.js";
export type { StreamBatch, StreamBatchHandler, StreamBatchOutcome, StreamRecord } from "./onKinesisBatch.js";
export { onKinesisBatch } from "./onKinesisBatch.js";
export { onSns } from "./onSns.js";
export { onSqs } from "./onSqs.js";
export type { ConsumeRecord, IncomingRecord, RecordOutcome } from "./recordConsumer.js";
export { recordConsumer } from "./recordConsumer.js";
export type {
  ConsumedEnvelope,
  ConsumedPayload,
  ConsumerOptions,
  ContractIn,
  Contracts,
  EventHandler,
  SqsConsumerOptions,
} from "./types.js";
export { unwrapSqsBody } from "./unwrapSqsBody.js";
