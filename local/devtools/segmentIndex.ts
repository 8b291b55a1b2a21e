import type { XraySegment } from "../emulators/xrayCollector.js";

/**
 * One segment or subsegment of a trace, wherever it came from: a segment document, a subsegment nested in one at
 * any depth, or a subsegment sent on its own (X-Ray developer guide, "Segment documents").
 */
export interface TraceEntity {
  readonly traceId: string;
  readonly id: string;
  /** The recorded parent: the enclosing (sub)segment for a nested subsegment, `parent_id` otherwise. */
  readonly parentId?: string;
  readonly kind: "segment" | "subsegment";
  readonly name: string;
  /** `AWS::Lambda::Function`, `AWS::ApiGateway::Stage`, … (segments only) */
  readonly origin?: string;
  /** `aws` for an AWS SDK call, `remote` for any other downstream call (subsegments only) */
  readonly namespace?: string;
  /** Epoch seconds, as X-Ray records them. */
  readonly start?: number;
  readonly end?: number;
  /** Still running (or never closed): no end time to measure. */
  readonly inProgress: boolean;
  readonly error: boolean;
  readonly fault: boolean;
  readonly throttle: boolean;
  /** `http.response.status` */
  readonly status?: number;
  /** The `aws` object: `operation`, `table_name`, `queue_url`, … */
  readonly aws: Readonly<Record<string, unknown>>;
  readonly annotations: Readonly<Record<string, string | number | boolean>>;
  /** The (sub)segments of other traces this one links to (`links`, as AWS's OpenTelemetry exporter writes them). */
  readonly links: readonly EntityLink[];
  /** The first exception of `cause.exceptions` (X-Ray's shape), when the document records one. */
  readonly cause?: EntityCause;
  /** Arrival order of the document that carried it (a later copy of the same id replaces an earlier one). */
  readonly order: number;
}

/** A link from a (sub)segment to a (sub)segment of another trace, and the hop it crossed (`messaging.system`). */
export interface EntityLink {
  readonly traceId: string;
  readonly id: string;
  /** `kinesis`, `sqs`, `sns`, `eventbridge`, `dynamodb-streams`; `unknown` when the link does not say. */
  readonly via: string;
}

/** What failed, as X-Ray's `cause.exceptions[0]` says it. */
export interface EntityCause {
  readonly type?: string;
  readonly message?: string;
  /** Its first frames (X-Ray's `stack`: `{ label, path, line }`), innermost first. */
  readonly stack?: readonly StackFrame[];
}

export interface StackFrame {
  readonly label?: string;
  readonly path?: string;
  readonly line?: number;
}

/** Frames of a cause the timeline shows: enough to see where, not the whole stack. */
const CAUSE_FRAMES = 5;

function framesOf(value: unknown): StackFrame[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, CAUSE_FRAMES).flatMap((frame): StackFrame[] => {
    if (!isObject(frame)) return [];
    const label = typeof frame.label === "string" ? frame.label : undefined;
    const path = typeof frame.path === "string" ? frame.path : undefined;
    const line = numberOr(frame.line);
    if (label === undefined && path === undefined) return [];
    return [
      {
        ...(label === undefined ? {} : { label }),
        ...(path === undefined ? {} : { path }),
        ...(line === undefined ? {} : { line }),
      },
    ];
  });
}

/** X-Ray keeps at most 20 links on one document and 100 in one trace: more are dropped, as the service does. */
export const MAX_LINKS_PER_DOCUMENT = 20;
export const MAX_LINKS_PER_TRACE = 100;

/** The entities of one trace, deduplicated by id, with their family links. */
export interface TraceIndex {
  readonly traceId: string;
  readonly entities: ReadonlyMap<string, TraceEntity>;
  /** Entities whose parent is `id`, in start order. */
  children(id: string): readonly TraceEntity[];
  /** The segment a subsegment belongs to (itself for a segment); undefined while an ancestor has not arrived. */
  ownerOf(entity: TraceEntity): TraceEntity | undefined;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const numberOr = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;

function annotationsOf(value: unknown): Record<string, string | number | boolean> {
  const annotations: Record<string, string | number | boolean> = {};
  if (!isObject(value)) return annotations;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === "string" || typeof item === "number" || typeof item === "boolean") annotations[key] = item;
  }
  return annotations;
}

function linksOf(value: unknown): EntityLink[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, MAX_LINKS_PER_DOCUMENT).flatMap((link): EntityLink[] => {
    if (!isObject(link) || typeof link.trace_id !== "string" || typeof link.id !== "string") return [];
    const attributes = isObject(link.attributes) ? link.attributes : {};
    const via = attributes["messaging.system"];
    return [{ traceId: link.trace_id, id: link.id, via: typeof via === "string" && via !== "" ? via : "unknown" }];
  });
}

function causeOf(value: unknown): EntityCause | undefined {
  if (!isObject(value) || !Array.isArray(value.exceptions)) return undefined;
  const [first] = value.exceptions;
  if (!isObject(first)) return undefined;
  const type = typeof first.type === "string" ? first.type : undefined;
  const message = typeof first.message === "string" ? first.message : undefined;
  if (type === undefined && message === undefined) return undefined;
  const stack = framesOf(first.stack);
  return {
    ...(type === undefined ? {} : { type }),
    ...(message === undefined ? {} : { message }),
    ...(stack.length > 0 ? { stack } : {}),
  };
}

