import type { XraySegment } from "../emulators/xrayCollector.js";
import { inferredNode } from "./inferredNode.js";
import {
  type EntityCause,
  type EntityLink,
  indexTraces,
  linksTo,
  millis,
  type TraceEntity,
  type TraceIndex,
} from "./segmentIndex.js";

/** One line of the trace list, as the console's trace list shows it. */
export interface TraceSummary {
  readonly traceId: string;
  /** Name of the entry point's segment (the one with no caller). */
  readonly root: string;
  /** From the earliest start to the latest end of any (sub)segment. */
  readonly durationMs: number;
  /** Segments (services) in the trace; their subsegments are not counted. */
  readonly segments: number;
  /** Any error, fault or throttle anywhere in the trace. */
  readonly error: boolean;
  /** Any fault (5xx) anywhere in the trace. */
  readonly fault: boolean;
  /** Something has not closed yet. */
  readonly inProgress: boolean;
  readonly startedAt: string;
}

/** One bar of the timeline: a segment or subsegment, placed under its parent. */
export interface TimelineEntry {
  readonly id: string;
  readonly parentId?: string;
  readonly depth: number;
  readonly kind: "segment" | "subsegment";
  readonly name: string;
  readonly origin?: string;
  readonly namespace?: string;
  /** `aws.operation` of an AWS call (`PutItem`, `PutEvents`). */
  readonly operation?: string;
  /** The resource an AWS call went to, as named on the service map (`ShopTable`). */
  readonly resource?: string;
  readonly status?: number;
  /** From the start of the trace. */
  readonly offsetMs: number;
  /** `null` while in progress. */
  readonly durationMs: number | null;
  readonly inProgress: boolean;
  readonly error: boolean;
  readonly fault: boolean;
  readonly throttle: boolean;
  readonly annotations: Readonly<Record<string, string | number | boolean>>;
  /** What failed (`cause.exceptions[0]`), on an entry whose document records it. */
  readonly cause?: EntityCause;
  /** The (sub)segments of other traces this entry links to, on an entry that has links. */
  readonly links?: readonly EntityLink[];
}

/**
 * A trace this one is joined to by a link: `out`, a trace that continued this one asynchronously (its documents
 * link here); `in`, a trace this one links to (its cause). `via` is the hop (`kinesis`, `dynamodb-streams`…).
 */
export interface TraceLink {
  readonly traceId: string;
  readonly direction: "out" | "in";
  readonly via: string;
}

