import type { ServerResponse } from "node:http";
import { PROBLEM_KINDS, type ProblemKind } from "../../../shared/http/problem.js";

/** Headers every gateway response carries (the contract's tracing convention). */
export interface ResponseIds {
  readonly traceHeader: string;
  readonly requestId: string;
}

/**
 * A problem+json answer from the gateway itself (no function ran): the contract's RFC 9457 form of what API
 * Gateway answers (`{"message":"Unauthorized"}`, `Missing Authentication Token`, `Internal server error`…).
 */
export function sendProblem(
  res: ServerResponse,
  ids: ResponseIds,
  kind: ProblemKind | "bad-gateway",
  detail: string,
  headers: Record<string, string> = {},
): number {
  const problem =
    kind === "bad-gateway"
      ? { status: 502, title: "Bad Gateway", type: "https://summit.dev/problems/bad-gateway" }
      : PROBLEM_KINDS[kind];
  const body = JSON.stringify({ type: problem.type, title: problem.title, status: problem.status, detail });
  send(res, ids, problem.status, { "content-type": "application/problem+json", ...headers }, body);
  return problem.status;
}

export function sendJson(res: ServerResponse, ids: ResponseIds | undefined, status: number, value: unknown): number {
  send(res, ids, status, { "content-type": "application/json; charset=utf-8" }, JSON.stringify(value));
  return status;
}

export function send(
  res: ServerResponse,
  ids: ResponseIds | undefined,
  status: number,
  headers: Record<string, string | string[]>,
  body: string | Buffer,
): void {
  if (res.headersSent) return;
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (ids) {
    res.setHeader("x-amzn-trace-id", ids.traceHeader);
    res.setHeader("x-request-id", ids.requestId);
  }
  res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}
