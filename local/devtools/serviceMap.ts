import type { XraySegment } from "../emulators/xrayCollector.js";
import { awsServiceOf, CLIENT_NODE, inferredNode, type MapNode, segmentNode } from "./inferredNode.js";
import { indexTraces, millis, type TraceEntity, type TraceIndex } from "./segmentIndex.js";

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
  private readonly calls = new Map<string, { source: string; target: string; calls: TraceEntity[] }>();

  node(node: MapNode): string {
    if (!this.nodes.has(node.id)) this.nodes.set(node.id, node);
    return node.id;
  }

  /** One call on the edge; a call still in progress draws nothing yet. */
  call(source: MapNode, target: MapNode, call: TraceEntity): void {
    if (call.inProgress || call.start === undefined || call.end === undefined) return;
    const from = this.node(source);
    const to = this.node(target);
    const key = `${from}\u0000${to}`;
    const edge = this.calls.get(key) ?? { source: from, target: to, calls: [] };
    edge.calls.push(call);
    this.calls.set(key, edge);
  }

  build(): ServiceMap {
    const nodes = [...this.nodes.values()].sort((a, b) => a.id.localeCompare(b.id));
    const edges = [...this.calls.values()]
      .map(({ source, target, calls }): MapEdge => {
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
  if (!parent) return undefined;
  if (parent.kind === "subsegment" && isAsyncHop(parent)) return inferredNode(parent);
  const owner = trace.ownerOf(parent);
  if (!owner) return undefined;
  const local = parent.kind === "segment" || parent.namespace === undefined;
  const publishes = local && segment.start !== undefined ? publishesUnder(trace, parent, segment.start) : [];
  const [only] = publishes;
  return only && publishes.length === 1 ? inferredNode(only) : segmentNode(owner);
}

function addTrace(map: MapBuilder, trace: TraceIndex): void {
  for (const entity of trace.entities.values()) {
    if (entity.kind === "segment") {
      const node = segmentNode(entity);
      map.node(node);
      const caller = callerOf(trace, entity);
      if (caller) map.call(caller, node, entity);
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
 * after the resource it consumed from: `ShopTable ← ShopPlaceOrder → EventBridge → LedgerRecord`.
 *
 * @example
 * ```ts
 * const { nodes, edges } = buildServiceMap(collector.segments());
 * ```
 */
export function buildServiceMap(segments: readonly XraySegment[]): ServiceMap {
  const map = new MapBuilder();
  for (const trace of indexTraces(segments)) addTrace(map, trace);
  return map.build();
}
