import { createHash, randomUUID } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { buildServiceMap, type MapEdge, type MapNode } from "../devtools/serviceMap.js";
import { closeHttpServer, listenOnLoopback, readBody } from "./httpServer.js";
import { LOOPBACK } from "./ports.js";
import { segmentProblem, type XrayCollector, type XraySegment } from "./xrayCollector.js";
import {
  type FilterExpression,
  FilterExpressionError,
  matchesFilter,
  parseFilterExpression,
} from "./xrayFilterExpression.js";
import {
  httpOf,
  nodeTimes,
  type ProcessedTrace,
  processTrace,
  type ServiceId,
  serviceIdOf,
  traceSubject,
} from "./xrayTraces.js";

/**
 * The X-Ray API over the local collector, REST-JSON as AWS serves it (`POST /TraceSegments`, `/TraceSummaries`,
 * `/Traces`, `/ServiceGraph`), so `@aws-sdk/client-xray` and `aws xray …` read local traces as they read a stage's.
 * Any SigV4-signed request is accepted; the signature is not checked.
 *
 * @example
 * ```ts
 * const api = await startXrayApi(collector);
 * const xray = new XRayClient({ endpoint: api.endpoint, region: "us-east-1" });
 * await xray.send(new GetServiceGraphCommand({ StartTime: new Date(Date.now() - 600_000), EndTime: new Date() }));
 * ```
 */
