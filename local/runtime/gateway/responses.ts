import type { ServerResponse } from "node:http";
import { PROBLEM_KINDS, type ProblemKind } from "../../../shared/http/problem.js";
import type { HttpAnswer } from "./proxyResult.js";

/** Headers every gateway response carries (the contract's tracing convention). */
export interface ResponseIds {
  readonly traceHeader: string;
  readonly requestId: string;
}

/** An answer with the tracing headers of the request that produced it (a stored copy keeps them, as CloudFront's do). */
export function answerWith(
  ids: ResponseIds | undefined,
  status: number,
  headers: Record<string, string | string[]>,
  body: string | Buffer,
): HttpAnswer {
  const all: Record<string, string | string[]> = { ...headers };
  if (ids) {
    all["x-amzn-trace-id"] = ids.traceHeader;
    all["x-request-id"] = ids.requestId;
  }
  return { status, headers: all, body: typeof body === "string" ? Buffer.from(body, "utf8") : body };
}

/**
 * A problem+json answer from the gateway itself (no function ran): the contract's RFC 9457 form of what API
 * Gateway answers (`{"message":"Unauthorized"}`, `Missing Authentication Token`, `Internal server error`…).
 */
export function problemAnswer(
  ids: ResponseIds,
  kind: ProblemKind | "bad-gateway",
  detail: string,
  headers: Record<string, string> = {},
): HttpAnswer {
  const problem =
    kind === "bad-gateway"
      ? { status: 502, title: "Bad Gateway", type: "https://summit.dev/problems/bad-gateway" }
      : PROBLEM_KINDS[kind];
  const body = JSON.stringify({ type: problem.type, title: problem.title, status: problem.status, detail });
  return answerWith(ids, problem.status, { "content-type": "application/problem+json", ...headers }, body);
}

export function sendProblem(
  res: ServerResponse,
  ids: ResponseIds,
  kind: ProblemKind | "bad-gateway",
  detail: string,
  headers: Record<string, string> = {},
): number {
  const answer = problemAnswer(ids, kind, detail, headers);
  sendAnswer(res, answer);
  return answer.status;
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
  sendAnswer(res, answerWith(ids, status, headers, body));
}

export function sendAnswer(res: ServerResponse, answer: HttpAnswer): void {
  if (res.headersSent) return;
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader("content-length", answer.body.length);
  res.end(answer.body);
}
