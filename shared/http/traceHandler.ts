import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyResult } from "aws-lambda";
import { traceInvocation, tracer } from "../tracing/index.js";
import type { HttpEvent } from "./exchange.js";
import { answerFor } from "./problem.js";

/**
 * Powertools' handler subsegment, told apart as X-Ray does: a client's 4xx is an error (the `error` flag), only a
 * real fault is a fault. Powertools alone records every thrown value as a fault, 400s included.
 */
export function traceHandler(): MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  const traced = traceInvocation();
  return {
    before: traced.before,
    after: traced.after,
    onError: async (request) => {
      if (answerFor(request.error).fault) return traced.onError?.(request);
      tracer.getSegment()?.addErrorFlag();
      return traced.after?.(request);
    },
  };
}
