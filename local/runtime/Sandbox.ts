import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { InvocationLines } from "./invocationLines.js";
import type { InvocationErrorBody, InvokeMessage, SandboxMessage } from "./protocol.js";

const ENTRY = fileURLToPath(new URL("./sandboxProcess.ts", import.meta.url));

/** `initMs` and `init` are set on the first invocation of an environment (its cold start). */
export type InvocationOutcome =
  | {
      readonly ok: true;
      readonly value: unknown;
      readonly durationMs: number;
      readonly initMs?: number;
      readonly init?: InitSpan;
    }
  | {
      readonly ok: false;
      readonly kind: "function" | "timeout" | "init";
      readonly error: InvocationErrorBody;
      readonly durationMs: number;
      readonly initMs?: number;
      readonly init?: InitSpan;
    };

export interface SandboxOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Every line the process writes, as it is read. */
  readonly onLog?: (line: string, stream: "stdout" | "stderr") => void;
  /** Each line an invocation wrote, once placed, with the trace header the invocation ran under. */
  readonly onInvocationLog?: (line: string, stream: "stdout" | "stderr", traceHeader: string) => void;
}

/** When the environment's init ran (epoch ms): Lambda records it as the cold start's `Initialization`. */
export interface InitSpan {
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * One execution environment: a child process holding one handler, running one invocation at a time.
 * A timeout kills the process, as Lambda discards an environment whose invocation timed out.
 */
export class Sandbox {
  private readonly child: ChildProcess;
  private readonly ready: Promise<{ initMs: number; init: InitSpan } | { error: InvocationErrorBody }>;
  private readonly lines: InvocationLines;
  private pending?: { id: string; resolve: (message: SandboxMessage) => void };
  private exited = false;
  private killed = false;
  private coldStartReported = false;
  busy = false;

  constructor(private readonly options: SandboxOptions) {
    const startMs = Date.now();
    this.lines = new InvocationLines(({ line, stream, invocation }) => {
      if (invocation !== undefined && line) options.onInvocationLog?.(line, stream, invocation);
    });
    this.child = fork(ENTRY, [], {
      env: { ...options.env },
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "advanced",
    });
    for (const stream of ["stdout", "stderr"] as const) {
      let buffered = "";
      this.child[stream]?.setEncoding("utf8").on("data", (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) {
          this.lines.line(stream, line);
          if (line) options.onLog?.(line, stream);
        }
      });
    }
    this.ready = new Promise((resolve) => {
      const onMessage = (message: SandboxMessage) => {
        if (message.type === "ready") resolve({ initMs: message.initMs, init: { startMs, endMs: Date.now() } });
        else if (message.type === "init-error") resolve({ error: message.error });
        else return;
        this.child.off("message", onMessage);
      };
      this.child.on("message", onMessage);
      this.child.once("exit", (code) =>
        resolve({ error: { errorType: "Runtime.ExitError", errorMessage: `sandbox exited with code ${code}` } }),
      );
    });
    this.child.on("message", (message: SandboxMessage) => {
      if (message.type === "result" && this.pending?.id === message.id) this.pending.resolve(message);
    });
    this.child.once("exit", (code, signal) => {
      this.exited = true;
      this.pending?.resolve({
        type: "result",
        id: this.pending.id,
        ok: false,
        error: {
          errorType: "Runtime.ExitError",
          errorMessage: `sandbox exited (${signal ?? code}) during the invocation`,
        },
      });
    });
  }

  get alive(): boolean {
    return !this.exited && !this.killed;
  }

  async invoke(event: unknown, traceHeader: string): Promise<InvocationOutcome> {
    const started = performance.now();
    this.busy = true;
    try {
      const ready = await this.ready;
      const cold = !this.coldStartReported && "initMs" in ready ? ready : undefined;
      this.coldStartReported = true;
      if ("error" in ready) {
        this.kill();
        return { ok: false, kind: "init", error: ready.error, durationMs: performance.now() - started };
      }
      const id = randomUUID();
      const message: InvokeMessage = {
        type: "invoke",
        id,
        event,
        traceHeader,
        awsRequestId: randomUUID(),
        deadlineMs: Date.now() + this.options.timeoutMs,
      };
      let timer: NodeJS.Timeout | undefined;
      this.lines.start(traceHeader);
      const result = await new Promise<SandboxMessage | "timeout">((resolve) => {
        this.pending = { id, resolve };
        timer = setTimeout(() => resolve("timeout"), this.options.timeoutMs);
        this.child.send(message);
      });
      clearTimeout(timer);
      this.pending = undefined;
      this.lines.end(result !== "timeout" && result.type === "result" ? result.lines : undefined);
      const durationMs = performance.now() - started;
      const init = cold ? { initMs: cold.initMs, init: cold.init } : {};
      if (result === "timeout") {
        this.kill();
        const seconds = (this.options.timeoutMs / 1000).toFixed(2);
        return {
          ok: false,
          kind: "timeout",
          error: { errorType: "Sandbox.Timedout", errorMessage: `Task timed out after ${seconds} seconds` },
          durationMs,
          ...init,
        };
      }
      if (result.type !== "result") throw new Error("unexpected sandbox message");
      return result.ok
        ? { ok: true, value: result.value, durationMs, ...init }
        : {
            ok: false,
            kind: "function",
            error: result.error ?? { errorType: "Error", errorMessage: "unknown" },
            durationMs,
            ...init,
          };
    } finally {
      this.busy = false;
    }
  }

  /** Discards the environment at once: it takes no further invocation even before the process is gone. */
  kill(): void {
    this.killed = true;
    if (!this.exited) this.child.kill("SIGKILL");
  }

  /** Takes no further invocation and lets the process go (as `stop()`): an environment of an older build. */
  retire(): Promise<void> {
    this.killed = true;
    return this.stop();
  }

  /** Resolves when the process is gone. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.disconnect?.();
    const timer = setTimeout(() => this.kill(), 1000);
    await gone;
    clearTimeout(timer);
  }
}
