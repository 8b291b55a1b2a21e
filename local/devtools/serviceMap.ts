import type { XraySegment } from "../emulators/xrayCollector.js";
import { awsServiceOf, CLIENT_NODE, inferredNode, type MapNode, segmentNode } from "./inferredNode.js";
import { type EntityLink, indexTraces, millis, type TraceEntity, type TraceIndex } from "./segmentIndex.js";

export type { MapNode } from "./inferredNode.js";

/** Calls from one node to another, summed over every trace, as the console's edge statistics. */
export interface MapEdge {
  readonly source: string;
  readonly target: string;
  /** Completed calls (in-progress ones are counted once they close, as the console does). */
  readonly requests: number;
  /** Client errors: 4xx, `error` or `throttle` (throttling is a kind of error in the console). */
  readonly errors: number;
  /** Server faults: 5xx or `fault`. */
  readonly faults: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Every call on the edge crossed a trace link (a Kinesis hop, a record of a mixed batch): drawn dashed. */
  readonly linked?: true;
}

export interface ServiceMap {
  readonly nodes: readonly MapNode[];
  readonly edges: readonly MapEdge[];
}

/** Nearest-rank percentile: the smallest duration with at least `p`% of the calls at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? 0;
}

/** Fault wins over error: one call is counted once, in the worse class (console: error / fault / ok). */
function outcomeOf(call: TraceEntity): "fault" | "error" | "ok" {
  const status = call.status ?? 0;
  if (call.fault || status >= 500) return "fault";
  if (call.error || call.throttle || (status >= 400 && status < 500)) return "error";
  return "ok";
}

/**
 * AWS calls whose downstream sends its own segment under the call. A Lambda invoke is synchronous: the console
 * joins caller and function directly. A publish (SQS, SNS, EventBridge, Kinesis, S3) is an async hop: the
 * consumer hangs under the resource's node (queue → function).
 */
const isAsyncHop = (call: TraceEntity): boolean => call.namespace === "aws" && awsServiceOf(call) !== "Lambda";

class MapBuilder {
  private readonly nodes = new Map<string, MapNode>();
  private readonly calls = new Map<string, { source: string; target: string; calls: TraceEntity[]; linked: boolean }>();

  node(node: MapNode): string {
    if (!this.nodes.has(node.id)) this.nodes.set(node.id, node);
    return node.id;
  }

  /** One call on the edge; a call still in progress draws nothing yet. */
  call(source: MapNode, target: MapNode, call: TraceEntity, linked = false): void {
    if (call.inProgress || call.start === undefined || call.end === undefined) return;
    const from = this.node(source);
    const to = this.node(target);
    const key = `${from}\u0000${to}`;
    const edge = this.calls.get(key) ?? { source: from, target: to, calls: [], linked: true };
    edge.calls.push(call);
    edge.linked &&= linked;
    this.calls.set(key, edge);
  }

  build(): ServiceMap {
    const nodes = [...this.nodes.values()].sort((a, b) => a.id.localeCompare(b.id));
    const edges = [...this.calls.values()]
      .map(({ source, target, calls, linked }): MapEdge => {
        const durations = calls.map((c) => millis(c.start ?? 0, c.end ?? 0)).sort((a, b) => a - b);
        const outcomes = calls.map(outcomeOf);
        return {
          source,
          target,
          requests: calls.length,
          errors: outcomes.filter((o) => o === "error").length,
          faults: outcomes.filter((o) => o === "fault").length,
          p50Ms: percentile(durations, 50),
          p99Ms: percentile(durations, 99),
          ...(linked ? { linked: true as const } : {}),
        };
      })
      .sort((a, b) => a.source.localeCompare(b.source) || a.target.localeCompare(b.target));
    return { nodes, edges };
  }
}

/** The publish calls made inside `entity` (not inside another service's segment) before `at`. */
function publishesUnder(trace: TraceIndex, entity: TraceEntity, at: number): TraceEntity[] {
  const found: TraceEntity[] = [];
  const visit = (node: TraceEntity, hops: number): void => {
    if (hops > trace.entities.size) return; // bounded: a malformed parent loop must not hang the page
    for (const child of trace.children(node.id)) {
      if (child.kind === "segment") continue;
      if (isAsyncHop(child) && (child.start ?? Number.POSITIVE_INFINITY) <= at) found.push(child);
      visit(child, hops + 1);
    }
  };
  visit(entity, 0);
  return found;
}

