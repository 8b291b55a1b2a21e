import {
  BatchGetTracesCommand,
  GetTraceSummariesCommand,
  type GetTraceSummariesCommandInput,
  type TraceSummary,
  XRayClient,
  type XRayClientConfig,
} from "@aws-sdk/client-xray";
import type { XraySegment } from "../../local/emulators/index.js";

/** A segment document as BatchGetTraces returns it (subsegments nested, inferred segments marked). */
export type TraceDocument = XraySegment & { inferred?: boolean; subsegments?: TraceDocument[] };

/**
 * Reads traces through the X-Ray API with `@aws-sdk/client-xray`: the local collector at `AWS_ENDPOINT_URL_XRAY`, or,
 * with that unset and AWS credentials in the environment, a deployed stage's X-Ray. The same test reads both.
 *
 * @example
 * ```ts
 * const xray = xrayReader();
 * const documents = await xray.waitForTrace(traceId, (docs) => docs.some((d) => d.name === "UsersSignup"));
 * const { summaries } = await xray.summaries('service("UsersSignup")', { sinceMs: 60_000 });
 * ```
 */
export interface XrayReader {
  readonly client: XRayClient;
  /** The trace's segment documents (inferred segments only with `{ inferred: true }`); [] for an unknown trace. */
  traceDocuments(traceId: string, options?: { inferred?: boolean }): Promise<TraceDocument[]>;
  /** Polls until `predicate` holds for the trace's documents; rejects with what it last saw after `timeoutMs`. */
  waitForTrace(
    traceId: string,
    predicate: (documents: TraceDocument[]) => boolean,
    timeoutMs?: number,
  ): Promise<TraceDocument[]>;
  /** Every summary matching `filter` (all pages) in the range: `sinceMs` before now, or explicit dates. */
  summaries(
    filter: string | undefined,
    range: { sinceMs: number } | { start: Date; end: Date },
    options?: Pick<GetTraceSummariesCommandInput, "TimeRangeType" | "Sampling" | "SamplingStrategy">,
  ): Promise<{ summaries: TraceSummary[]; processed: number }>;
  /**
   * The traces whose documents link to `traceId` (a stream consumer's, the outbox publisher's invocation), found by
   * the `producerTraceId` annotation every consumer sets (`shared/consume/traceRecord.ts`) among the traces started
   * in the last `sinceMs` (default an hour), each read whole with the links it holds to `traceId`.
   */
  linkedFrom(traceId: string, sinceMs?: number): Promise<LinkedTrace[]>;
}

/** A trace that links to another: its documents, and the links among them that point there. */
export interface LinkedTrace {
  readonly traceId: string;
  readonly documents: TraceDocument[];
  readonly links: DocumentLink[];
}

