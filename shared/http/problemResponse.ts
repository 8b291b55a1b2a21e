import type { Logger } from "@aws-lambda-powertools/logger";
import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyResult } from "aws-lambda";
import { logger as defaultLogger } from "../logging/index.js";
import { exchangeFor, type HttpEvent } from "./exchange.js";
import { answerFor } from "./problem.js";
import { toProblemResult } from "./result.js";

export interface ProblemResponseOptions {
  /** Where real faults are logged. */
  readonly logger?: Pick<Logger, "error">;
}

const defaults = { logger: defaultLogger } satisfies ProblemResponseOptions;

type Request = { event: HttpEvent; error: unknown; response: APIGatewayProxyResult | null | undefined };

/**
 * Answers every error with RFC 9457 problem details. An `HttpProblem` says what the client did wrong; anything
 * else is a fault: logged in full with its trace id, answered with a generic 500 that reveals nothing.
 *
 * @example
 * ```ts
 * middy(route).use(responseHeaders()).use(problemResponse());
 * ```
 */
export function problemResponse(options: ProblemResponseOptions = {}): MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  const { logger } = { ...defaults, ...options };
  if (typeof logger?.error !== "function") throw new TypeError("problemResponse: logger must have error()");

  const problemResponseOnError = (request: Request): void => {
    const answer = answerFor(request.error);
    if (answer.fault) {
      const exchange = exchangeFor(request);
      try {
        logger.error("request failed with a fault", {
          error: request.error,
          trace_id: exchange.traceHeader,
          request_id: exchange.requestId,
        });
      } catch {
        // Logging must never turn a 500 into an unhandled error (API Gateway would answer 502).
      }
    }
    request.response = toProblemResult(answer);
  };
  return { onError: problemResponseOnError };
}
