import { PROBLEM_CONTENT_TYPE, type ProblemAnswer } from "./problem.js";
import type { HttpResponse, RouteOutput } from "./types.js";

/** A response as API Gateway's proxy integration expects it, before the common headers are added. */
export interface HttpResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

const RESPONSE_KEYS = new Set(["status", "body", "headers"]);

function isHttpResponse(output: object): output is HttpResponse {
  if (Array.isArray(output)) return false;
  const keys = Object.keys(output);
  if (keys.length === 0 || !keys.every((key) => RESPONSE_KEYS.has(key))) return false;
  const { status, headers } = output as HttpResponse;
  if (status !== undefined && !(Number.isInteger(status) && status >= 100 && status <= 599)) return false;
  return headers === undefined || (typeof headers === "object" && headers !== null);
}

function lowerCaseHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) result[name.toLowerCase()] = String(value);
  return result;
}

/**
 * Turns what a handler returned into the proxy result: JSON body, `successStatus` for a plain object,
 * 204 with no body for nothing at all.
 *
 * @example
 * ```ts
 * toHttpResult({ status: 201, body: product }, 200); // { statusCode: 201, body: '{"productId":…}', … }
 * ```
 */
export function toHttpResult(output: RouteOutput, successStatus: number): HttpResult {
  if (output === undefined || output === null) return { statusCode: 204, headers: {}, body: "" };
  const response: HttpResponse = isHttpResponse(output) ? output : { body: output };
  const headers = lowerCaseHeaders(response.headers);
  const statusCode = response.status ?? successStatus;
  if (response.body === undefined) return { statusCode, headers, body: "" };
  return {
    statusCode,
    headers: { ...headers, "content-type": JSON_CONTENT_TYPE },
    body: JSON.stringify(response.body),
  };
}

/**
 * The proxy result of a problem answer (RFC 9457 body, `application/problem+json`).
 *
 * @example
 * ```ts
 * toProblemResult(answerFor(error));
 * ```
 */
export function toProblemResult(answer: ProblemAnswer): HttpResult {
  return {
    statusCode: answer.status,
    headers: { ...lowerCaseHeaders(answer.headers), "content-type": PROBLEM_CONTENT_TYPE },
    body: JSON.stringify(answer.body),
  };
}