export interface XrayApi {
  /** `http://127.0.0.1:<port>`, the value of AWS_ENDPOINT_URL_XRAY */
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface XrayApiOptions {
  /** default 0: a free port */
  port?: number;
  /** Trace summaries per `GetTraceSummaries` page. Default 100. */
  pageSize?: number;
}

/** AWS's limits on one call. */
export const BATCH_GET_TRACES_MAX_IDS = 5;
export const PUT_TRACE_SEGMENTS_MAX_DOCUMENTS = 50;

/** An error the API answers with AWS's REST-JSON error shape: `x-amzn-ErrorType` and `{ __type, Message }`. */
export class XrayApiError extends Error {
  constructor(
    readonly type: "InvalidRequestException" | "UnknownOperationException",
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

const invalid = (message: string): XrayApiError => new XrayApiError("InvalidRequestException", message);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** An epoch-seconds timestamp, as the SDK and the CLI send it. */
function timestamp(input: Json, field: string): number {
  const value = input[field];
  if (value === undefined || value === null) throw invalid(`${field} is required.`);
  if (typeof value !== "number" || !Number.isFinite(value))
    throw invalid(`${field} must be a number of epoch seconds.`);
  return value;
}

function timeRange(input: Json): { start: number; end: number } {
  const start = timestamp(input, "StartTime");
  const end = timestamp(input, "EndTime");
  if (end < start) throw invalid("EndTime must not be before StartTime.");
  return { start, end };
}

function processedTraces(collector: Pick<XrayCollector, "segments" | "traceIds">): ProcessedTrace[] {
  const all = collector.segments();
  const byTrace = new Map<string, XraySegment[]>();
  for (const segment of all) byTrace.set(segment.trace_id, [...(byTrace.get(segment.trace_id) ?? []), segment]);
  return [...byTrace].flatMap(([id, segments]) => processTrace(id, segments) ?? []);
}

// PutTraceSegments

function putTraceSegments(collector: Pick<XrayCollector, "put">, input: Json): Json {
  const documents = input.TraceSegmentDocuments;
  if (!Array.isArray(documents)) throw invalid("TraceSegmentDocuments is required.");
  if (documents.length > PUT_TRACE_SEGMENTS_MAX_DOCUMENTS) {
    throw invalid(`Exceeding maximum segment count: ${PUT_TRACE_SEGMENTS_MAX_DOCUMENTS}.`);
  }
  const unprocessed: Json[] = [];
  const reject = (code: string, id?: unknown) =>
    unprocessed.push({
      ...(typeof id === "string" && id !== "" ? { Id: id } : {}),
      ErrorCode: code,
      Message: `Invalid segment. ErrorCode: ${code}`,
    });
  for (const document of documents) {
    let parsed: unknown;
    try {
      parsed = typeof document === "string" ? JSON.parse(document) : undefined;
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined) {
      reject("InvalidDocument");
      continue;
    }
    // A document is a segment, an in-progress segment, an independent subsegment or an array of subsegments.
    const items = Array.isArray(parsed) ? parsed : [parsed];
    if (items.length === 0) reject("MissingId");
    for (const item of items) {
      const problem = segmentProblem(item);
      if (problem) reject(problem, isObject(item) ? item.id : undefined);
      else collector.put(item as XraySegment);
    }
  }
  return { UnprocessedTraceSegments: unprocessed };
}

// GetTraceSummaries

type TimeRangeType = "TraceId" | "Event" | "Service";

/** Whether a trace falls in the range as `TimeRangeType` reads it. */
function inRange(trace: ProcessedTrace, type: TimeRangeType, start: number, end: number): boolean {
  if (type === "Event") return trace.start < end && trace.end >= start;
  if (type === "Service") {
    return trace.documents.some((d) => typeof d.end_time === "number" && d.end_time >= start && d.end_time < end);
  }
  return trace.start >= start && trace.start < end;
}

/** A stable fraction of [0, 1) per trace, so a fixed-rate sample keeps the same traces on every call. */
const sampleOf = (traceId: string): number =>
  Number.parseInt(createHash("sha256").update(traceId).digest("hex").slice(0, 8), 16) / 0x1_0000_0000;

function sampling(input: Json): { name: "FixedRate" | "PartialScan"; value: number } | undefined {
  if (input.Sampling !== true) return undefined;
  const strategy = input.SamplingStrategy;
  if (strategy === undefined) return undefined;
  if (!isObject(strategy)) throw invalid("SamplingStrategy must be an object.");
  if (strategy.Name !== "FixedRate" && strategy.Name !== "PartialScan") {
    throw invalid("SamplingStrategy.Name must be PartialScan or FixedRate.");
  }
  const value = strategy.Value ?? 1;
  if (typeof value !== "number" || value < 0 || value > 1) throw invalid("SamplingStrategy.Value must be from 0 to 1.");
  return { name: strategy.Name, value };
}

const annotationValue = (value: string | number | boolean): Json =>
  typeof value === "string"
    ? { StringValue: value }
    : typeof value === "number"
      ? { NumberValue: value }
      : { BooleanValue: value };

function summaryOf(trace: ProcessedTrace): Json {
  const root = trace.root;
  const rootDocument = root ? trace.flat.get(root.id) : undefined;
  const http = httpOf(rootDocument);
  const entities = [...trace.index.entities.values()];
  const status = root?.status ?? 0;
  const nodeOf = new Map(trace.map.nodes.map((node) => [node.id, node]));
  const ownerId = (id: string) => {
    const entity = trace.index.entities.get(id);
    const owner = entity ? trace.index.ownerOf(entity) : undefined;
    return owner ? serviceIdOf({ id: "", name: owner.name, type: owner.origin ?? "service" }) : undefined;
  };
  const annotations: Record<string, Json[]> = {};
  for (const entity of entities) {
    for (const [key, value] of Object.entries(entity.annotations)) {
      const values = annotations[key] ?? [];
      annotations[key] = values;
      const service = ownerId(entity.id);
      const known = values.find((v) => JSON.stringify(v.AnnotationValue) === JSON.stringify(annotationValue(value)));
      if (known) {
        const ids = known.ServiceIds as ServiceId[];
        if (service && !ids.some((s) => s.Name === service.Name && s.Type === service.Type)) ids.push(service);
      } else values.push({ AnnotationValue: annotationValue(value), ServiceIds: service ? [service] : [] });
    }
  }
  const users = new Map<string, ServiceId[]>();
  for (const entity of entities) {
    const user = trace.flat.get(entity.id)?.user;
    if (typeof user !== "string" || user === "") continue;
    const ids = users.get(user) ?? [];
    const service = ownerId(entity.id);
    if (service && !ids.some((s) => s.Name === service.Name && s.Type === service.Type)) ids.push(service);
    users.set(user, ids);
  }
  const arns = [
    ...new Set(
      entities.flatMap((e) => {
        const arn = trace.flat.get(e.id)?.resource_arn;
        return typeof arn === "string" ? [arn] : [];
      }),
    ),
  ];
  const entry = root ? nodeOf.get(`${root.origin ?? "service"}/${root.name}`) : undefined;
  return {
    Id: trace.id,
    StartTime: trace.start,
    Duration: Math.round((trace.end - trace.start) * 1_000_000) / 1_000_000,
    ...(root?.start !== undefined && root.end !== undefined && !root.inProgress
      ? { ResponseTime: Math.round((root.end - root.start) * 1_000_000) / 1_000_000 }
      : {}),
    HasFault: root ? root.fault || status >= 500 : false,
    HasError: root ? !(root.fault || status >= 500) && (root.error || root.throttle || status >= 400) : false,
    HasThrottle: entities.some((e) => e.throttle || e.status === 429),
    IsPartial: entities.some((e) => e.inProgress),
    Http: {
      ...(http.url ? { HttpURL: http.url } : {}),
      ...(http.status === undefined ? {} : { HttpStatus: http.status }),
      ...(http.method ? { HttpMethod: http.method } : {}),
      ...(http.userAgent ? { UserAgent: http.userAgent } : {}),
      ...(http.clientIp ? { ClientIp: http.clientIp } : {}),
    },
    Annotations: annotations,
    Users: [...users].map(([UserName, ServiceIds]) => ({ UserName, ServiceIds })),
    ServiceIds: trace.map.nodes.filter((node) => node.type !== "client").map(serviceIdOf),
    ResourceARNs: arns.map((ARN) => ({ ARN })),
    ...(entry ? { EntryPoint: serviceIdOf(entry) } : {}),
    Revision: trace.revision,
  };
}

interface PageCursor {
  /** Digest of the query the token belongs to. */
  readonly q: string;
  /** The last trace scanned: start time and id (newest first, ties by id). */
  readonly s: number;
  readonly i: string;
}

const encodeToken = (cursor: PageCursor): string => Buffer.from(JSON.stringify(cursor)).toString("base64url");

function decodeToken(token: unknown, query: string): PageCursor | undefined {
  if (token === undefined || token === null || token === "") return undefined;
  try {
    const cursor = JSON.parse(Buffer.from(String(token), "base64url").toString("utf8")) as PageCursor;
    if (cursor.q === query && typeof cursor.s === "number" && typeof cursor.i === "string") return cursor;
  } catch {
    // falls through to the error below
  }
  throw invalid("NextToken is not a token this query returned.");
}

const newestFirst = (a: ProcessedTrace, b: ProcessedTrace): number => b.start - a.start || a.id.localeCompare(b.id);
const after = (trace: ProcessedTrace, cursor: PageCursor): boolean =>
  trace.start < cursor.s || (trace.start === cursor.s && trace.id.localeCompare(cursor.i) > 0);

/**
 * The summaries of the traces in the range, newest first, a page at a time: the filter is applied while scanning, so a
 * page holds up to `pageSize` matches and `TracesProcessedCount` says how many traces it looked at.
 */
function getTraceSummaries(traces: ProcessedTrace[], input: Json, pageSize: number): Json {
  const { start, end } = timeRange(input);
  const type = (input.TimeRangeType ?? "TraceId") as TimeRangeType;
  if (!["TraceId", "Event", "Service"].includes(type))
    throw invalid("TimeRangeType must be TraceId, Event or Service.");
  const strategy = sampling(input);
  let filter: FilterExpression | undefined;
  if (input.FilterExpression !== undefined && input.FilterExpression !== "") {
    if (typeof input.FilterExpression !== "string") throw invalid("FilterExpression must be a string.");
    try {
      filter = parseFilterExpression(input.FilterExpression);
    } catch (error) {
      if (error instanceof FilterExpressionError) throw invalid(error.message);
      throw error;
    }
  }
  const query = createHash("sha256")
    .update(JSON.stringify([start, end, type, input.FilterExpression ?? "", input.Sampling ?? false, strategy ?? null]))
    .digest("base64url");
  const cursor = decodeToken(input.NextToken, query);

  let candidates = traces.filter((trace) => inRange(trace, type, start, end)).sort(newestFirst);
  if (strategy?.name === "FixedRate") candidates = candidates.filter((t) => sampleOf(t.id) < strategy.value);
  if (strategy?.name === "PartialScan") candidates = candidates.slice(0, Math.ceil(candidates.length * strategy.value));
  if (cursor) candidates = candidates.filter((trace) => after(trace, cursor));

  const page: ProcessedTrace[] = [];
  let scanned = 0;
  for (const trace of candidates) {
    if (page.length === pageSize) break;
    scanned++;
    if (!filter || matchesFilter(filter, traceSubject(trace))) page.push(trace);
  }
  const last = candidates[scanned - 1];
  const more = scanned < candidates.length && last !== undefined;
  return {
    TraceSummaries: page.map(summaryOf),
    // The start of the time this page covers: newest first, a page ends at the last trace it scanned.
    ApproximateTime: more ? last.start : start,
    TracesProcessedCount: scanned,
    ...(more ? { NextToken: encodeToken({ q: query, s: last.start, i: last.id }) } : {}),
  };
}

// BatchGetTraces

function batchGetTraces(collector: Pick<XrayCollector, "segments">, input: Json): Json {
  const ids = input.TraceIds;
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) throw invalid("TraceIds is required.");
  if (ids.length > BATCH_GET_TRACES_MAX_IDS) {
    throw invalid(`TraceIds has ${ids.length} ids; at most ${BATCH_GET_TRACES_MAX_IDS} can be retrieved at once.`);
  }
  const found: Json[] = [];
  const unprocessed: string[] = [];
  for (const id of new Set(ids as string[])) {
    const trace = processTrace(id, collector.segments(id));
    if (!trace) {
      unprocessed.push(id);
      continue;
    }
    found.push({
      Id: id,
      Duration: Math.round((trace.end - trace.start) * 1_000_000) / 1_000_000,
      LimitExceeded: false,
      Segments: [...trace.documents, ...trace.inferred].map((document) => ({
        Id: document.id,
        Document: JSON.stringify(document),
      })),
    });
  }
  return { Traces: found, UnprocessedTraceIds: unprocessed };
}

// GetServiceGraph

interface EdgeCalls {
  requests: number;
  errors: number;
  faults: number;
  durations: number[];
  start: number;
  end: number;
}

/**
 * The durations of an edge's calls in one trace, from its map edge: exact for up to two calls (nearest-rank p50 is
 * the shorter, p99 the longer); beyond two, the calls between are counted at the median.
 */
function durationsOf(edge: MapEdge): number[] {
  if (edge.requests === 0) return [];
  const p50 = edge.p50Ms / 1000;
  const p99 = edge.p99Ms / 1000;
  return edge.requests === 1 ? [p99] : [...Array.from({ length: edge.requests - 1 }, () => p50), p99];
}

function histogram(durations: readonly number[]): Json[] {
  const counts = new Map<number, number>();
  for (const duration of durations) {
    const value = Math.round(duration * 1000) / 1000;
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => a - b).map(([Value, Count]) => ({ Value, Count }));
}

/** AWS's edge and service statistics; the map counts throttles among errors, so `ThrottleCount` stays 0. */
function statistics(calls: EdgeCalls): Json {
  return {
    OkCount: calls.requests - calls.errors - calls.faults,
    ErrorStatistics: { ThrottleCount: 0, OtherCount: calls.errors, TotalCount: calls.errors },
    FaultStatistics: { OtherCount: calls.faults, TotalCount: calls.faults },
    TotalCount: calls.requests,
    TotalResponseTime: Math.round(calls.durations.reduce((sum, d) => sum + d, 0) * 1_000_000) / 1_000_000,
  };
}

/**
 * The service graph of the traces running in the range: the nodes and edges of each trace's `buildServiceMap`,
 * summed, and the linked hops between them and the traces they link to; a node is `Root` when the client calls it and `active` when it sent segments of its own.
 */
function getServiceGraph(traces: ProcessedTrace[], input: Json): Json {
  const { start, end } = timeRange(input);
  const active = traces.filter((trace) => inRange(trace, "Event", start, end));
  const nodes = new Map<string, MapNode>();
  const times = new Map<string, { start: number; end: number }>();
  const sends = new Set<string>();
  const edges = new Map<string, EdgeCalls & { source: string; target: string }>();
  const addEdge = (edge: MapEdge, t: { start: number; end: number }) => {
    const key = `${edge.source}\u0000${edge.target}`;
    const known = edges.get(key) ?? { ...edge, requests: 0, errors: 0, faults: 0, durations: [], ...t };
    known.requests += edge.requests;
    known.errors += edge.errors;
    known.faults += edge.faults;
    known.durations.push(...durationsOf(edge));
    known.start = Math.min(known.start, t.start);
    known.end = Math.max(known.end, t.end);
    edges.set(key, known);
  };
  for (const trace of active) {
    const traceTimes = nodeTimes(trace);
    for (const entity of trace.index.entities.values()) {
      if (entity.kind === "segment") sends.add(`${entity.origin ?? "service"}/${entity.name}`);
    }
    for (const node of trace.map.nodes) {
      nodes.set(node.id, node);
      const t = traceTimes.get(node.id) ?? { start: trace.start, end: trace.end };
      const known = times.get(node.id);
      times.set(node.id, known ? { start: Math.min(known.start, t.start), end: Math.max(known.end, t.end) } : t);
    }
    for (const edge of trace.map.edges)
      addEdge(edge, traceTimes.get(edge.target) ?? { start: trace.start, end: trace.end });
  }
  // A linked hop (a stream consumer's trace linking to the publish in its producer's) joins two traces, so no one
  // trace's map draws it: it comes from the map of the traces in range together with the traces they link to.
  const byId = new Map(traces.map((trace) => [trace.id, trace]));
  const producers = active.flatMap((trace) =>
    [...trace.index.entities.values()].flatMap((entity) => entity.links.map((link) => link.traceId)),
  );
  const joined = [...new Set([...active.map((trace) => trace.id), ...producers])].flatMap((id) => byId.get(id) ?? []);
  const linkedMap = buildServiceMap(joined.flatMap((trace) => trace.documents as XraySegment[]));
  for (const edge of linkedMap.edges.filter((e) => e.linked)) {
    for (const id of [edge.source, edge.target]) {
      const node = linkedMap.nodes.find((n) => n.id === id);
      if (node && !nodes.has(id)) nodes.set(id, node);
    }
    addEdge(edge, times.get(edge.target) ?? { start, end });
  }
  const ordered = [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id));
  const referenceOf = new Map(ordered.map((node, i) => [node.id, i]));
  const services = ordered.map((node) => {
    const incoming = [...edges.values()].filter((e) => e.target === node.id);
    const own = times.get(node.id) ?? { start, end };
    const received: EdgeCalls = {
      requests: incoming.reduce((n, e) => n + e.requests, 0),
      errors: incoming.reduce((n, e) => n + e.errors, 0),
      faults: incoming.reduce((n, e) => n + e.faults, 0),
      durations: incoming.flatMap((e) => e.durations),
      ...own,
    };
    const isClient = node.type === "client";
    return {
      ReferenceId: referenceOf.get(node.id),
      Name: node.name,
      Names: [node.name],
      ...(incoming.some((e) => nodes.get(e.source)?.type === "client") ? { Root: true } : {}),
      Type: node.type,
      State: sends.has(node.id) ? "active" : "unknown",
      StartTime: own.start,
      EndTime: own.end,
      Edges: [...edges.values()]
        .filter((e) => e.source === node.id)
        .map((e) => ({
          ReferenceId: referenceOf.get(e.target),
          StartTime: e.start,
          EndTime: e.end,
          SummaryStatistics: statistics(e),
          ResponseTimeHistogram: histogram(e.durations),
          Aliases: [],
        })),
      ...(isClient
        ? {}
        : {
            SummaryStatistics: statistics(received),
            DurationHistogram: histogram(received.durations),
            ResponseTimeHistogram: histogram(received.durations),
          }),
    };
  });
  return { StartTime: start, EndTime: end, Services: services, ContainsOldGroupVersions: false };
}

// The server

function reply(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
    ...headers,
  });
  response.end(text);
}