/** A log line a function wrote while one invocation ran, as the runtime attributed it. */
export interface InvocationLog {
  /** Epoch milliseconds the line was received. */
  readonly at: number;
  readonly traceId: string;
  /** The invocation's function segment. */
  readonly segmentId: string;
  readonly function: string;
  readonly level?: string;
  readonly message: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** A log line beside the segments of the timeline. */
export interface TimelineLog {
  readonly time: string;
  /** From the start of the trace. */
  readonly offsetMs: number;
  readonly segmentId: string;
  readonly function: string;
  readonly level?: string;
  readonly message: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

export interface TraceTimeline {
  readonly traceId: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly entries: readonly TimelineEntry[];
  readonly links: readonly TraceLink[];
  readonly logs: readonly TimelineLog[];
}

const failed = (e: TraceEntity): boolean => e.error || e.fault || e.throttle || (e.status ?? 0) >= 400;
const faulted = (e: TraceEntity): boolean => e.fault || (e.status ?? 0) >= 500;

function span(entities: readonly TraceEntity[]): { start: number; end: number } {
  const starts = entities.flatMap((e) => (e.start === undefined ? [] : [e.start]));
  const ends = entities.flatMap((e) => e.end ?? e.start ?? []);
  if (starts.length === 0) return { start: 0, end: 0 };
  const start = Math.min(...starts);
  return { start, end: Math.max(start, ...ends) };
}

const byStart = (a: TraceEntity, b: TraceEntity): number =>
  (a.start ?? Number.POSITIVE_INFINITY) - (b.start ?? Number.POSITIVE_INFINITY) || a.order - b.order;

/** Entry points first: no caller, then callers not (yet) received; earliest first. */
function rootsOf(trace: TraceIndex): TraceEntity[] {
  const all = [...trace.entities.values()];
  const orphans = all.filter((e) => e.parentId === undefined || !trace.entities.has(e.parentId));
  return orphans.sort((a, b) => Number(a.parentId !== undefined) - Number(b.parentId !== undefined) || byStart(a, b));
}

function summaryOf(trace: TraceIndex): { start: number; summary: TraceSummary } {
  const all = [...trace.entities.values()];
  const { start, end } = span(all);
  const root = rootsOf(trace).find((e) => e.kind === "segment") ?? rootsOf(trace)[0];
  const summary: TraceSummary = {
    traceId: trace.traceId,
    root: root?.name ?? "unknown",
    durationMs: millis(start, end),
    segments: all.filter((e) => e.kind === "segment").length,
    error: all.some(failed),
    fault: all.some(faulted),
    inProgress: all.some((e) => e.inProgress),
    startedAt: new Date(start * 1000).toISOString(),
  };
  return { start, summary };
}

/**
 * Recent traces, newest first (by the time the trace started), at most `limit`.
 *
 * @example
 * ```ts
 * listTraces(collector.segments(), 20).items[0]?.root; // "shop-api/local"
 * ```
 */
export function listTraces(segments: readonly XraySegment[], limit: number): { items: TraceSummary[] } {
  const items = indexTraces(segments)
    .map(summaryOf)
    .sort((a, b) => b.start - a.start || a.summary.traceId.localeCompare(b.summary.traceId))
    .slice(0, Math.max(0, limit))
    .map(({ summary }) => summary);
  return { items };
}

function entryOf(entity: TraceEntity, depth: number, traceStart: number): TimelineEntry {
  const operation = typeof entity.aws.operation === "string" ? entity.aws.operation : undefined;
  return {
    id: entity.id,
    ...(entity.parentId === undefined ? {} : { parentId: entity.parentId }),
    depth,
    kind: entity.kind,
    name: entity.name,
    ...(entity.origin === undefined ? {} : { origin: entity.origin }),
    ...(entity.namespace === undefined ? {} : { namespace: entity.namespace }),
    ...(operation === undefined ? {} : { operation }),
    ...(entity.namespace === "aws" ? { resource: inferredNode(entity).name } : {}),
    ...(entity.status === undefined ? {} : { status: entity.status }),
    offsetMs: entity.start === undefined ? 0 : millis(traceStart, entity.start),
    durationMs:
      entity.inProgress || entity.start === undefined || entity.end === undefined
        ? null
        : millis(entity.start, entity.end),
    inProgress: entity.inProgress,
    error: entity.error || entity.throttle || ((entity.status ?? 0) >= 400 && (entity.status ?? 0) < 500),
    fault: faulted(entity),
    throttle: entity.throttle,
    annotations: entity.annotations,
    ...(entity.cause ? { cause: entity.cause } : {}),
    ...(entity.links.length > 0 ? { links: entity.links } : {}),
  };
}

/**
 * The traces `traceId` is linked to, both ways, each (trace, direction, hop) once: `in` for the links its own
 * documents hold, `out` for the links other traces' documents hold to it.
 *
 * @example
 * ```ts
 * traceLinks(indexTraces(collector.segments()), traceId); // [{ traceId: "1-…", direction: "out", via: "kinesis" }]
 * ```
 */
export function traceLinks(traces: readonly TraceIndex[], traceId: string): TraceLink[] {
  const links = new Map<string, TraceLink>();
  const add = (link: TraceLink) => links.set(`${link.direction} ${link.traceId} ${link.via}`, link);
  for (const trace of traces) {
    for (const entity of trace.entities.values()) {
      for (const link of entity.links) {
        if (trace.traceId === traceId && link.traceId !== traceId)
          add({ traceId: link.traceId, direction: "in", via: link.via });
        else if (trace.traceId !== traceId && link.traceId === traceId)
          add({ traceId: trace.traceId, direction: "out", via: link.via });
      }
    }
  }
  return [...links.values()];
}

function logOf(log: InvocationLog, traceStart: number): TimelineLog {
  return {
    time: new Date(log.at).toISOString(),
    offsetMs: millis(traceStart, log.at / 1000),
    segmentId: log.segmentId,
    function: log.function,
    ...(log.level === undefined ? {} : { level: log.level }),
    message: log.message,
    ...(log.fields === undefined ? {} : { fields: log.fields }),
  };
}

/**
 * One trace as a timeline: every segment and subsegment, each under its caller (a consumer's function segment
 * under the publish call that carried its trace header), children in start order, with offsets from the start
 * of the trace; the traces linked to it both ways (`segments` holds every trace, so links from others are found);
 * and the log lines of its invocations, in time order. Undefined for a trace the collector does not hold.
 *
 * @example
 * ```ts
 * traceTimeline(collector.segments(), traceId)?.entries.map((e) => `${"  ".repeat(e.depth)}${e.name}`);
 * ```
 */
export function traceTimeline(
  segments: readonly XraySegment[],
  traceId: string,
  logs: readonly InvocationLog[] = [],
): TraceTimeline | undefined {
  // The trace's own documents, and those of other traces that link to it: nothing else is indexed.
  const traces = indexTraces(segments.filter((s) => s.trace_id === traceId || linksTo(s, traceId)));
  const trace = traces.find((t) => t.traceId === traceId);
  if (!trace || trace.entities.size === 0) return undefined;
  const { start, end } = span([...trace.entities.values()]);
  const entries: TimelineEntry[] = [];
  const visited = new Set<string>();
  const visit = (entity: TraceEntity, depth: number): void => {
    if (visited.has(entity.id)) return;
    visited.add(entity.id);
    entries.push(entryOf(entity, depth, start));
    for (const child of trace.children(entity.id)) visit(child, depth + 1);
  };
  for (const root of rootsOf(trace)) visit(root, 0);
  // Whatever a malformed parent loop kept out is still shown, at the top level.
  for (const entity of [...trace.entities.values()].sort(byStart)) visit(entity, 0);
  return {
    traceId,
    startedAt: new Date(start * 1000).toISOString(),
    durationMs: millis(start, end),
    entries,
    links: traceLinks(traces, traceId),
    logs: logs
      .filter((log) => log.traceId === traceId)
      .sort((a, b) => a.at - b.at)
      .map((log) => logOf(log, start)),
  };
}
