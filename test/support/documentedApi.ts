import { Agent, request } from "node:http";
import { expect } from "vitest";
import type { OpenApiDocument, OpenApiMethod, OpenApiOperation } from "../../local/devtools/openapi.js";
import { services } from "../../services/index.js";
import { PROBLEM_KINDS, type ProblemDetails } from "../../shared/http/problem.js";
import { buildTopology } from "../../shared/topology/index.js";
import type { DevServer } from "./devServer.js";
import type { JsonSchema } from "./schemaCases.js";

/**
 * The API as a running `npm run dev` documents it, and raw requests to it: every operation of every service the
 * topology lists, read from `GET /docs/{service}.json`; requests sent byte for byte (no URL normalisation, repeated
 * headers kept) with the checks every answer of the contract must pass. Shared by the fuzz and BOLA suites.
 */

export interface DocumentedOperation {
  readonly service: string;
  readonly method: Uppercase<OpenApiMethod>;
  /** The path on the domain, with `{name}` placeholders: `/products/{productId}`. */
  readonly path: string;
  readonly operation: OpenApiOperation;
  /** `METHOD /path`, for test names. */
  readonly name: string;
}

/** Every operation the running system documents, for each service of the topology. */
export async function documentedOperations(dev: DevServer): Promise<DocumentedOperation[]> {
  const operations: DocumentedOperation[] = [];
  for (const service of buildTopology(services).services) {
    const res = await fetch(`${dev.url}/docs/${service.name}.json`);
    expect(res.status, `/docs/${service.name}.json`).toBe(200);
    const document = (await res.json()) as OpenApiDocument;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item) as [OpenApiMethod, OpenApiOperation][]) {
        const full = `${service.basePath}${path === "/" ? "" : path}`;
        const upper = method.toUpperCase() as Uppercase<OpenApiMethod>;
        operations.push({ service: service.name, method: upper, path: full, operation, name: `${upper} ${full}` });
      }
    }
  }
  return operations;
}

/** Whether the operation documents `status` (exactly, or as its class: `2XX`). */
export function documents(operation: OpenApiOperation, status: number): boolean {
  return String(status) in operation.responses || `${String(status)[0]}XX` in operation.responses;
}

export const needsToken = (operation: OpenApiOperation): boolean => (operation.security?.length ?? 0) > 0;

export function parametersIn(operation: OpenApiOperation, where: "path" | "query" | "header") {
  return (operation.parameters ?? []).filter((parameter) => parameter.in === where);
}

export const bodySchemaOf = (operation: OpenApiOperation): JsonSchema | undefined =>
  operation.requestBody?.content["application/json"]?.schema as JsonSchema | undefined;

/** `/forums/{forumId}/threads` with `{ forumId: "f 1" }` → `/forums/f%201/threads`. */
export const fillPath = (template: string, values: Readonly<Record<string, string>>): string =>
  template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? ""));

export interface RawRequest {
  readonly method: string;
  /** Sent as is: the suite encodes what it means to encode. */
  readonly path: string;
  /** In order; a name may repeat. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string | Buffer;
}

export interface RawReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  readonly json: unknown;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/**
 * One request, byte for byte: the path unnormalised (`..` and percent-encodings reach the server as written) and
 * each header line as given (a repeated name is sent twice).
 */
export function send(baseUrl: string, raw: RawRequest): Promise<RawReply> {
  const url = new URL(baseUrl);
  // A name given twice is sent as two header lines (node:http writes each value of an array on its own line).
  const headers: Record<string, string[]> = {};
  for (const [name, value] of raw.headers ?? []) headers[name] = [...(headers[name] ?? []), value];
  if (raw.body !== undefined) headers["content-length"] = [String(Buffer.byteLength(raw.body))];
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, method: raw.method, path: raw.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          if (/json/.test(String(res.headers["content-type"] ?? ""))) {
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", reject);
    req.end(raw.body);
  });
}