function entityOf(document: Json, traceId: string, kind: TraceEntity["kind"], parentId: unknown, order: number) {
  const cause = causeOf(document.cause);
  const start = numberOr(document.start_time);
  const end = numberOr(document.end_time);
  const http = isObject(document.http) ? document.http : {};
  const response = isObject(http.response) ? http.response : {};
  const entity: TraceEntity = {
    traceId,
    id: String(document.id),
    ...(typeof parentId === "string" && parentId !== "" ? { parentId } : {}),
    kind,
    name: typeof document.name === "string" && document.name !== "" ? document.name : "unknown",
    ...(typeof document.origin === "string" ? { origin: document.origin } : {}),
    ...(typeof document.namespace === "string" ? { namespace: document.namespace } : {}),
    ...(start === undefined ? {} : { start }),
    ...(end === undefined ? {} : { end }),
    inProgress: document.in_progress === true || end === undefined,
    error: document.error === true,
    fault: document.fault === true,
    throttle: document.throttle === true,
    ...(numberOr(response.status) === undefined ? {} : { status: numberOr(response.status) }),
    aws: isObject(document.aws) ? document.aws : {},
    annotations: annotationsOf(document.annotations),
    links: linksOf(document.links),
    ...(cause ? { cause } : {}),
    order,
  };
  return entity;
}

/** A complete copy beats an in-progress one (sent again when it closes); otherwise the later copy wins. */
function keep(entities: Map<string, TraceEntity>, entity: TraceEntity): void {
  const existing = entities.get(entity.id);
  if (existing && !existing.inProgress && entity.inProgress) return;
  entities.set(entity.id, entity);
}

function collect(
  entities: Map<string, TraceEntity>,
  document: Json,
  traceId: string,
  kind: TraceEntity["kind"],
  parentId: unknown,
  order: number,
): void {
  if (typeof document.id !== "string" || document.id === "") return;
  keep(entities, entityOf(document, traceId, kind, parentId, order));
  if (!Array.isArray(document.subsegments)) return;
  for (const nested of document.subsegments) {
    if (isObject(nested)) collect(entities, nested, traceId, "subsegment", document.id, order);
  }
}

const byStart = (a: TraceEntity, b: TraceEntity): number =>
  (a.start ?? Number.POSITIVE_INFINITY) - (b.start ?? Number.POSITIVE_INFINITY) || a.order - b.order;

/** Keeps the first {@link MAX_LINKS_PER_TRACE} links of a trace, in arrival order. */
function capLinks(entities: Map<string, TraceEntity>): void {
  let left = MAX_LINKS_PER_TRACE;
  for (const entity of [...entities.values()].sort((a, b) => a.order - b.order)) {
    if (entity.links.length === 0) continue;
    const kept = entity.links.slice(0, Math.max(0, left));
    left -= kept.length;
    if (kept.length < entity.links.length) entities.set(entity.id, { ...entity, links: kept });
  }
}

function indexOf(traceId: string, entities: Map<string, TraceEntity>): TraceIndex {
  capLinks(entities);
  const children = new Map<string, TraceEntity[]>();
  for (const entity of entities.values()) {
    if (entity.parentId === undefined) continue;
    const siblings = children.get(entity.parentId) ?? [];
    siblings.push(entity);
    children.set(entity.parentId, siblings);
  }
  for (const siblings of children.values()) siblings.sort(byStart);

  const owners = new Map<string, TraceEntity | undefined>();
  const ownerOf = (entity: TraceEntity): TraceEntity | undefined => {
    if (entity.kind === "segment") return entity;
    if (owners.has(entity.id)) return owners.get(entity.id);
    let current: TraceEntity | undefined = entity;
    // Bounded walk: a malformed document whose parents loop must not hang the page.
    for (let hops = 0; current && current.kind === "subsegment" && hops < entities.size; hops++) {
      current = current.parentId === undefined ? undefined : entities.get(current.parentId);
    }
    const owner = current?.kind === "segment" ? current : undefined;
    owners.set(entity.id, owner);
    return owner;
  };

  return { traceId, entities, children: (id) => children.get(id) ?? [], ownerOf };
}

/**
 * Flattens what the collector kept into one index per trace: nested subsegments at any depth and independently
 * sent subsegments become entities alike, and duplicates of one id (an in-progress copy, a nested copy and an
 * independent copy of the same subsegment) count once.
 *
 * @example
 * ```ts
 * for (const trace of indexTraces(collector.segments())) trace.entities.size;
 * ```
 */
export function indexTraces(documents: readonly XraySegment[]): TraceIndex[] {
  const traces = new Map<string, Map<string, TraceEntity>>();
  documents.forEach((document, order) => {
    if (!isObject(document) || typeof document.trace_id !== "string") return;
    const entities = traces.get(document.trace_id) ?? new Map<string, TraceEntity>();
    traces.set(document.trace_id, entities);
    const kind = document.type === "subsegment" ? "subsegment" : "segment";
    collect(entities, document, document.trace_id, kind, document.parent_id, order);
  });
  return [...traces].map(([traceId, entities]) => indexOf(traceId, entities));
}

/**
 * Whether a document (or a subsegment nested in it) links to trace `traceId`: a cheap scan, so that a trace's
 * inbound links are found without indexing every trace the collector holds.
 *
 * @example
 * ```ts
 * collector.segments().filter((document) => linksTo(document, traceId));
 * ```
 */
export function linksTo(document: unknown, traceId: string, depth = 0): boolean {
  if (!isObject(document) || depth > 64) return false;
  if (Array.isArray(document.links) && document.links.some((l) => isObject(l) && l.trace_id === traceId)) return true;
  return Array.isArray(document.subsegments) && document.subsegments.some((s) => linksTo(s, traceId, depth + 1));
}

/** Milliseconds between two X-Ray times, to the microsecond X-Ray records (no float noise like 11.999999). */
export function millis(fromSeconds: number, toSeconds: number): number {
  return Math.round((toSeconds - fromSeconds) * 1_000_000) / 1_000;
}
