import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ServiceNode, Topology } from "../../../shared/topology/index.js";
import { formatTraceHeader, newSegmentId, newTraceId, parseTraceHeader } from "../../../shared/tracing/traceHeader.js";
import type { Invocation } from "../FunctionPool.js";
import type { SegmentSender } from "../segmentSender.js";
import type { AuthorizerResult } from "./cognitoAuthorizer.js";
import { EDGE_HIT, EdgeCache, type EdgeCacheOptions } from "./edgeCache.js";
import { type GatewayRequest, proxyEvent } from "./proxyEvent.js";
import { type HttpAnswer, proxyResult } from "./proxyResult.js";
import { answerWith, problemAnswer, type ResponseIds, sendAnswer, sendJson, sendProblem } from "./responses.js";
import { RouteTable } from "./routeTable.js";
import { sendStageSegment } from "./stageSegment.js";

/** API Gateway's payload limit for REST APIs: 10 MB ("Amazon API Gateway quotas"). */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/** Answers a request outside the services (operator endpoints); true when it handled it. */
export type ExtraRoutes = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface GatewayOptions {
  readonly topology: Topology;
  readonly stage: string;
  readonly accountId: string;
  readonly invoke: (fn: string, event: unknown, traceHeader: string) => Promise<Invocation>;
  /** The authorizer of each service with a user pool, by service name. */
  readonly authorizers: ReadonlyMap<string, (authorization: string | undefined) => Promise<AuthorizerResult>>;
  readonly health: () => Promise<{ status: number; body: unknown }>;
  readonly extraRoutes?: ExtraRoutes;
  readonly segments?: SegmentSender;
  readonly log?: (line: string) => void;
  /**
   * The CDN in front of the APIs (`edgeCache.ts`), as the cloud's CloudFront distribution (`stacks/cdn.ts`): on
   * unless `false`. It stores only what a route's `cache-control` lets a shared cache store, so routes without
   * `cache` pass through unchanged (with `x-cache: Miss from cloudfront`).
   */
  readonly edge?: false | EdgeCacheOptions;
}

