import { emitDocument } from "./emitter.js";
import type { LinkDocument } from "./links.js";
import { newSegmentId } from "./traceHeader.js";

/**
 * The X-Ray segment documents a function writes, as the X-Ray developer guide ("AWS X-Ray segment documents")
 * defines them: a subsegment is sent on its own when it closes (`type: "subsegment"`, with `trace_id` and
 * `parent_id`), as the X-Ray SDK does inside Lambda, so a long invocation never holds its finished calls back.
 */

/** An annotation's value: X-Ray indexes strings, numbers and booleans (searchable with `annotation.<key>`). */
export type AnnotationValue = string | number | boolean;

/** One frame of an exception's stack, as X-Ray's `cause.exceptions[].stack` holds it. */
export interface StackFrame {
  readonly path: string;
  readonly line: number;
  readonly label: string;
}

/** An exception in X-Ray's `cause.exceptions`: `remote` when it came from the service called. */
export interface CapturedException {
  readonly id: string;
  readonly message: string;
  readonly type: string;
  readonly remote: boolean;
  readonly stack: readonly StackFrame[];
}

/** How X-Ray counts a failure: `fault` a server error (5xx), `error` a client's (4xx), with `throttle` for a 429. */
export type FailureKind = "fault" | "error";

/** The trace an entity belongs to, and whether it is sampled (an unsampled one records nothing). */
export interface TraceRoot {
  readonly traceId: string;
  readonly sampled: boolean;
}

/**
 * The segment Lambda writes for the invocation (`AWS::Lambda::Function`), known only by the `Parent` and `Root` of
 * `_X_AMZN_TRACE_ID`: the function never sends it, it only hangs subsegments under it.
 */
export interface InvocationSegment extends TraceRoot {
  readonly kind: "invocation";
  readonly id: string;
}

/** Seconds since the epoch, as X-Ray's `start_time` and `end_time` (the wall clock the runtime's segments use). */
const now = (): number => Date.now() / 1000;

/** V8's stack lines (`    at label (path:line:column)`) as X-Ray frames, as the X-Ray SDK parses them. */
export function stackFrames(stack: string | undefined): StackFrame[] {
  if (!stack) return [];
  return stack
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .map((line) => {
      const text = line.trim().slice("at ".length);
      const open = text.lastIndexOf(" (");
      const label = open >= 0 ? text.slice(0, open) : "anonymous";
      const location = open >= 0 ? text.slice(open + 2, -1) : text;
      const parts = location.split(":");
      const hasColumn = parts.length >= 3 && /^\d+$/.test(parts.at(-1) ?? "") && /^\d+$/.test(parts.at(-2) ?? "");
      const path = hasColumn ? parts.slice(0, -2).join(":") : location;
      return { path, line: hasColumn ? Number(parts.at(-2)) : 0, label };
    });
}

/** An exception as X-Ray records it, from anything thrown. */
export function capturedException(error: unknown, remote: boolean): CapturedException {
  const e = (error && typeof error === "object" ? error : {}) as { name?: unknown; message?: unknown; stack?: unknown };
  return {
    id: newSegmentId(),
    message: typeof e.message === "string" ? e.message : String(error),
    type: typeof e.name === "string" ? e.name : "Error",
    remote,
    stack: stackFrames(typeof e.stack === "string" ? e.stack : undefined),
  };
}

/** A segment or subsegment being recorded: what the two documents share. */
abstract class Recorded implements TraceRoot {
  readonly id = newSegmentId();
  readonly startTime = now();
  endTime?: number;
  annotations?: Record<string, AnnotationValue>;
  metadata?: Record<string, Record<string, unknown>>;
  links?: LinkDocument[];
  error?: true;
  fault?: true;
  throttle?: true;
  cause?: { working_directory: string; exceptions: CapturedException[] };

  constructor(
    readonly name: string,
    readonly traceId: string,
    readonly sampled: boolean,
  ) {}

  addAnnotation(key: string, value: AnnotationValue): void {
    if (typeof value === "number" && !Number.isFinite(value)) return;
    this.annotations = { ...this.annotations, [key]: value };
  }

  addMetadata(key: string, value: unknown, namespace = "default"): void {
    this.metadata = { ...this.metadata, [namespace]: { ...this.metadata?.[namespace], [key]: value ?? "" } };
  }

  /** Marks a failure as a `fault` or an `error`, or the call as throttled (`throttle`, for a 429). */
  addFlag(kind: FailureKind | "throttle"): void {
    this[kind] = true;
  }

  /** Records what was thrown in `cause` and flags the entity (`fault` unless told `error`). */
  addError(error: unknown, options: { readonly remote?: boolean; readonly kind?: FailureKind } = {}): void {
    this.addFlag(options.kind ?? "fault");
    this.cause ??= { working_directory: process.cwd(), exceptions: [] };
    this.cause.exceptions.unshift(capturedException(error, options.remote ?? false));
  }

  /** Ends the entity and sends its document (when sampled). */
  close(): void {
    if (this.endTime !== undefined) return;
    this.endTime = now();
    if (this.sampled) emitDocument(this.document());
  }

  protected fields(): Record<string, unknown> {
    return {
      id: this.id,
      name: this.name,
      trace_id: this.traceId,
      start_time: this.startTime,
      ...(this.endTime === undefined ? { in_progress: true } : { end_time: this.endTime }),
      ...(this.annotations ? { annotations: this.annotations } : {}),
      ...(this.metadata ? { metadata: this.metadata } : {}),
      ...(this.links ? { links: this.links } : {}),
      ...(this.error ? { error: true } : {}),
      ...(this.fault ? { fault: true } : {}),
      ...(this.throttle ? { throttle: true } : {}),
      ...(this.cause ? { cause: this.cause } : {}),
    };
  }

  abstract document(): Record<string, unknown>;
}

/** What a subsegment hangs under. */
export type Parent = InvocationSegment | Segment | Subsegment;

/** A unit of work inside the invocation, an AWS call (`namespace: "aws"`), or a step of our own. */
export class Subsegment extends Recorded {
  readonly kind = "subsegment";
  namespace?: "aws" | "remote";
  aws?: Record<string, unknown>;
  http?: { response?: { status?: number; content_length?: number } };

  constructor(
    name: string,
    readonly parent: Parent,
  ) {
    super(name, parent.traceId, parent.sampled);
  }

  document(): Record<string, unknown> {
    return {
      ...this.fields(),
      type: "subsegment",
      parent_id: this.parent.id,
      ...(this.namespace ? { namespace: this.namespace } : {}),
      ...(this.aws ? { aws: this.aws } : {}),
      ...(this.http ? { http: this.http } : {}),
    };
  }
}

/**
 * A segment of this function in another trace than the invocation's (`origin: "AWS::Lambda::Function"`), under
 * `parentId` there: what the function's own segment would be had the invocation continued that trace.
 */
export class Segment extends Recorded {
  readonly kind = "segment";

  constructor(
    name: string,
    traceId: string,
    readonly parentId: string | undefined,
  ) {
    super(name, traceId, true);
  }

  document(): Record<string, unknown> {
    return {
      ...this.fields(),
      ...(this.parentId ? { parent_id: this.parentId } : {}),
      origin: "AWS::Lambda::Function",
      service: { runtime: "node", runtime_version: process.version },
    };
  }
}
