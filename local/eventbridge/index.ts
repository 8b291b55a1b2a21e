/**
 * Local EventBridge stand-in: an HTTP server speaking the EventBridge JSON 1.1 protocol, so the real
 * `@aws-sdk/client-eventbridge` can drive it, plus the event-pattern matcher it routes with.
 *
 * @example
 * ```ts
 * const events = await startEventBridge({ sqsEndpoint: "http://127.0.0.1:4566" });
 * const client = new EventBridgeClient({ endpoint: events.endpoint, region: "us-east-1" });
 * // ...PutRule, PutTargets, PutEvents...
 * await events.idle();
 * await events.stop();
 * ```
 */
export type { EventBridgeOptions, EventBridgeStandIn, LambdaInvoker } from "./EventBridgeServer.js";
export { startEventBridge } from "./EventBridgeServer.js";
export { matchesPattern, validatePattern } from "./matchPattern.js";