export interface Gateway {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A REST API id per service: ten stable lower-case characters, as API Gateway's ids look. */
export const apiIdOf = (service: string): string =>
  createHash("sha256").update(service).digest("hex").replace(/\d/g, "").padEnd(10, "a").slice(0, 10);

/**
 * The local API Gateway: one custom domain whose base paths map to one REST API per service, each with a
 * Lambda proxy integration per route and, on routes with `auth`, the Cognito user-pool authorizer.
 */
export async function startGateway(options: GatewayOptions, host: string, port: number): Promise<Gateway> {
  const table = new RouteTable(options.topology.services, options.topology.routes);
  const edge = options.edge === false ? undefined : new EdgeCache(options.edge);
  const server: Server = createServer((req, res) => {
    handle(options, table, edge, req, res).catch((error: unknown) => {
      options.log?.(`gateway: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!res.headersSent)
        sendProblem(res, { traceHeader: `Root=${newTraceId()}`, requestId: randomUUID() }, "internal", "gateway fault");
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  options: GatewayOptions,
  table: RouteTable,
  edge: EdgeCache | undefined,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const url = new URL(req.url ?? "/", "http://local");
  if (url.pathname === "/_health") {
    const health = await options.health();
    sendJson(res, undefined, health.status, health.body);
    return;
  }
  if (options.extraRoutes && /^\/(_dev|docs)(\/|$)/.test(url.pathname) && (await options.extraRoutes(req, res))) return;

  const method = (req.method ?? "GET").toUpperCase();
  const api = (rawHeaders: readonly string[]) => apiAnswer(options, table, req, url, method, rawHeaders);
  const answer = edge
    ? await edge.serve({ method, path: url.pathname, query: url.search.slice(1), rawHeaders: req.rawHeaders }, api)
    : await api(req.rawHeaders);
  // An answer from the edge never read the body: drain it, so the connection can carry the next request.
  req.resume();
  if (answer.headers["x-cache"] === EDGE_HIT)
    options.log?.(`${method} ${url.pathname} → ${answer.status} from the edge (age ${answer.headers.age} s)`);
  sendAnswer(res, answer);
}

/** API Gateway: the stage's domain, its base-path mappings, the authorizer and each route's Lambda integration. */
async function apiAnswer(
  options: GatewayOptions,
  table: RouteTable,
  req: IncomingMessage,
  url: URL,
  method: string,
  rawHeaders: readonly string[],
): Promise<HttpAnswer> {
  const startedAt = Date.now();
  const incoming = parseTraceHeader(headerOf(req, "x-amzn-trace-id"));
  const traceId = incoming?.root ?? newTraceId();
  const segmentId = newSegmentId();
  const requestId = randomUUID();
  const ids: ResponseIds = { traceHeader: `Root=${traceId}`, requestId };
  const match = table.match(method, url.pathname);
  if (match.kind === "no-service") return problemAnswer(ids, "not-found", `no service is mapped at ${url.pathname}`);
  const service = match.service;
  const sourceIp = (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
  const record = (status: number, contentLength: number, resourcePath?: string) => {
    sendStageSegment(options.segments, {
      traceId,
      id: segmentId,
      ...(incoming?.parent ? { parentId: incoming.parent } : {}),
      service: service.name,
      stage: options.stage,
      accountId: options.accountId,
      apiId: apiIdOf(service.name),
      requestId,
      ...(resourcePath ? { resourcePath } : {}),
      method,
      url: `http://${headerOf(req, "host") ?? "127.0.0.1"}${req.url ?? "/"}`,
      sourceIp,
      ...(headerOf(req, "user-agent") ? { userAgent: headerOf(req, "user-agent")! } : {}),
      startedAt,
      status,
      contentLength,
    });
    options.log?.(`${method} ${url.pathname} → ${status} (${Date.now() - startedAt} ms) ${service.name} ${traceId}`);
  };

  const answered = (answer: HttpAnswer, contentLength: number, resourcePath?: string): HttpAnswer => {
    record(answer.status, contentLength, resourcePath);
    return answer;
  };
  if (match.kind === "no-path") return answered(problemAnswer(ids, "not-found", `no route matches ${url.pathname}`), 0);
  if (match.kind === "wrong-method") {
    const detail = `${method} is not allowed on ${url.pathname}`;
    return answered(problemAnswer(ids, "method-not-allowed", detail, { allow: match.allow.join(", ") }), 0);
  }

  const body = await readBody(req, MAX_REQUEST_BYTES);
  if (body === "too-large")
    return answered(problemAnswer(ids, "payload-too-large", "the request body is over API Gateway's 10 MB limit"), 0);

  const { route } = match;
  let claims: Record<string, string> | undefined;
  if (route.auth) {
    const authorize = options.authorizers.get(service.name) ?? options.authorizers.get("*");
    const result: AuthorizerResult = authorize
      ? await authorize(headerOf(req, "authorization"))
      : { ok: false, reason: "no user pool" };
    if (!result.ok) {
      options.log?.(`authorizer refused ${method} ${url.pathname}: ${result.reason}`);
      const refusal = problemAnswer(ids, "unauthorized", "a valid bearer access token is required", {
        "www-authenticate": "Bearer",
      });
      return answered(refusal, 0, route.path);
    }
    claims = result.claims;
  }

  const functionHeader = formatTraceHeader({ root: traceId, parent: segmentId, sampled: incoming?.sampled ?? true });
  const request: GatewayRequest = {
    method,
    path: url.pathname,
    query: url.search.slice(1),
    rawHeaders,
    body,
    sourceIp,
    protocol: `HTTP/${req.httpVersion}`,
    receivedAt: startedAt,
  };
  const event = proxyEvent({
    request,
    resource: route.path,
    apiPath: match.apiPath,
    pathParameters: match.pathParameters,
    stage: options.stage,
    accountId: options.accountId,
    apiId: apiIdOf(service.name),
    requestId,
    traceHeader: functionHeader,
    ...(claims ? { claims } : {}),
  });
  const { outcome } = await options.invoke(route.function, event, functionHeader);
  const answer = outcome.ok ? proxyResult(outcome.value) : undefined;
  if (!answer) {
    const why = outcome.ok
      ? "malformed Lambda proxy response"
      : `${outcome.error.errorType}: ${outcome.error.errorMessage}`;
    options.log?.(`${route.function} failed: ${why}`);
    // API Gateway answers 502 {"message": "Internal server error"} when the integration fails.
    return answered(problemAnswer(ids, "bad-gateway", "Internal server error"), 0, route.path);
  }
  const functionRequestId = answer.headers["x-request-id"];
  const requestIds = {
    traceHeader: ids.traceHeader,
    requestId: typeof functionRequestId === "string" ? functionRequestId : requestId,
  };
  return answered(answerWith(requestIds, answer.status, answer.headers, answer.body), answer.body.length, route.path);
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** Reads the body; one over `limit` is drained (so the client can read the 413) and refused. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too-large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > 4 * limit) req.destroy();
    });
    req.once("end", () => resolve(size > limit ? "too-large" : Buffer.concat(chunks)));
    req.once("close", () => resolve(size > limit ? "too-large" : Buffer.concat(chunks)));
    req.once("error", reject);
  });
}

export type { ServiceNode };
