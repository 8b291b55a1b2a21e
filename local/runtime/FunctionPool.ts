import type { FunctionNode } from "../../shared/topology/index.js";
import { formatTraceHeader, newSegmentId, newTraceId, parseTraceHeader } from "../../shared/tracing/traceHeader.js";
import type { InvocationErrorBody } from "./protocol.js";
import { type InitSpan, type InvocationOutcome, Sandbox } from "./Sandbox.js";
import type { SegmentSender } from "./segmentSender.js";

export interface FunctionPoolOptions {
  readonly fn: FunctionNode;
  /** The whole environment of the function: emulator endpoints, linked resources, Lambda variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Sandboxes at most; defaults to the function's reserved concurrency, else 4 on one machine. */
  readonly maxSandboxes?: number;
  readonly segments?: SegmentSender;
  readonly onLog?: (fn: string, line: string) => void;
  /** Each line an invocation wrote, with the trace header it ran under (its function segment as `Parent`). */
  readonly onInvocationLog?: (fn: string, line: string, traceHeader: string) => void;
}

export interface Invocation {
  readonly outcome: InvocationOutcome;
  /** The trace header the function ran under (its own segment as parent). */
  readonly traceHeader: string;
}

/**
 * The sandboxes of one function: up to its concurrency, each running one invocation at a time; further
 * invocations wait for a free sandbox. Each invocation gets its own function segment, as the Lambda service
 * records one (`AWS::Lambda::Function`), and the function runs with that segment as its trace parent.
 */
export class FunctionPool {
  private readonly sandboxes: Sandbox[] = [];
  private readonly waiting: Array<(sandbox: Sandbox) => void> = [];
  private readonly max: number;
  private stopped = false;

  constructor(private readonly options: FunctionPoolOptions) {
    this.max = Math.max(1, options.maxSandboxes ?? options.fn.concurrency ?? 4);
  }

  get name(): string {
    return this.options.fn.name;
  }

  get size(): number {
    return this.sandboxes.filter((s) => s.alive).length;
  }

  /** Runs one invocation. `traceHeader` is the caller's (API Gateway stage, queue message, bus event). */
  async invoke(event: unknown, traceHeader?: string): Promise<Invocation> {
    if (this.stopped) throw new Error(`${this.name} is stopped`);
    const caller = parseTraceHeader(traceHeader);
    const root = caller?.root ?? newTraceId();
    const segmentId = newSegmentId();
    const header = formatTraceHeader({ root, parent: segmentId, sampled: caller?.sampled ?? true });
    const start = Date.now() / 1000;
    const sandbox = await this.acquire();
    let outcome: InvocationOutcome;
    try {
      outcome = await sandbox.invoke(event, header);
    } finally {
      this.release(sandbox);
    }
    this.options.segments?.send({
      trace_id: root,
      id: segmentId,
      ...(caller?.parent ? { parent_id: caller.parent } : {}),
      name: this.name,
      origin: "AWS::Lambda::Function",
      start_time: start,
      end_time: Date.now() / 1000,
      ...(outcome.ok ? {} : { fault: true, cause: causeOf(outcome.error) }),
      aws: { function_name: this.name, ...(outcome.initMs === undefined ? {} : { init_ms: outcome.initMs }) },
      ...(outcome.init ? { subsegments: [initialization(outcome.init)] } : {}),
    });
    return { outcome, traceHeader: header };
  }

  private async acquire(): Promise<Sandbox> {
    for (let i = this.sandboxes.length - 1; i >= 0; i--) if (!this.sandboxes[i]!.alive) this.sandboxes.splice(i, 1);
    const idle = this.sandboxes.find((s) => !s.busy);
    if (idle) {
      idle.busy = true;
      return idle;
    }
    if (this.sandboxes.length < this.max) {
      const sandbox = new Sandbox({
        env: this.options.env,
        timeoutMs: this.options.fn.timeoutSeconds * 1000,
        onLog: (line) => this.options.onLog?.(this.name, line),
        onInvocationLog: (line, _stream, traceHeader) => this.options.onInvocationLog?.(this.name, line, traceHeader),
      });
      sandbox.busy = true;
      this.sandboxes.push(sandbox);
      return sandbox;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(sandbox: Sandbox): void {
    const next = this.waiting.shift();
    if (!next) return;
    if (sandbox.alive) {
      sandbox.busy = true;
      next(sandbox);
      return;
    }
    this.acquire().then(next);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.sandboxes.map((s) => s.stop()));
    this.sandboxes.length = 0;
  }
}

/** The cold start, as Lambda records it in the function segment: an `Initialization` subsegment over the init. */
function initialization(init: InitSpan) {
  return { id: newSegmentId(), name: "Initialization", start_time: init.startMs / 1000, end_time: init.endMs / 1000 };
}

/** One frame of `    at fn (file:line:col)`, as X-Ray's `stack` entries hold it. */
const FRAME = /^\s*at (?:(.+?) \()?(.+?):(\d+):\d+\)?$/;

/**
 * A failed invocation's `cause`, in X-Ray's shape (`exceptions: [{ id, type, message, stack }]`), from what the
 * function reported (`errorType`, `errorMessage`, `trace`).
 */
export function causeOf(error: InvocationErrorBody) {
  const stack = (error.trace ?? []).flatMap((text) => {
    const match = FRAME.exec(text);
    return match ? [{ ...(match[1] ? { label: match[1] } : {}), path: match[2]!, line: Number(match[3]) }] : [];
  });
  return {
    exceptions: [
      { id: newSegmentId(), type: error.errorType, message: error.errorMessage, ...(stack.length ? { stack } : {}) },
    ],
  };
}
