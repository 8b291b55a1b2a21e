import { createSocket } from "node:dgram";
import { EventEmitter } from "node:events";
import { LOOPBACK } from "./ports.js";

/**
 * A segment or independently sent subsegment, as the X-Ray SDKs send them to the daemon
 * (X-Ray developer guide, "Segment documents"). Only the fields the collector relies on are typed.
 */
export interface XraySegment {
  trace_id: string;
  id: string;
  /** "subsegment" for a subsegment sent on its own; absent for a segment */
  type?: string;
  parent_id?: string;
  name?: string;
  start_time?: number;
  end_time?: number;
  in_progress?: boolean;
  [field: string]: unknown;
}

/**
 * Listens where the X-Ray daemon would (UDP) and keeps what the SDKs send, grouped by trace id.
 *
 * @example
 * ```ts
 * const xray = await startXrayCollector();
 * process.env.AWS_XRAY_DAEMON_ADDRESS = xray.address;
 * const seg = await xray.waitFor((s) => s.name === "users-api", 5_000);
 * xray.segments(seg.trace_id);
 * ```
 */
export interface XrayCollector {
  /** `127.0.0.1:<port>`, the value of AWS_XRAY_DAEMON_ADDRESS */
  readonly address: string;
  readonly port: number;
  /** All kept segments, or those of one trace, in arrival order. */
  segments(traceId?: string): XraySegment[];
  /** Trace ids kept, oldest first. */
  traceIds(): string[];
  /** Keeps a segment exactly as one received over UDP (the X-Ray API's `PutTraceSegments` puts through here). */
  put(segment: XraySegment): void;
  /** Calls `listener` for every segment received; returns a function that unsubscribes. */
  on(event: "segment", listener: (segment: XraySegment) => void): () => void;
  clear(): void;
  /** Resolves with the first kept or future segment matching `predicate`; rejects after `timeoutMs`. */
  waitFor(predicate: (segment: XraySegment) => boolean, timeoutMs?: number): Promise<XraySegment>;
  stop(): Promise<void>;
}

export interface XrayCollectorOptions {
  /** default 0: a free port */
  port?: number;
  /** traces kept; the least recently updated are dropped first. Default 1000. */
  maxTraces?: number;
  /** (sub)segments kept per trace. Default 2000. */
  maxSegmentsPerTrace?: number;
}

const HEADER = { format: "json", version: 1 };

/**
 * Why a parsed JSON value is not a document the collector keeps (X-Ray's `UnprocessedTraceSegments` codes), or
 * undefined for a segment or subsegment with its ids.
 */
export function segmentProblem(value: unknown): "MissingId" | "MissingTraceId" | "InvalidDocument" | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "InvalidDocument";
  const { trace_id, id } = value as Record<string, unknown>;
  if (typeof id !== "string" || id === "") return "MissingId";
  if (typeof trace_id !== "string" || trace_id === "") return "MissingTraceId";
  return undefined;
}

/** `{"format":"json","version":1}\n<segment JSON>` → the segment, or undefined for anything else. */
export function parseDatagram(datagram: Buffer): XraySegment | undefined {
  const text = datagram.toString("utf8");
  const newline = text.indexOf("\n");
  if (newline === -1) return undefined;
  try {
    const header = JSON.parse(text.slice(0, newline)) as unknown;
    if (typeof header !== "object" || header === null) return undefined;
    const { format, version } = header as Record<string, unknown>;
    if (format !== HEADER.format || version !== HEADER.version) return undefined;
    const segment = JSON.parse(text.slice(newline + 1)) as unknown;
    return segmentProblem(segment) === undefined ? (segment as XraySegment) : undefined;
  } catch {
    return undefined;
  }
}

export async function startXrayCollector(options: XrayCollectorOptions = {}): Promise<XrayCollector> {
  const maxTraces = options.maxTraces ?? 1000;
  const maxSegments = options.maxSegmentsPerTrace ?? 2000;
  /** trace id → segment id → segment; both maps in insertion order, so the oldest come first */
  const traces = new Map<string, Map<string, XraySegment>>();
  const events = new EventEmitter();
  events.setMaxListeners(0);

  function keep(segment: XraySegment): void {
    const trace = traces.get(segment.trace_id) ?? new Map<string, XraySegment>();
    traces.delete(segment.trace_id); // re-inserted last: most recently updated
    traces.set(segment.trace_id, trace);
    // An in-progress segment is later sent again complete, with the same id: the last one wins.
    trace.delete(segment.id);
    trace.set(segment.id, segment);
    if (trace.size > maxSegments) trace.delete(trace.keys().next().value as string);
    if (traces.size > maxTraces) traces.delete(traces.keys().next().value as string);
    events.emit("segment", segment);
  }

  const socket = createSocket("udp4");
  socket.on("message", (datagram) => {
    const segment = parseDatagram(datagram);
    if (segment) keep(segment);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(options.port ?? 0, LOOPBACK, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  socket.on("error", () => {}); // a bad datagram must never bring the process down
  const port = socket.address().port;

  const collector: XrayCollector = {
    address: `${LOOPBACK}:${port}`,
    port,
    segments(traceId) {
      if (traceId !== undefined) return [...(traces.get(traceId)?.values() ?? [])];
      return [...traces.values()].flatMap((trace) => [...trace.values()]);
    },
    traceIds: () => [...traces.keys()],
    put: keep,
    on(_event, listener) {
      events.on("segment", listener);
      return () => events.off("segment", listener);
    },
    clear: () => traces.clear(),
    waitFor(predicate, timeoutMs = 5_000) {
      const existing = collector.segments().find(predicate);
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          unsubscribe();
          reject(new Error(`no matching X-Ray segment within ${timeoutMs} ms`));
        }, timeoutMs);
        const unsubscribe = collector.on("segment", (segment) => {
          if (!predicate(segment)) return;
          clearTimeout(timer);
          unsubscribe();
          resolve(segment);
        });
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        events.removeAllListeners();
        socket.close(() => resolve());
      }),
  };
  return collector;
}
