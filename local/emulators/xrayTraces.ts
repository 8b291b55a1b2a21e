import { createHash } from "node:crypto";
import { awsServiceOf, inferredNode, type MapNode, segmentNode } from "../devtools/inferredNode.js";
import { indexTraces, type TraceEntity, type TraceIndex } from "../devtools/segmentIndex.js";
import { buildServiceMap, type ServiceMap } from "../devtools/serviceMap.js";
import type { XraySegment } from "./xrayCollector.js";
import type { FilterSubject, Scalar, ScopedEdge, ScopedNode } from "./xrayFilterExpression.js";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);
/** Seconds to the microsecond X-Ray records, without float noise. */
const seconds = (value: number): number => Math.round(value * 1_000_000) / 1_000_000;

/**
 * One trace as X-Ray's processing makes it: the documents the SDKs sent, merged into one document per segment
 * (independently sent subsegments nested under their parent, a complete copy winning over an in-progress one),
 * plus an inferred segment per downstream call to a service that sends no segment of its own.
 */
export interface ProcessedTrace {
  readonly id: string;
  /** One document per segment, subsegments nested; a subsegment whose parent never arrived stands on its own. */
  readonly documents: readonly Json[];
  /** X-Ray's inferred segments: `inferred: true`, `origin` the resource's type, `parent_id` the calling subsegment. */
  readonly inferred: readonly Json[];
  readonly index: TraceIndex;
  readonly map: ServiceMap;
  /** Every segment and subsegment, flat, by id (without `subsegments`). */
  readonly flat: ReadonlyMap<string, Json>;
  /** The entry point: the earliest segment with no caller in the trace. */
  readonly root?: TraceEntity;
  readonly start: number;
  readonly end: number;
  /** Documents received for the trace (X-Ray's `Revision` counts its updates). */
  readonly revision: number;
}

interface Part {
  readonly document: Json;
  readonly kind: "segment" | "subsegment";
  /** Where it nests: the enclosing document, or `parent_id` of a subsegment sent on its own. */
  readonly parent?: string;
  readonly inProgress: boolean;
  readonly independent: boolean;
}

/** The fields of a subsegment sent on its own that nesting makes redundant. */
const NESTING_FIELDS = ["type", "trace_id", "parent_id"];

function collectParts(
  parts: Map<string, Part>,
  document: Json,
  kind: Part["kind"],
  parent?: string,
  independent = false,
) {
  const id = text(document.id);
  if (!id) return;
  const { subsegments, ...own } = document;
  const inProgress = own.in_progress === true || typeof own.end_time !== "number";
  const known = parts.get(id);
  // A complete copy beats an in-progress one (sent again when it closes); otherwise the later copy wins.
  if (!(known && !known.inProgress && inProgress)) {
    if (kind === "subsegment" && !independent) for (const field of NESTING_FIELDS) delete own[field];
    parts.set(id, { document: own, kind, inProgress, independent, ...(parent ? { parent } : {}) });
  }
  if (!Array.isArray(subsegments)) return;
  for (const nested of subsegments) if (isObject(nested)) collectParts(parts, nested, "subsegment", id);
}

const byStart = (a: Json, b: Json): number =>
  (typeof a.start_time === "number" ? a.start_time : Number.POSITIVE_INFINITY) -
  (typeof b.start_time === "number" ? b.start_time : Number.POSITIVE_INFINITY);

/** Deterministic 16-hex id of an inferred segment, so every read of a trace names it the same. */
const inferredId = (traceId: string, callId: string): string =>
  createHash("sha256").update(`${traceId}/${callId}`).digest("hex").slice(0, 16);

/** The calls X-Ray infers a segment for: AWS and remote calls whose callee does not trace itself synchronously. */
function inferredSegments(traceId: string, index: TraceIndex, flat: ReadonlyMap<string, Json>): Json[] {
  const segments: Json[] = [];
  for (const call of index.entities.values()) {
    if (call.kind !== "subsegment" || (call.namespace !== "aws" && call.namespace !== "remote")) continue;
    const traced = index.children(call.id).some((child) => child.kind === "segment");
    // A Lambda function invoked synchronously sends its own segment, which stands for the callee.
    if (traced && (call.namespace === "remote" || awsServiceOf(call) === "Lambda")) continue;
    const source = flat.get(call.id) ?? {};
    const node = inferredNode(call);
    segments.push({
      id: inferredId(traceId, call.id),
      name: call.name,
      ...(call.start === undefined ? {} : { start_time: call.start }),
      ...(call.end === undefined ? {} : { end_time: call.end }),
      ...(call.inProgress ? { in_progress: true } : {}),
      parent_id: call.id,
      inferred: true,
      ...(isObject(source.http) ? { http: source.http } : {}),
      ...(isObject(source.aws) ? { aws: source.aws } : {}),
      ...(call.error ? { error: true } : {}),
      ...(call.fault ? { fault: true } : {}),
      ...(call.throttle ? { throttle: true } : {}),
      trace_id: traceId,
      ...(node.type === "remote" ? {} : { origin: node.type }),
    });
  }
  return segments.sort(byStart);
}

