import { parseTraceHeader } from "../../shared/tracing/traceHeader.js";
import type { InvocationLog } from "../devtools/traces.js";

export interface FunctionLogsOptions {
  /** Lines kept in all; the oldest go first. Default 10,000. */
  readonly maxLines?: number;
  /** The clock, for the time a plain line was received. */
  readonly now?: () => number;
}

/** The keys of a Powertools JSON line that become `level`, `message` and the time; every other key is a field. */
const OWN_KEYS = new Set(["level", "message", "timestamp"]);

/**
 * A line as the trace shows it: a Powertools JSON line gives its `level`, `message`, `timestamp` and the other keys
 * as `fields`; any other line is the message, at the time it was received.
 *
 * @example
 * ```ts
 * parseLogLine('{"level":"INFO","message":"event received","eventId":"e-1"}', Date.now());
 * // { level: "INFO", message: "event received", fields: { eventId: "e-1" }, at: … }
 * ```
 */
export function parseLogLine(
  line: string,
  receivedAt: number,
): Pick<InvocationLog, "at" | "level" | "message" | "fields"> {
  let parsed: unknown;
  try {
    parsed = line.trimStart().startsWith("{") ? JSON.parse(line) : undefined;
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { at: receivedAt, message: line };
  const record = parsed as Record<string, unknown>;
  const fields = Object.fromEntries(Object.entries(record).filter(([key]) => !OWN_KEYS.has(key)));
  const stamped = typeof record.timestamp === "string" ? Date.parse(record.timestamp) : Number.NaN;
  return {
    at: Number.isFinite(stamped) ? stamped : receivedAt,
    ...(typeof record.level === "string" ? { level: record.level } : {}),
    message: typeof record.message === "string" ? record.message : line,
    ...(Object.keys(fields).length > 0 ? { fields } : {}),
  };
}

/**
 * The function log lines of recent invocations, each attributed to its invocation's trace and function segment
 * (the trace header the invocation ran under names both), bounded in size, for the trace timeline.
 *
 * @example
 * ```ts
 * const logs = new FunctionLogs();
 * logs.add("UsersSignup", '{"level":"INFO","message":"signed up"}', "Root=1-…;Parent=53995c3f42cd8ad8;Sampled=1");
 * logs.forTrace("1-…"); // [{ function: "UsersSignup", segmentId: "53995c3f42cd8ad8", level: "INFO", … }]
 * ```
 */
export class FunctionLogs {
  private readonly lines: InvocationLog[] = [];
  private readonly max: number;
  private readonly now: () => number;

  constructor(options: FunctionLogsOptions = {}) {
    this.max = Math.max(1, options.maxLines ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  /** Keeps one line; a header that names no trace and function segment attributes nothing, and is dropped. */
  add(fn: string, line: string, traceHeader: string): void {
    const context = parseTraceHeader(traceHeader);
    if (!context?.parent) return;
    this.lines.push({
      traceId: context.root,
      segmentId: context.parent,
      function: fn,
      ...parseLogLine(line, this.now()),
    });
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  /** The lines of one trace, in the order they were kept. */
  forTrace(traceId: string): InvocationLog[] {
    return this.lines.filter((line) => line.traceId === traceId);
  }
}
