import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyResult } from "aws-lambda";
import { exchangeFor, type HttpEvent } from "./exchange.js";
import { payloadTooLarge } from "./problem.js";

export interface BodyLimitOptions {
  /** The largest body accepted, in bytes as sent (after base64 decoding). */
  readonly maxBytes?: number;
}

const defaults = { maxBytes: 64 * 1024 } satisfies BodyLimitOptions;

/**
 * Refuses a body over `maxBytes` with 413 and keeps the body as sent for the next middleware. API Gateway
 * base64-encodes binary bodies (`isBase64Encoded`); the limit counts the decoded bytes.
 *
 * @example
 * ```ts
 * middy(route).use(bodyLimit({ maxBytes: 64 * 1024 }));
 * ```
 */
export function bodyLimit(options: BodyLimitOptions = {}): MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  const { maxBytes } = { ...defaults, ...options };
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0)
    throw new TypeError("bodyLimit: maxBytes must be a whole number");

  const bodyLimitBefore = (request: { event: HttpEvent }): void => {
    const exchange = exchangeFor(request);
    const body: unknown = exchange.event.body;
    if (typeof body !== "string" || body === "") return;
    if (exchange.event.isBase64Encoded) {
      // Decoded in full (API Gateway caps payloads at 10 MB): the limit is on the bytes, exactly.
      const bytes = Buffer.from(body, "base64");
      if (bytes.length > maxBytes) throw tooLarge(maxBytes);
      exchange.rawBody = bytes;
      return;
    }
    if (body.length > maxBytes || Buffer.byteLength(body, "utf8") > maxBytes) throw tooLarge(maxBytes);
    exchange.rawBody = body;
  };
  return { before: bodyLimitBefore };
}

function tooLarge(maxBytes: number) {
  return payloadTooLarge(`the request body is over the limit of ${maxBytes} bytes`);
}