/**
 * Processes what the collector holds for one trace into the trace X-Ray would return.
 *
 * @example
 * ```ts
 * const trace = processTrace(traceId, collector.segments(traceId));
 * trace?.documents.map((d) => d.name);
 * ```
 */
export function processTrace(traceId: string, received: readonly XraySegment[]): ProcessedTrace | undefined {
  const parts = new Map<string, Part>();
  for (const document of received) {
    if (document.trace_id !== traceId) continue;
    const independent = document.type === "subsegment";
    collectParts(parts, document, independent ? "subsegment" : "segment", text(document.parent_id), independent);
  }
  if (parts.size === 0) return undefined;

  const children = new Map<string, string[]>();
  for (const [id, part] of parts) {
    if (part.kind !== "subsegment" || !part.parent) continue;
    children.set(part.parent, [...(children.get(part.parent) ?? []), id]);
  }
  const visited = new Set<string>();
  const build = (id: string): Json => {
    visited.add(id);
    const part = parts.get(id) as Part;
    const nested = (children.get(id) ?? []).filter((child) => !visited.has(child)).map(build);
    const document: Json = { ...part.document };
    if (part.independent && part.parent && parts.has(part.parent)) {
      for (const field of NESTING_FIELDS) delete document[field];
    }
    if (nested.length > 0) document.subsegments = nested.sort(byStart);
    return document;
  };
  const tops = [...parts].filter(
    ([, part]) => part.kind === "segment" || part.parent === undefined || !parts.has(part.parent),
  );
  const documents = tops.map(([id]) => build(id)).sort(byStart);

  const flat = new Map<string, Json>([...parts].map(([id, part]) => [id, part.document]));
  const index = indexTraces(received.filter((d) => d.trace_id === traceId))[0] as TraceIndex;
  const entities = [...index.entities.values()];
  const starts = entities.flatMap((e) => (e.start === undefined ? [] : [e.start]));
  const start = starts.length > 0 ? Math.min(...starts) : 0;
  const end = Math.max(start, ...entities.flatMap((e) => e.end ?? e.start ?? []));
  const root = entities
    .filter((e) => e.kind === "segment" && (e.parentId === undefined || !index.entities.has(e.parentId)))
    .sort(
      (a, b) => Number(a.parentId !== undefined) - Number(b.parentId !== undefined) || (a.start ?? 0) - (b.start ?? 0),
    )[0];
  return {
    id: traceId,
    documents,
    inferred: inferredSegments(traceId, index, flat),
    index,
    map: buildServiceMap(received.filter((d) => d.trace_id === traceId)),
    flat,
    ...(root ? { root } : {}),
    start,
    end,
    revision: received.filter((d) => d.trace_id === traceId).length,
  };
}

/** X-Ray's `ServiceId`: how summaries and annotations name a node. */
export interface ServiceId {
  readonly Name: string;
  readonly Names: readonly string[];
  readonly Type: string;
}

export const serviceIdOf = (node: MapNode): ServiceId => ({ Name: node.name, Names: [node.name], Type: node.type });

/** The map node an entity is drawn as: a service's segment as itself, an AWS or remote call as its resource. */
export function nodeOfEntity(entity: TraceEntity): MapNode | undefined {
  if (entity.kind === "segment") return segmentNode(entity);
  if (entity.namespace === "aws" || entity.namespace === "remote") return inferredNode(entity);
  return undefined;
}

const isFault = (e: TraceEntity): boolean => e.fault || (e.status ?? 0) >= 500;
const isThrottle = (e: TraceEntity): boolean => e.throttle || e.status === 429;
const isError = (e: TraceEntity): boolean =>
  !isFault(e) && (e.error || isThrottle(e) || ((e.status ?? 0) >= 400 && (e.status ?? 0) < 500));

/** `http.request` of a document, as X-Ray's `Http` summary reads it. */
export function httpOf(document: Json | undefined): {
  url?: string;
  method?: string;
  userAgent?: string;
  clientIp?: string;
  status?: number;
} {
  const http = isObject(document?.http) ? document.http : {};
  const request = isObject(http.request) ? http.request : {};
  const response = isObject(http.response) ? http.response : {};
  const url = text(request.url);
  const method = text(request.method);
  const userAgent = text(request.user_agent);
  const clientIp = text(request.client_ip);
  return {
    ...(url ? { url } : {}),
    ...(method ? { method } : {}),
    ...(userAgent ? { userAgent } : {}),
    ...(clientIp ? { clientIp } : {}),
    ...(typeof response.status === "number" ? { status: response.status } : {}),
  };
}

