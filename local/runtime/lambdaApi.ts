import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Topology } from "../../shared/topology/index.js";
import { closeHttpServer, listenOnLoopback, readBody } from "../emulators/httpServer.js";
import { LOOPBACK } from "../emulators/ports.js";
import type { Invocation } from "./FunctionPool.js";
import { functionNameOf } from "./functionEnvironment.js";

export interface LambdaApiOptions {
  readonly topology: Topology;
  readonly functionArn: (fn: string) => string;
  /** RequestResponse: runs the invocation and answers with its outcome. */
  readonly invoke: (fn: string, event: unknown, traceHeader?: string) => Promise<Invocation>;
  /** Event: accepted at once, then Lambda's asynchronous retries and on-failure destination apply. */
  readonly invokeAsync: (fn: string, event: unknown, traceHeader?: string) => void;
}

export interface LambdaApi {
  /** `http://127.0.0.1:<port>`, the value of AWS_ENDPOINT_URL_LAMBDA */
  readonly url: string;
  stop(): Promise<void>;
}

const INVOKE = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const LIST = /^\/2015-03-31\/functions\/?$/;
/** Lambda's largest synchronous payload. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Lambda's error shape: `x-amzn-ErrorType` names the exception the SDK throws, the body carries its message. */
function fail(res: ServerResponse, status: number, type: string, message: string): void {
  send(res, status, { Type: "User", message }, { "x-amzn-errortype": type });
}

/** A `FunctionName` as Lambda takes it: `my-fn`, its ARN (with or without a qualifier) or `<account>:my-fn`. */
function invokedName(value: string): string {
  return functionNameOf(value) ?? /^\d{12}:([^:]+)$/.exec(value)?.[1] ?? value.split(":")[0]!;
}

/**
 * The Lambda API's Invoke and ListFunctions on the local runtime (at `AWS_ENDPOINT_URL_LAMBDA`), so an operator
 * tool or a test calls a local function with `@aws-sdk/client-lambda` exactly as it calls a deployed one:
 * `RequestResponse` answers the function's result (a function error as `X-Amz-Function-Error: Unhandled` with its
 * error object, status 200, as Lambda does), `Event` answers 202 and runs with the asynchronous retries and
 * on-failure destination, `DryRun` answers 204. An unknown function is `ResourceNotFoundException`, a payload that
 * is not JSON `InvalidRequestContentException`, one over 6 MB `RequestTooLargeException`.
 *
 * @example
 * ```ts
 * const api = await startLambdaApi({ topology, functionArn, invoke, invokeAsync });
 * await new LambdaClient({ endpoint: api.url }).send(new InvokeCommand({ FunctionName: "UsersGetMe", Payload }));
 * ```
 */
export async function startLambdaApi(options: LambdaApiOptions): Promise<LambdaApi> {
  const known = new Set(options.topology.functions.map((f) => f.name));

  async function invoke(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
    const fn = invokedName(decodeURIComponent(target));
    if (!known.has(fn))
      return fail(res, 404, "ResourceNotFoundException", `Function not found: ${options.functionArn(fn)}`);
    const body = await readBody(req);
    if (body.length > MAX_PAYLOAD_BYTES)
      return fail(
        res,
        413,
        "RequestTooLargeException",
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
      );
    let event: unknown = {};
    if (body.length > 0) {
      try {
        event = JSON.parse(body.toString("utf8"));
      } catch {
        return fail(res, 400, "InvalidRequestContentException", "Could not parse request body into json");
      }
    }
    const type = String(req.headers["x-amz-invocation-type"] ?? "RequestResponse");
    const traceHeader = typeof req.headers["x-amzn-trace-id"] === "string" ? req.headers["x-amzn-trace-id"] : undefined;
    if (type === "DryRun") return send(res, 204, undefined);
    if (type === "Event") {
      options.invokeAsync(fn, event, traceHeader);
      return send(res, 202, undefined);
    }
    if (type !== "RequestResponse")
      return fail(res, 400, "InvalidParameterValueException", `Unsupported invocation type: ${type}`);
    const { outcome } = await options.invoke(fn, event, traceHeader);
    const version = { "x-amz-executed-version": "$LATEST" };
    if (outcome.ok)
      return send(res, 200, outcome.value === undefined ? "null" : JSON.stringify(outcome.value), version);
    const { errorType, errorMessage, trace } = outcome.error;
    return send(
      res,
      200,
      { errorType, errorMessage, ...(trace ? { stackTrace: trace } : {}) },
      { ...version, "x-amz-function-error": "Unhandled" },
    );
  }

  function list(res: ServerResponse): void {
    const functions = options.topology.functions.map((f) => ({
      FunctionName: f.name,
      FunctionArn: options.functionArn(f.name),
      Runtime: "nodejs22.x",
      Handler: f.handler,
      MemorySize: f.memoryMb,
      Timeout: f.timeoutSeconds,
      TracingConfig: { Mode: "Active" },
    }));
    send(res, 200, { Functions: functions });
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const target = INVOKE.exec(path)?.[1];
    const work =
      req.method === "POST" && target !== undefined
        ? invoke(req, res, target)
        : req.method === "GET" && LIST.test(path)
          ? Promise.resolve(list(res))
          : Promise.resolve(
              fail(res, 404, "ResourceNotFoundException", `no such Lambda API operation: ${req.method} ${path}`),
            );
    work.catch((error: unknown) => {
      if (!res.headersSent) fail(res, 500, "ServiceException", error instanceof Error ? error.message : String(error));
    });
  });
  const port = await listenOnLoopback(server);
  return { url: `http://${LOOPBACK}:${port}`, stop: () => closeHttpServer(server) };
}