/** The region and credentials come from the standard AWS configuration; the endpoint from AWS_ENDPOINT_URL_XRAY. */
export function xrayReader(config: XRayClientConfig = {}): XrayReader {
  const client = new XRayClient({ maxAttempts: 2, ...config });

  const traceDocuments: XrayReader["traceDocuments"] = async (traceId, options = {}) => {
    const { Traces = [] } = await client.send(new BatchGetTracesCommand({ TraceIds: [traceId] }));
    const documents = Traces.flatMap((trace) => trace.Segments ?? []).flatMap((segment) =>
      segment.Document ? [JSON.parse(segment.Document) as TraceDocument] : [],
    );
    return options.inferred ? documents : documents.filter((document) => document.inferred !== true);
  };

  const summaries: XrayReader["summaries"] = async (filter, range, options = {}) => {
    const end = "end" in range ? range.end : new Date();
    const start = "start" in range ? range.start : new Date(end.getTime() - range.sinceMs);
    const found: TraceSummary[] = [];
    let processed = 0;
    let NextToken: string | undefined;
    do {
      const page = await client.send(
        new GetTraceSummariesCommand({
          StartTime: start,
          EndTime: end,
          ...options,
          ...(filter ? { FilterExpression: filter } : {}),
          ...(NextToken ? { NextToken } : {}),
        }),
      );
      found.push(...(page.TraceSummaries ?? []));
      processed += page.TracesProcessedCount ?? 0;
      NextToken = page.NextToken;
    } while (NextToken);
    return { summaries: found, processed };
  };

  return {
    client,
    traceDocuments,
    summaries,
    async linkedFrom(traceId, sinceMs = 3_600_000) {
      const filter = `annotation.producerTraceId = ${JSON.stringify(traceId)}`;
      const ids = (await summaries(filter, { sinceMs })).summaries.flatMap((s) =>
        s.Id && s.Id !== traceId ? [s.Id] : [],
      );
      const linked = await Promise.all(
        ids.map(async (id) => {
          const documents = await traceDocuments(id);
          return { traceId: id, documents, links: linksOf(documents).filter((l) => l.trace_id === traceId) };
        }),
      );
      return linked.filter((trace) => trace.links.length > 0);
    },
    async waitForTrace(traceId, predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let documents: TraceDocument[] = [];
      for (;;) {
        documents = await traceDocuments(traceId);
        if (predicate(documents)) return documents;
        if (Date.now() > deadline) {
          throw new Error(
            `trace ${traceId} did not reach the expected state within ${timeoutMs} ms; it has ${documents.length} segments: ${documents.map((d) => d.name).join(", ")}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
}

/** A link as a (sub)segment document holds it: the producer's trace and (sub)segment, and the hop. */
export interface DocumentLink {
  readonly trace_id: string;
  readonly id: string;
  readonly attributes: { readonly "messaging.system": string };
}

/**
 * One segment or subsegment of a trace's documents, flattened: the X-Ray fields the tests read, where it hangs
 * (`parentId`: the enclosing (sub)segment, or a segment's caller, its `parent_id`) and the segment it belongs to.
 */
export interface TraceEntry {
  readonly id: string;
  readonly name: string;
  readonly kind: "segment" | "subsegment";
  readonly parentId?: string;
  readonly segmentId: string;
  readonly origin?: string;
  readonly namespace?: string;
  /** `aws.operation` of an AWS call (`PutItem`, `PutEvents`). */
  readonly operation?: string;
  /** `aws.table_name` of a DynamoDB call. */
  readonly tableName?: string;
  /** `http.response.status`. */
  readonly status?: number;
  readonly start?: number;
  readonly end?: number;
  readonly inProgress: boolean;
  readonly error: boolean;
  readonly fault: boolean;
  readonly annotations: Readonly<Record<string, string | number | boolean>>;
  readonly links: readonly DocumentLink[];
}

const field = <T>(value: unknown, type: "string" | "number"): T | undefined =>
  typeof value === type ? (value as T) : undefined;

/**
 * Every (sub)segment of BatchGetTraces documents, each segment followed by its subsegments depth first.
 *
 * @example
 * ```ts
 * const entries = traceEntries(await xray.traceDocuments(traceId));
 * entries.filter((e) => e.namespace === "aws").map((e) => `${e.name} ${e.operation}`); // ["DynamoDB PutItem", …]
 * ```
 */
export function traceEntries(documents: readonly TraceDocument[]): TraceEntry[] {
  const entries: TraceEntry[] = [];
  const visit = (
    document: TraceDocument,
    segmentId: string,
    parentId: string | undefined,
    kind: TraceEntry["kind"],
  ) => {
    const aws = (document.aws ?? {}) as Record<string, unknown>;
    const http = (document.http ?? {}) as { response?: { status?: unknown } };
    const origin = field<string>(document.origin, "string");
    const namespace = field<string>(document.namespace, "string");
    const operation = field<string>(aws.operation, "string");
    const tableName = field<string>(aws.table_name, "string");
    const status = field<number>(http.response?.status, "number");
    entries.push({
      id: document.id,
      name: document.name ?? "",
      kind,
      ...(parentId === undefined ? {} : { parentId }),
      segmentId,
      ...(origin === undefined ? {} : { origin }),
      ...(namespace === undefined ? {} : { namespace }),
      ...(operation === undefined ? {} : { operation }),
      ...(tableName === undefined ? {} : { tableName }),
      ...(status === undefined ? {} : { status }),
      ...(document.start_time === undefined ? {} : { start: document.start_time }),
      ...(document.end_time === undefined ? {} : { end: document.end_time }),
      inProgress: document.in_progress === true,
      error: document.error === true,
      fault: document.fault === true,
      annotations: (document.annotations ?? {}) as TraceEntry["annotations"],
      links: Array.isArray(document.links) ? (document.links as DocumentLink[]) : [],
    });
    for (const child of document.subsegments ?? []) visit(child, segmentId, document.id, "subsegment");
  };
  for (const document of documents) visit(document, document.id, document.parent_id, "segment");
  return entries;
}

/**
 * The entries above `id`, nearest first, across segments (a consumer's segment hangs under the publish that carried
 * its trace header).
 *
 * @example
 * ```ts
 * ancestorsOf(entries, consumer.id).map((e) => e.name); // ["publish users.UserRegistered", "UsersOutboxPublisher", …]
 * ```
 */
export function ancestorsOf(entries: readonly TraceEntry[], id: string): TraceEntry[] {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const chain: TraceEntry[] = [];
  for (let at = byId.get(id)?.parentId; at !== undefined && chain.length < entries.length; ) {
    const parent = byId.get(at);
    if (!parent) break;
    chain.push(parent);
    at = parent.parentId;
  }
  return chain;
}

/**
 * The function segment named `name` and the AWS calls made inside it (not in the segments it caused downstream).
 *
 * @example
 * ```ts
 * const { segment, calls } = callsIn(entries, "UsersSignup");
 * ```
 */
export function callsIn(entries: readonly TraceEntry[], name: string): { segment?: TraceEntry; calls: TraceEntry[] } {
  const segment = entries.find((e) => e.kind === "segment" && e.name === name);
  if (!segment) return { calls: [] };
  return { segment, calls: entries.filter((e) => e.segmentId === segment.id && e.namespace === "aws") };
}

/** The entries as an indented outline, for failure messages. */
export function outline(entries: readonly TraceEntry[]): string {
  const depth = (e: TraceEntry): number => ancestorsOf(entries, e.id).length;
  return entries.map((e) => `${"  ".repeat(depth(e))}${e.name} ${e.operation ?? ""}`.trimEnd()).join("\n");
}

/** Every link the documents hold, in document order. */
export const linksOf = (documents: readonly TraceDocument[]): DocumentLink[] =>
  traceEntries(documents).flatMap((e) => e.links);

/** A trace's links both ways, as `/_dev/traces/{traceId}` names them. */
export interface BothWaysLink {
  readonly traceId: string;
  readonly direction: "in" | "out";
  readonly via: string;
}

/** Links in one order (direction, trace, hop), to compare two sets of them. */
export const sortLinks = (links: readonly BothWaysLink[]): BothWaysLink[] =>
  [...links].sort((a, b) =>
    `${a.direction} ${a.traceId} ${a.via}`.localeCompare(`${b.direction} ${b.traceId} ${b.via}`),
  );

/**
 * The links of trace `traceId` both ways, each (trace, direction, hop) once, read off X-Ray documents: `in` for the
 * links its own documents hold to other traces, `out` for the traces that link to it. The same set
 * `/_dev/traces/{traceId}` answers as `links`.
 *
 * @example
 * ```ts
 * linksBothWays(traceId, await xray.traceDocuments(traceId), await xray.linkedFrom(traceId));
 * // [{ traceId: "1-…", direction: "out", via: "kinesis" }]
 * ```
 */
export function linksBothWays(
  traceId: string,
  documents: readonly TraceDocument[],
  linked: readonly LinkedTrace[],
): BothWaysLink[] {
  const links = new Map<string, BothWaysLink>();
  const add = (link: BothWaysLink) => links.set(`${link.direction} ${link.traceId} ${link.via}`, link);
  for (const link of linksOf(documents))
    if (link.trace_id !== traceId)
      add({ traceId: link.trace_id, direction: "in", via: link.attributes["messaging.system"] });
  for (const trace of linked)
    for (const link of trace.links)
      add({ traceId: trace.traceId, direction: "out", via: link.attributes["messaging.system"] });
  return sortLinks([...links.values()]);
}

/**
 * The links of `traceId` as `/_dev/traces/{traceId}` on the runtime at `devUrl` answers them and as the X-Ray
 * documents hold them (`linksBothWays`), read again until they agree or `timeoutMs` passes (a consumer's trace may
 * arrive between two reads): the caller asserts they are equal.
 *
 * @example
 * ```ts
 * const { dev, documents } = await linksSeenBothWays(xray, dev.url, traceId);
 * expect(dev).toEqual(documents);
 * ```
 */
export async function linksSeenBothWays(
  xray: XrayReader,
  devUrl: string,
  traceId: string,
  timeoutMs = 10_000,
): Promise<{ dev: BothWaysLink[]; documents: BothWaysLink[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${devUrl}/_dev/traces/${traceId}`);
    const timeline = response.ok ? ((await response.json()) as { links?: BothWaysLink[] }) : {};
    if (!response.ok) await response.arrayBuffer().catch(() => undefined);
    const dev = sortLinks(timeline.links ?? []);
    const documents = linksBothWays(traceId, await xray.traceDocuments(traceId), await xray.linkedFrom(traceId));
    if (JSON.stringify(dev) === JSON.stringify(documents) || Date.now() > deadline) return { dev, documents };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