/** Frames of a stack trace and paths of this machine: nothing an answer may carry. */
const LEAKS = [/\bat \S+ \(/, /\bat (file|node):/, /\.(ts|js|mjs):\d+/, /node_modules/, /\/work\//];

/**
 * The checks every answer of the contract passes, whatever was sent: never a 5xx, nothing of the server's insides,
 * the trace and request ids, JSON on a success and an RFC 9457 problem (a known kind, its status the answer's) on
 * every 4xx. Returns the problem, if it is one.
 */
export function expectSane(reply: RawReply, what: string): ProblemDetails | undefined {
  const context = `${what} → ${reply.status} ${reply.text.slice(0, 400)}`;
  expect(reply.status, context).toBeGreaterThanOrEqual(200);
  expect(reply.status, context).toBeLessThan(500);
  for (const leak of LEAKS) expect(reply.text, context).not.toMatch(leak);
  expect(reply.headers["x-request-id"], context).toMatch(/\S/);
  expect(reply.headers["x-amzn-trace-id"], context).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}/);
  if (reply.status < 400) {
    if (reply.text.length > 0) expect(reply.headers["content-type"], context).toBe("application/json; charset=utf-8");
    return undefined;
  }
  expect(reply.headers["content-type"], context).toMatch(/^application\/problem\+json(;|$)/);
  const problem = reply.json as ProblemDetails;
  expect(problem, context).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status: reply.status,
      detail: expect.stringMatching(/\S/),
    }),
  );
  const kind = Object.values(PROBLEM_KINDS).find((k) => k.type === problem.type);
  expect(kind, context).toEqual({ type: problem.type, title: problem.title, status: reply.status });
  for (const error of problem.errors ?? [])
    expect(error, context).toEqual({ path: expect.stringMatching(/\S/), message: expect.stringMatching(/\S/) });
  return problem;
}

export interface ApiUser {
  readonly userId: string;
  readonly email: string;
  readonly password: string;
  readonly accessToken: string;
  readonly idToken: string;
  readonly refreshToken: string;
}

/** A new account through the API itself: `POST /users/signup`, then `POST /users/signin`. */
export async function signUpUser(dev: DevServer, label: string): Promise<ApiUser> {
  const email = `${label.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const password = `pw-${crypto.randomUUID()}`;
  const json = [["content-type", "application/json"]] as const;
  const signup = await send(dev.url, {
    method: "POST",
    path: "/users/signup",
    headers: json,
    body: JSON.stringify({ email, password, displayName: label }),
  });
  expect(signup.status, signup.text).toBe(201);
  const signin = await send(dev.url, {
    method: "POST",
    path: "/users/signin",
    headers: json,
    body: JSON.stringify({ email, password }),
  });
  expect(signin.status, signin.text).toBe(200);
  const tokens = signin.json as { accessToken: string; idToken: string; refreshToken: string };
  return { userId: (signup.json as { userId: string }).userId, email, password, ...tokens };
}

/**
 * What the API answered with, kept so that later requests name real resources: a body, its `items` and their
 * nested objects, searched by the names of a path's parameters (a thread is found by `forumId` and `threadId`).
 *
 * @example
 * ```ts
 * const known = new KnownResources();
 * known.remember(reply.json); // { forumId: "f1", threadId: "t1", ... }
 * known.withAll(["forumId", "threadId"]); // [{ forumId: "f1", threadId: "t1" }]
 * ```
 */
export class KnownResources {
  private readonly items: Record<string, unknown>[] = [];

  remember(json: unknown): void {
    if (typeof json !== "object" || json === null) return;
    const body = json as Record<string, unknown>;
    for (const item of [body, ...(Array.isArray(body.items) ? body.items : [])]) {
      if (typeof item !== "object" || item === null) continue;
      this.items.push(item as Record<string, unknown>);
      for (const nested of Object.values(item))
        if (typeof nested === "object" && nested !== null && !Array.isArray(nested))
          this.items.push(nested as Record<string, unknown>);
    }
  }

  /** The values of `names` in each remembered object that has all of them as strings, most recent last. */
  withAll(names: readonly string[]): Record<string, string>[] {
    return this.items
      .filter((item) => names.every((name) => typeof item[name] === "string"))
      .map((item) => Object.fromEntries(names.map((name) => [name, String(item[name])])));
  }
}
