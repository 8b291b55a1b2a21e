import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyResult } from "aws-lambda";
import { traceInvocation } from "../tracing/index.js";
import type { HttpEvent } from "./exchange.js";
import { answerFor } from "./problem.js";

/**
 * The handler subsegment of an HTTP function, a failure told apart as X-Ray does: a client's 4xx is an error (the
 * `error` flag), only a real fault is a fault (recorded with its cause).
 */
export function traceHandler(): MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  return traceInvocation({ classify: (error) => (answerFor(error).fault ? "fault" : "error") });
}
