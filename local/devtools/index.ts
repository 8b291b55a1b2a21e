import type { IncomingMessage, ServerResponse } from "node:http";
import { PROBLEM_CONTENT_TYPE, PROBLEM_KINDS, type ProblemKind } from "../../shared/http/problem.js";
import { type DevQueuesOptions, queueDepths, redriveQueue } from "../../shared/ops/queues.js";
import type { Topology } from "../../shared/topology/index.js";
import type { XrayCollector } from "../emulators/xrayCollector.js";
import type { MetricsStore } from "../runtime/metricsStore.js";
import { DAGRE_ASSET_PATH, dagreScript } from "./dagreAsset.js";
import { DOCS_ASSETS_PATH } from "./docsPage.js";
import { docsSite } from "./docsSite.js";
import { buildServiceMap } from "./serviceMap.js";
import { serviceMapPage } from "./serviceMapPage.js";
import { type InvocationLog, listTraces, traceTimeline } from "./traces.js";

export type { DevQueuesOptions, QueueDepth, RedriveResult } from "../../shared/ops/queues.js";
export { queueDepths, redriveQueue } from "../../shared/ops/queues.js";
export type { AsyncApiDocument } from "./asyncapi.js";
export { asyncApiDocument } from "./asyncapi.js";
export type { OpenApiDocument } from "./openapi.js";
export { openApiDocument } from "./openapi.js";
export type { MapEdge, MapNode, ServiceMap } from "./serviceMap.js";
export { buildServiceMap } from "./serviceMap.js";
export type {
  InvocationLog,
  TimelineEntry,
  TimelineLog,
  TraceLink,
  TraceSummary,
  TraceTimeline,
} from "./traces.js";
export { listTraces, traceLinks, traceTimeline } from "./traces.js";

export interface DevRoutesOptions {
  readonly collector: Pick<XrayCollector, "segments">;
  readonly topology: Topology;
  /**
   * What `/_dev/resources` shows: the SDK variables that reach the emulators and every provisioned resource by its
   * topology name (names, ARNs, URLs), so a script or a test can reach the very queues, streams and buses.
   */
  readonly local?: {
    readonly env: Readonly<Record<string, string>>;
    readonly resources: Readonly<Record<string, unknown>>;
  };
  /**
   * What `/_dev/queues` reads and `/_dev/queues/{name}/redrive` moves: the provisioned queues, an SQS client on the
   * local emulator and the runtime's invoke. Omitted: those routes answer 404.
   */
  readonly queues?: Omit<DevQueuesOptions, "topology">;
  /** What `/_dev/metrics` reports: the functions' EMF lines, aggregated. Omitted: that route answers 404. */
  readonly metrics?: Pick<MetricsStore, "report">;
  /** The function log lines by trace, shown beside the segments of `/_dev/traces/{traceId}`. Omitted: no logs. */
  readonly logs?: { forTrace(traceId: string): readonly InvocationLog[] };
}

export type DevRoutes = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const JSON_TYPE = "application/json; charset=utf-8";
const HTML_TYPE = "text/html; charset=utf-8";
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const json = (body: unknown): Answer => ({ status: 200, type: JSON_TYPE, body: JSON.stringify(body) });
const html = (body: string): Answer => ({ status: 200, type: HTML_TYPE, body });

function problem(kind: ProblemKind, detail: string, headers?: Record<string, string>): Answer {
  const { status, title, type } = PROBLEM_KINDS[kind];
  return {
    status,
    type: PROBLEM_CONTENT_TYPE,
    body: JSON.stringify({ type, title, status, detail }),
    ...(headers ? { headers } : {}),
  };
}

/** `?limit=1..100`, default 20, as the contract's pagination; anything else is the client's mistake. */
function parseLimit(raw: string | null): number | undefined {
  if (raw === null) return DEFAULT_LIMIT;
  if (!/^\d{1,3}$/.test(raw)) return undefined;
  const limit = Number(raw);
  return limit >= 1 && limit <= MAX_LIMIT ? limit : undefined;
}

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The local operator endpoints (`/_dev/*`, `/docs*`) as one request handler the gateway mounts in front of the
 * services. Resolves `true` when it answered, `false` for any other path (the gateway goes on routing).
 *
 * @example
 * ```ts
 * const dev = devRoutes({ collector: emulators.xray, topology });
 * createServer(async (req, res) => { if (!(await dev(req, res))) routeToServices(req, res); });
 * ```
 */
