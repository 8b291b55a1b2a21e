import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import middy, { type MiddyfiedHandler } from "@middy/core";
import type { Context } from "aws-lambda";
import { logger } from "../logging/index.js";
import { tracer } from "../tracing/index.js";

/**
 * The middy stack of an event consumer (SQS, SNS, EventBridge, Kinesis): log lines carry the Lambda context
 * (and `cold_start`), the handler runs in its own trace subsegment annotated `ColdStart`. Keys a handler adds to
 * the logger are dropped after each invocation. Batch responses are not copied into the trace (they can be large).
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
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }));
}
