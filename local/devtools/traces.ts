import type { XraySegment } from "../emulators/xrayCollector.js";
import { inferredNode } from "./inferredNode.js";
import { indexTraces, millis, type TraceEntity, type TraceIndex } from "./segmentIndex.js";

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
}

export interface TraceTimeline {
  readonly traceId: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly entries: readonly TimelineEntry[];
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
  };
}

/**
 * One trace as a timeline: every segment and subsegment, each under its caller (a consumer's function segment
 * under the publish call that carried its trace header), children in start order, with offsets from the start
 * of the trace. Undefined for a trace the collector does not hold.
 *
 * @example
 * ```ts
 * traceTimeline(collector.segments(traceId), traceId)?.entries.map((e) => `${"  ".repeat(e.depth)}${e.name}`);
 * ```
 */
export function traceTimeline(segments: readonly XraySegment[], traceId: string): TraceTimeline | undefined {
  const trace = indexTraces(segments.filter((s) => s.trace_id === traceId))[0];
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
  return { traceId, startedAt: new Date(start * 1000).toISOString(), durationMs: millis(start, end), entries };
}