export function devRoutes({ collector, topology, local, queues, metrics, logs }: DevRoutesOptions): DevRoutes {
  const docs = docsSite(topology, local?.env);

  const queueOptions = queues ? { ...queues, topology } : undefined;
  const noQueues = () => problem("not-found", "this runtime reaches no queues");

  /** The paths this module owns, each with its answer (computed only for a GET or HEAD). */
  const routes: [
    (path: string) => boolean,
    (path: string, query: URLSearchParams, req: IncomingMessage) => Answer | Promise<Answer>,
  ][] = [
    [(p) => p === "/_dev/service-map", () => json(buildServiceMap(collector.segments()))],
    [(p) => p === "/_dev/service-map.html" || p === "/_dev/", () => html(serviceMapPage())],
    [
      (p) => p === DAGRE_ASSET_PATH,
      () => ({ status: 200, type: "text/javascript; charset=utf-8", body: dagreScript() }),
    ],
    [
      (p) => p === "/_dev/traces",
      (_, query) => {
        const limit = parseLimit(query.get("limit"));
        if (limit === undefined) return problem("bad-request", `limit must be an integer from 1 to ${MAX_LIMIT}`);
        return json(listTraces(collector.segments(), limit));
      },
    ],
    [
      (p) => /^\/_dev\/traces\/[^/]+$/.test(p),
      (p) => {
        const traceId = decoded(p.slice("/_dev/traces/".length));
        // Every trace is read: the traces that link to this one are found in theirs.
        const timeline = traceId ? traceTimeline(collector.segments(), traceId, logs?.forTrace(traceId)) : undefined;
        return timeline ? json(timeline) : problem("not-found", "the collector holds no trace with this id");
      },
    ],
    [
      (p) => p === "/_dev/resources",
      () => (local ? json(local) : problem("not-found", "this runtime publishes no resources")),
    ],
    [
      (p) => p === "/_dev/queues",
      async () => (queueOptions ? json({ items: await queueDepths(queueOptions) }) : noQueues()),
    ],
    [
      (p) => p === "/_dev/metrics",
      () => (metrics ? json(metrics.report()) : problem("not-found", "this runtime reads no metrics")),
    ],
    [(p) => p === "/docs" || p === "/docs/", () => html(docs.page())],
    [(p) => p === "/docs/asyncapi.json", () => json(docs.asyncApi())],
    [(p) => p === "/docs/asyncapi.html", () => html(docs.asyncApiPage())],
    [
      (p) => p.startsWith(DOCS_ASSETS_PATH) && !p.slice(DOCS_ASSETS_PATH.length).includes("/"),
      async (p) => {
        const asset = await docs.asset(decoded(p.slice(DOCS_ASSETS_PATH.length)) ?? "");
        return asset
          ? { status: 200, ...asset, headers: { "cache-control": "public, max-age=3600" } }
          : problem("not-found", "the docs serve no such file");
      },
    ],
    [
      (p) => /^\/docs\/[^/]+\.json$/.test(p),
      (p, _, req) => {
        const doc = docs.openApi(decoded(p.slice("/docs/".length, -".json".length)) ?? "", req);
        return doc ? json(doc) : problem("not-found", "no service has this name");
      },
    ],
  ];

  /** The one operator action: `POST /_dev/queues/{name}/redrive`. */
  const redrive = async (path: string): Promise<Answer> => {
    if (!queueOptions) return noQueues();
    const name = decoded(path.slice("/_dev/queues/".length, -"/redrive".length));
    if (!name) return problem("not-found", "the topology has no such queue");
    const result = await redriveQueue(queueOptions, name);
    return result.ok ? json({ moved: result.moved }) : problem(result.kind, result.detail);
  };
  const isRedrive = (p: string) => /^\/_dev\/queues\/[^/]+\/redrive$/.test(p);

  /** An emulator that fails the request is the server's fault, said as a problem rather than a dropped socket. */
  const answer = async (compute: () => Answer | Promise<Answer>): Promise<Answer> => {
    try {
      return await compute();
    } catch (error) {
      return problem(
        "internal",
        `the local emulator failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };

  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    let reply: Answer;
    if (isRedrive(url.pathname)) {
      reply =
        method === "POST"
          ? await answer(() => redrive(url.pathname))
          : problem("method-not-allowed", "a redrive is a POST", { allow: "POST" });
    } else {
      const route = routes.find(([owns]) => owns(url.pathname));
      if (!route) return false;
      reply =
        method === "GET" || method === "HEAD"
          ? await answer(() => route[1](url.pathname, url.searchParams, req))
          : problem("method-not-allowed", "the operator endpoints are read-only", { allow: "GET, HEAD" });
    }
    res.writeHead(reply.status, {
      "content-type": reply.type,
      "content-length": Buffer.byteLength(reply.body),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...reply.headers,
    });
    res.end(method === "HEAD" ? undefined : reply.body);
    return true;
  };
}
