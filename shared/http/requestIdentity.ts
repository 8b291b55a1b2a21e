import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyResult } from "aws-lambda";
import { logger as defaultLogger } from "../logging/index.js";
import { exchangeFor, type HttpEvent } from "./exchange.js";

export interface RequestIdentityOptions {
  /** The logger that gets `correlation_id` (Powertools Logger or any with `setCorrelationId`). */
  readonly logger?: { setCorrelationId(value: unknown): void };
}

const defaults = { logger: defaultLogger } satisfies RequestIdentityOptions;

/**
 * Gives the request its ids (request id, correlation id, trace header) and puts the correlation id on every log
 * line of the invocation.
 *
 * @example
 * ```ts
 * middy(route).use(requestIdentity());
 * ```
 */
export function requestIdentity(options: RequestIdentityOptions = {}): MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  const { logger } = { ...defaults, ...options };
  if (typeof logger?.setCorrelationId !== "function")
    throw new TypeError("requestIdentity: logger must have setCorrelationId");

  const requestIdentityBefore = (request: { event: HttpEvent }): void => {
    const exchange = exchangeFor(request);
    logger.setCorrelationId(exchange.correlationId);
  };
  return { before: requestIdentityBefore };
}
