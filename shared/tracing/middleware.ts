import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import type { MiddlewareObj } from "@middy/core";
import { tracer } from "./tracer.js";

/**
 * The middy middleware that traces one invocation: the handler runs in its own subsegment (annotated `ColdStart`,
 * errors recorded), with the segment kept in middy's `request.internal` so concurrent invocations never share it.
 * Responses are not copied into the trace (batch responses and bodies can be large). Powertools Tracer today; an
 * OpenTelemetry span tomorrow, with no caller changing.
 *
 * @example
 * ```ts
 * middy(handler).use(traceInvocation());
 * ```
 */
export function traceInvocation<TEvent, TResult>(): MiddlewareObj<TEvent, TResult> {
  return captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj<TEvent, TResult>;
}
