/**
 * The inside of one sandbox: a process that loads one handler and runs one invocation at a time, as a Lambda
 * execution environment does. The runtime sets the function's environment when it starts the process; per
 * invocation it sets `_X_AMZN_TRACE_ID`, which is safe only because invocations never overlap here.
 */
import { pathToFileURL } from "node:url";
import type { InvocationErrorBody, InvokeMessage, LineSpans, SandboxMessage } from "./protocol.js";

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const send = (message: SandboxMessage) => process.send?.(message);

/** Lines written to each stream so far: the runtime attributes every line to an invocation by its number. */
const written = { stdout: 0, stderr: 0 };
for (const name of ["stdout", "stderr"] as const) {
  const stream = process[name];
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : "";
    for (const char of text) if (char === "\n") written[name]++;
    return write(chunk, ...rest);
  }) as typeof stream.write;
}
const spanSince = (from: typeof written): LineSpans => ({
  stdout: [from.stdout, written.stdout],
  stderr: [from.stderr, written.stderr],
});

function errorBody(error: unknown): InvocationErrorBody {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: error.stack?.split("\n") ?? [] };
  }
  return { errorType: "Error", errorMessage: String(error) };
}

async function load(): Promise<Handler> {
  const file = process.env.SUMMIT_HANDLER_FILE;
  const exportName = process.env.SUMMIT_HANDLER_EXPORT ?? "handler";
  if (!file) throw new Error("SUMMIT_HANDLER_FILE is not set");
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const handler = module[exportName];
  if (typeof handler !== "function") throw new Error(`${file} has no exported function "${exportName}"`);
  return handler as Handler;
}

function context(message: InvokeMessage) {
  const env = process.env;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? "",
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? "$LATEST",
    invokedFunctionArn: env.SUMMIT_FUNCTION_ARN ?? "",
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "512",
    awsRequestId: message.awsRequestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME ?? "",
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME ?? "",
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const started = performance.now();
const handlerPromise = load();
handlerPromise.then(
  () => send({ type: "ready", initMs: Math.round(performance.now() - started) }),
  (error: unknown) => send({ type: "init-error", error: errorBody(error) }),
);

process.on("message", async (message: InvokeMessage) => {
  if (message.type !== "invoke") return;
  process.env._X_AMZN_TRACE_ID = message.traceHeader;
  const from = { ...written };
  try {
    const handler = await handlerPromise;
    const value = await handler(message.event, context(message));
    send({ type: "result", id: message.id, ok: true, value, lines: spanSince(from) });
  } catch (error) {
    send({ type: "result", id: message.id, ok: false, error: errorBody(error), lines: spanSince(from) });
  } finally {
    delete process.env._X_AMZN_TRACE_ID;
  }
});

// The runtime owns this process: when it goes, so do we.
process.on("disconnect", () => process.exit(0));