/**
 * The node a segment is called from; undefined while its caller's documents have not arrived.
 * A consumer's trace header names the publish call (queue → function), or, when the publisher took the header
 * before the SDK opened the call's subsegment, the code around it: then the one publish made there before the
 * consumer started is the hop. With several candidates the caller itself is drawn, never a guess.
 */
function callerOf(trace: TraceIndex, segment: TraceEntity): MapNode | undefined {
  if (segment.parentId === undefined) return CLIENT_NODE;
  const parent = trace.entities.get(segment.parentId);
  return parent ? hopNode(trace, parent, segment.start) : undefined;
}

/** The node a consumer that started at `at` was reached from, when `from` (of `trace`) carried it there. */
function hopNode(trace: TraceIndex, from: TraceEntity, at: number | undefined): MapNode | undefined {
  if (from.kind === "subsegment" && isAsyncHop(from)) return inferredNode(from);
  const owner = trace.ownerOf(from);
  if (!owner) return undefined;
  const local = from.kind === "segment" || from.namespace === undefined;
  const publishes = local && at !== undefined ? publishesUnder(trace, from, at) : [];
  const [only] = publishes;
  return only && publishes.length === 1 ? inferredNode(only) : segmentNode(owner);
}

/** The links a segment's invocation holds: on the segment and on its own subsegments (not other services'). */
function linksUnder(trace: TraceIndex, segment: TraceEntity): EntityLink[] {
  const links = [...segment.links];
  const visit = (node: TraceEntity, hops: number): void => {
    if (hops > trace.entities.size) return;
    for (const child of trace.children(node.id)) {
      if (child.kind === "segment") continue;
      links.push(...child.links);
      visit(child, hops + 1);
    }
  };
  visit(segment, 0);
  return links;
}

/**
 * The transport nodes a consumer segment was reached from through links, each once per invocation. A link over the
 * table's stream is left out: the outbox publisher's segment in the request's trace already draws table →
 * publisher. Links whose (sub)segment has not arrived draw nothing yet.
 */
function linkedCallers(traces: ReadonlyMap<string, TraceIndex>, links: readonly EntityLink[], at: number | undefined) {
  const callers = new Map<string, MapNode>();
  for (const link of links) {
    if (link.via === "dynamodb-streams") continue;
    const producer = traces.get(link.traceId);
    const from = producer?.entities.get(link.id);
    const node = producer && from ? hopNode(producer, from, at) : undefined;
    if (node) callers.set(node.id, node);
  }
  return [...callers.values()];
}

function addTrace(map: MapBuilder, trace: TraceIndex, traces: ReadonlyMap<string, TraceIndex>): void {
  for (const entity of trace.entities.values()) {
    if (entity.kind === "segment") {
      const node = segmentNode(entity);
      map.node(node);
      const links = linksUnder(trace, entity);
      const caller = callerOf(trace, entity);
      // A linked invocation that started its own trace has no client in front: its callers are the links.
      if (caller && !(caller === CLIENT_NODE && links.length > 0)) map.call(caller, node, entity);
      for (const linked of linkedCallers(traces, links, entity.start))
        if (linked.id !== caller?.id) map.call(linked, node, entity, true);
      continue;
    }
    if (entity.namespace !== "aws" && entity.namespace !== "remote") continue; // local work: no node
    // A synchronous call into a service that traces itself is drawn by that service's own segment.
    const tracedDownstream = trace.children(entity.id).some((child) => child.kind === "segment");
    if (tracedDownstream && !isAsyncHop(entity)) continue;
    const owner = trace.ownerOf(entity);
    if (owner) map.call(segmentNode(owner), inferredNode(entity), entity);
  }
}

/**
 * The service map, the way the X-Ray console draws it: a node per service that sent segments (named with its
 * origin type), a client node in front of each trace's entry point, an inferred node per downstream AWS resource
 * or remote service called, and an edge per caller → callee with request, error and fault counts and latency
 * percentiles. A consumer whose segment hangs under a publish call (SQS, SNS, EventBridge, Kinesis) is drawn
 * after the resource it consumed from: `ShopTable ← ShopPlaceOrder → EventBridge → LedgerRecord`; one whose trace
 * links to the publish call (a Kinesis consumer, a record of a mixed batch) is drawn the same way, once per
 * invocation, on an edge marked `linked`.
 *
 * @example
 * ```ts
 * const { nodes, edges } = buildServiceMap(collector.segments());
 * ```
 */
export function buildServiceMap(segments: readonly XraySegment[]): ServiceMap {
  const map = new MapBuilder();
  const traces = new Map(indexTraces(segments).map((trace) => [trace.traceId, trace]));
  for (const trace of traces.values()) addTrace(map, trace, traces);
  return map.build();
}
