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

  return {
    client,
    traceDocuments,
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
    async summaries(filter, range, options = {}) {
      const end = "end" in range ? range.end : new Date();
      const start = "start" in range ? range.start : new Date(end.getTime() - range.sinceMs);
      const summaries: TraceSummary[] = [];
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
        summaries.push(...(page.TraceSummaries ?? []));
        processed += page.TracesProcessedCount ?? 0;
        NextToken = page.NextToken;
      } while (NextToken);
      return { summaries, processed };
    },
  };
}
