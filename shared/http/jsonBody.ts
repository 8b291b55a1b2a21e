import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyResult } from "aws-lambda";
import { exchangeFor, type HttpEvent } from "./exchange.js";
import { badRequest, HttpProblem, unsupportedMediaType } from "./problem.js";

export interface JsonBodyOptions {
  /** Deepest nesting of arrays and objects accepted: deeper JSON is refused before it reaches recursive code. */
  readonly maxDepth?: number;
}

const defaults = { maxDepth: 64 } satisfies JsonBodyOptions;

// `application/json` or a structured `+json` type (RFC 6839, e.g. `application/merge-patch+json`).
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Whether a `content-type` declares JSON; a missing header is taken as JSON (RFC 8259 has JSON in UTF-8 only). */
function declaresJson(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType.trim() === "") return true;
  const [mediaType = "", ...parameters] = contentType.split(";");
  if (!JSON_MEDIA_TYPE.test(mediaType.trim().toLowerCase())) return false;
  for (const parameter of parameters) {
    const [name = "", value = ""] = parameter.split("=", 2);
    if (name.trim().toLowerCase() !== "charset") continue;
    const charset = value.trim().replace(/^"|"$/g, "").toLowerCase();
    if (charset !== "utf-8" && charset !== "utf8") return false;
  }
  return true;
}

/** The deepest nesting of `[`/`{` outside strings, stopping as soon as `limit` is passed. */
function nestingOver(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * Parses the JSON body of a route that takes one: 400 when it is missing, not UTF-8, too deep or malformed;
 * 415 when the `content-type` is not JSON.
 *
 * @example
 * ```ts
 * middy(route).use(bodyLimit()).use(jsonBody());
 * ```
 */
export function jsonBody(options: JsonBodyOptions = {}): MiddlewareObj<HttpEvent, APIGatewayProxyResult> {
  const { maxDepth } = { ...defaults, ...options };
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1)
    throw new TypeError("jsonBody: maxDepth must be a positive whole number");

  const jsonBodyBefore = (request: { event: HttpEvent }): void => {
    const exchange = exchangeFor(request);
    const raw = exchange.rawBody;
    if (raw === undefined || raw.length === 0) throw badRequest("a JSON request body is required");
    if (!declaresJson(exchange.headers["content-type"])) {
      throw unsupportedMediaType("the request body must be application/json");
    }
    let text: string;
    try {
      text = typeof raw === "string" ? raw : UTF8.decode(raw);
    } catch {
      throw new HttpProblem("malformed-json", "the request body is not valid UTF-8");
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // RFC 8259 §8.1: a parser may ignore a BOM
    if (nestingOver(text, maxDepth)) {
      throw new HttpProblem("malformed-json", `the request body is nested deeper than ${maxDepth} levels`);
    }
    try {
      exchange.json = { value: JSON.parse(text) };
    } catch {
      throw new HttpProblem("malformed-json", "the request body is not valid JSON");
    }
  };
  return { before: jsonBodyBefore };
}
