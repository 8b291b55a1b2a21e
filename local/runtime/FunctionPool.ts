import type { FunctionNode } from "../../shared/topology/index.js";
import { formatTraceHeader, newSegmentId, newTraceId, parseTraceHeader } from "../../shared/tracing/traceHeader.js";
import type { HandlerCode } from "./functionBundle.js";
import type { InvocationErrorBody } from "./protocol.js";
import { type InitSpan, type InvocationOutcome, Sandbox } from "./Sandbox.js";
import type { SegmentSender } from "./segmentSender.js";

export interface FunctionPoolOptions {
  readonly fn: FunctionNode;
  /** The whole environment of the function: emulator endpoints, linked resources, Lambda variables. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The bundle the sandboxes load (`SUMMIT_HANDLER_FILE` points at its entry); a sandbox of an older build is
   * retired. Omitted, they load `env.SUMMIT_HANDLER_FILE` as it is.
   */
  readonly code?: HandlerCode;
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
  private readonly waiting: Array<(acquired: Acquired) => void> = [];
  /** The build each sandbox was started from. */
  private readonly builds = new WeakMap<Sandbox, number>();
  private readonly max: number;
  /** Sandboxes being started (their bundle building): they hold a place under `max`. */
  private starting = 0;
  private stopped = false;

  constructor(private readonly options: FunctionPoolOptions) {
    this.max = Math.max(1, options.maxSandboxes ?? options.fn.concurrency ?? 4);
    options.code?.onChange(() => this.retireStale());
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
    const started = performance.now();
    const acquired = await this.acquire();
    let outcome: InvocationOutcome;
    if (!(acquired instanceof Sandbox)) {
      outcome = { ok: false, kind: "init", error: acquired.error, durationMs: performance.now() - started };
    } else {
      try {
        outcome = await acquired.invoke(event, header);
      } finally {
        this.release(acquired);
      }
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

  private async acquire(): Promise<Acquired> {
    for (let i = this.sandboxes.length - 1; i >= 0; i--) if (!this.sandboxes[i]!.alive) this.sandboxes.splice(i, 1);
    this.retireStale();
    const idle = this.sandboxes.find((s) => !s.busy && s.alive);
    if (idle) {
      idle.busy = true;
      return idle;
    }
    if (this.sandboxes.filter((s) => s.alive).length + this.starting < this.max) {
      this.starting++;
      let held = true;
      const free = () => {
        if (held) this.starting--;
        held = false;
      };
      let started: Acquired | undefined;
      try {
        started = await this.start(free);
        return started;
      } finally {
        free();
        // Nothing started: a caller waiting for the place tries (and reports) for itself.
        if (!(started instanceof Sandbox)) this.handOff();
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /**
   * A new sandbox, busy, from the latest build; or the build's error, as an init error. `free` gives back the place
   * held while building, as the sandbox takes it.
   */
  private async start(free: () => void): Promise<Acquired> {
    const { code } = this.options;
    let env = this.options.env;
    let version: number | undefined;
    if (code) {
      const build = await code.current().catch((error: unknown) => ({ version: 0, error: String(error) }));
      if ("error" in build) {
        return { error: { errorType: "Runtime.BundleError", errorMessage: `bundling failed\n${build.error}` } };
      }
      env = { ...env, SUMMIT_HANDLER_FILE: build.entry };
      version = build.version;
    }
    const sandbox = new Sandbox({
      env,
      timeoutMs: this.options.fn.timeoutSeconds * 1000,
      onLog: (line) => this.options.onLog?.(this.name, line),
      onInvocationLog: (line, _stream, traceHeader) => this.options.onInvocationLog?.(this.name, line, traceHeader),
    });
    if (version !== undefined) this.builds.set(sandbox, version);
    sandbox.busy = true;
    free();
    this.sandboxes.push(sandbox);
    return sandbox;
  }

  /** Whether `sandbox` runs an older build than the latest. */
  private stale(sandbox: Sandbox): boolean {
    const version = this.builds.get(sandbox);
    return version !== undefined && this.options.code !== undefined && version < this.options.code.version;
  }

  /** Stops the idle sandboxes of an older build at once; busy ones go when their invocation ends (`release`). */
  private retireStale(): void {
    for (const sandbox of this.sandboxes)
      if (!sandbox.busy && sandbox.alive && this.stale(sandbox)) void sandbox.retire();
  }

  private release(sandbox: Sandbox): void {
    if (this.stale(sandbox)) void sandbox.retire();
    const next = this.waiting.shift();
    if (!next) return;
    if (sandbox.alive) {
      sandbox.busy = true;
      next(sandbox);
      return;
    }
    this.acquire().then(next);
  }

  /** Gives the first waiting caller a sandbox (or the error it gets). */
  private handOff(): void {
    const next = this.waiting.shift();
    if (next) this.acquire().then(next);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.sandboxes.map((s) => s.stop()));
    this.sandboxes.length = 0;
  }
}

/** What an invocation gets: a sandbox of its own, or why none could start. */
type Acquired = Sandbox | { readonly error: InvocationErrorBody };

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
