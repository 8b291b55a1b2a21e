import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy, { type MiddyfiedHandler } from "@middy/core";
import type { Context } from "aws-lambda";
import { logger } from "../logging/index.js";
import { flushMetrics } from "../metrics/index.js";
import { traceInvocation } from "../tracing/index.js";

/**
 * The middy stack of an event consumer (SQS, SNS, EventBridge, Kinesis): log lines carry the Lambda context
 * (and `cold_start`), the handler runs in its own trace subsegment annotated `ColdStart`, and the metrics it emitted
 * leave in one EMF line when it ends. Keys a handler adds to the logger are dropped after each invocation. Batch
 * responses are not copied into the trace (they can be large).
 *
 * @example
 * ```ts
 * export const handler = consumerStack(async (event: SQSEvent) => processBatch(event));
 * ```
 */
export function consumerStack<TEvent, TResult>(
  handler: (event: TEvent, context: Context) => Promise<TResult>,
): MiddyfiedHandler<TEvent, TResult> {
  return middy<TEvent, TResult>(handler)
    .use(flushMetrics())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(traceInvocation());
}