const durationOf = (e: TraceEntity): number | undefined =>
  e.start === undefined || e.end === undefined ? undefined : seconds(e.end - e.start);

/** One segment (or inferred call) as the subject of a filter nested in `service(...) { … }` or `edge(...) { … }`. */
function entitySubject(trace: ProcessedTrace, entity: TraceEntity): FilterSubject {
  const document = trace.flat.get(entity.id);
  const http = httpOf(document);
  const duration = durationOf(entity);
  const user = text(document?.user);
  const values: Record<string, readonly Scalar[]> = {
    ok: [!isFault(entity) && !isError(entity)],
    error: [isError(entity)],
    fault: [isFault(entity)],
    throttle: [isThrottle(entity)],
    partial: [entity.inProgress],
    inferred: [entity.kind === "subsegment"],
    root: [trace.root?.id === entity.id],
    responsetime: duration === undefined ? [] : [duration],
    duration: duration === undefined ? [] : [duration],
    "http.status": http.status === undefined ? [] : [http.status],
    "http.url": http.url ? [http.url] : [],
    "http.method": http.method ? [http.method] : [],
    "http.useragent": http.userAgent ? [http.userAgent] : [],
    "http.clientip": http.clientIp ? [http.clientIp] : [],
    user: user ? [user] : [],
  };
  return {
    values: (keyword) => values[keyword] ?? [],
    annotation: (key) => (key in entity.annotations ? [entity.annotations[key] as Scalar] : []),
    services: () => [],
    edges: () => [],
  };
}

/** The entities each map node of the trace stands for, by node id. */
function entitiesByNode(trace: ProcessedTrace): Map<string, TraceEntity[]> {
  const groups = new Map<string, TraceEntity[]>();
  for (const entity of trace.index.entities.values()) {
    const node = nodeOfEntity(entity);
    if (node) groups.set(node.id, [...(groups.get(node.id) ?? []), entity]);
  }
  return groups;
}

/**
 * A whole trace as the subject of a filter expression: trace-level keywords read the root segment (`responsetime`,
 * `ok`, `http.*`) or the whole trace (`duration`, `partial`, `user`, annotations), as X-Ray's do; `service()` and
 * `edge()` reach the nodes and edges of the trace's own service map.
 *
 * @example
 * ```ts
 * matchesFilter(parseFilterExpression('service("UsersSignup")'), traceSubject(trace));
 * ```
 */
export function traceSubject(trace: ProcessedTrace): FilterSubject {
  const root = trace.root ? entitySubject(trace, trace.root) : undefined;
  const entities = [...trace.index.entities.values()];
  const users = [...new Set(entities.flatMap((e) => text(trace.flat.get(e.id)?.user) ?? []))];
  const groups = entitiesByNode(trace);
  const nodes = new Map(trace.map.nodes.map((node) => [node.id, node]));
  const scoped = (id: string) => (groups.get(id) ?? []).map((entity) => entitySubject(trace, entity));
  return {
    values(keyword) {
      if (keyword === "duration") return [seconds(trace.end - trace.start)];
      if (keyword === "partial") return [entities.some((e) => e.inProgress)];
      if (keyword === "inferred") return [trace.inferred.length > 0];
      if (keyword === "user") return users;
      if (keyword === "root") return [true];
      return root?.values(keyword) ?? [];
    },
    annotation: (key) => [
      ...new Set(entities.flatMap((e) => (key in e.annotations ? [e.annotations[key] as Scalar] : []))),
    ],
    services: (): ScopedNode[] =>
      trace.map.nodes
        .filter((node) => node.type !== "client")
        .map((node) => ({ name: node.name, type: node.type, segments: scoped(node.id) })),
    edges: (): ScopedEdge[] =>
      trace.map.edges.flatMap((edge) => {
        const source = nodes.get(edge.source);
        const destination = nodes.get(edge.target);
        if (!source || !destination) return [];
        // The calls on an edge are the destination's segments in this trace.
        return [{ source, destination, segments: scoped(edge.target) }];
      }),
  };
}

/** Seconds of each entity a map node stands for in a trace: its first start and last end. */
export function nodeTimes(trace: ProcessedTrace): Map<string, { start: number; end: number }> {
  const times = new Map<string, { start: number; end: number }>();
  for (const [id, entities] of entitiesByNode(trace)) {
    const starts = entities.flatMap((e) => e.start ?? []);
    const ends = entities.flatMap((e) => e.end ?? e.start ?? []);
    if (starts.length > 0) times.set(id, { start: Math.min(...starts), end: Math.max(...starts, ...ends) });
  }
  return times;
}