/**
 * Starts the X-Ray API over a collector on 127.0.0.1.
 *
 * @example
 * ```ts
 * const api = await startXrayApi(emulators.xray);
 * process.env.AWS_ENDPOINT_URL_XRAY = api.endpoint;
 * ```
 */
export async function startXrayApi(collector: XrayCollector, options: XrayApiOptions = {}): Promise<XrayApi> {
  const pageSize = options.pageSize ?? 100;
  const operations: Record<string, (input: Json) => Json> = {
    "/TraceSegments": (input) => putTraceSegments(collector, input),
    "/TraceSummaries": (input) => getTraceSummaries(processedTraces(collector), input, pageSize),
    "/Traces": (input) => batchGetTraces(collector, input),
    "/ServiceGraph": (input) => getServiceGraph(processedTraces(collector), input),
  };
  const server = createServer(async (request, response) => {
    try {
      const path = new URL(request.url ?? "/", "http://placeholder").pathname;
      const body = (await readBody(request)).toString("utf8");
      const operation = operations[path];
      if (request.method !== "POST" || !operation) {
        throw new XrayApiError("UnknownOperationException", `No X-Ray operation at ${request.method} ${path}.`, 404);
      }
      let input: unknown;
      try {
        input = body === "" ? {} : JSON.parse(body);
      } catch {
        throw invalid("The request body is not valid JSON.");
      }
      if (!isObject(input)) throw invalid("The request body must be a JSON object.");
      reply(response, 200, operation(input));
    } catch (error) {
      if (error instanceof XrayApiError) {
        reply(
          response,
          error.status,
          { __type: error.type, Message: error.message },
          { "x-amzn-errortype": error.type },
        );
      } else {
        reply(
          response,
          500,
          { __type: "InternalFailure", Message: String(error) },
          { "x-amzn-errortype": "InternalFailure" },
        );
      }
    }
  });
  const port = await listenOnLoopback(server, options.port ?? 0);
  return { endpoint: `http://${LOOPBACK}:${port}`, stop: () => closeHttpServer(server) };
}
