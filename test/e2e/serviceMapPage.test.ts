import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { devRoutes, type ServiceMap, type TraceTimeline } from "../../local/devtools/index.js";
import type { InvocationLog } from "../../local/devtools/traces.js";
import type { XraySegment } from "../../local/emulators/xrayCollector.js";
import { buildTopology } from "../../shared/topology/index.js";
import {
  FAULT_SEGMENT_ID,
  LONG_FUNCTION,
  MARKUP_NAME,
  mapLogs,
  mapSegments,
  STATS_SEGMENT_ID,
  TRACE_POST,
  TRACE_PRODUCT,
  TRACE_PRODUCT_MISSING,
  TRACE_SIGNUP,
  TRACE_STATS_BATCH,
  TRACE_UPLOAD,
} from "../fixtures/mapSegments.js";
import { orderSegments, TRACE_A } from "../fixtures/segments.js";
import { fixtureServices } from "../fixtures/services/index.js";
import { guardedPage, launchChromium, type PageProblems } from "../support/browser.js";
import { type DrawnMap, hiddenParts, READ_DRAWN_MAP } from "../support/mapGeometry.js";

type Edge = ServiceMap["edges"][number] & { linked?: boolean };
type Entry = TraceTimeline["entries"][number] & { cause?: unknown };
type Timeline = Omit<TraceTimeline, "entries"> & {
  entries: Entry[];
  links?: { traceId: string; direction: "out" | "in"; via: string }[];
  logs?: { time: string; offsetMs: number; segmentId: string; function: string; level?: string; message: string }[];
};

/** What the collector holds; a test may swap it for another run. */
let held: readonly XraySegment[] = mapSegments;
const collector = {
  segments: (traceId?: string): XraySegment[] => held.filter((s) => traceId === undefined || s.trace_id === traceId),
};

/** The fixture's log lines, as the runtime's log store hands them to `devRoutes` (epoch ms from the trace's start). */
const logs = {
  forTrace(traceId: string): InvocationLog[] {
    const starts = held.filter((s) => s.trace_id === traceId).map((s) => Number(s.start_time ?? 0) * 1000);
    const start = Math.min(...starts);
    return mapLogs
      .filter((l) => l.traceId === traceId && starts.length > 0)
      .map((l) => ({
        at: start + l.atMs,
        traceId,
        segmentId: l.segmentId,
        function: l.function,
        level: l.level,
        message: l.message,
        ...(l.fields ? { fields: l.fields } : {}),
      }));
  },
};

/** A map to serve instead of the collector's, for layouts no small run makes. */
let mapInstead: ServiceMap | undefined;

/**
 * A dense map: `count` nodes of every type in a few layers, names from 3 to 70 characters, calls forward across one
 * or more layers, a few calls back (cycles), and varied counts, errors, faults and trace links. Seeded, so the
 * same map every run.
 */
function denseMap(count: number, seed: number): ServiceMap {
  let state = seed;
  const random = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const types = ["AWS::Lambda::Function", "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SNS::Topic", "remote"];
  const more = ["AWS::Events::EventBus", "AWS::Kinesis::Stream", "AWS::S3::Bucket", "AWS::ApiGateway::Stage"];
  const nodes = [{ id: "client", name: "Client", type: "client" }];
  for (let i = 1; i < count; i++) {
    const type = pick([...types, ...more]);
    const name = `n${i}${"abcdefghij".repeat(7).slice(0, Math.floor(random() * 68))}`;
    nodes.push({ id: `${type}/${name}`, name, type });
  }
  const layer = (i: number) => (i === 0 ? 0 : 1 + (i % 6));
  const edges = new Map<string, ServiceMap["edges"][number] & { linked?: boolean }>();
  const add = (a: number, b: number) => {
    const source = nodes[a]!.id;
    const target = nodes[b]!.id;
    const requests = 1 + Math.floor(random() * 500);
    const errors = random() < 0.3 ? Math.floor(random() * requests * 0.2) : 0;
    const faults = random() < 0.2 ? Math.floor(random() * requests * 0.1) : 0;
    const p50Ms = Math.round(random() * 2_000 * 10) / 10;
    edges.set(`${source} ${target}`, {
      source,
      target,
      requests,
      errors,
      faults,
      p50Ms,
      p99Ms: p50Ms * 3,
      ...(random() < 0.1 ? { linked: true } : {}),
    });
  };
  for (let b = 1; b < count; b++) {
    const before = nodes.map((_, i) => i).filter((i) => layer(i) < layer(b));
    add(pick(before), b);
    if (random() < 0.6) add(pick(before), b);
  }
  for (let k = 0; k < 3; k++) {
    const a = 1 + Math.floor(random() * (count - 1));
    const b = 1 + Math.floor(random() * (count - 1));
    if (layer(a) > layer(b)) add(a, b);
    if (layer(b) > layer(a)) add(b, a);
    if (layer(a) !== layer(b)) add(layer(a) < layer(b) ? b : a, layer(a) < layer(b) ? a : b);
  }
  return { nodes, edges: [...edges.values()].filter((e) => e.source !== e.target) };
}

let routes: Server;
let front: Server;
let origin: string;
let browser: Browser;

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const close = (server: Server | undefined) =>
  new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));

beforeAll(async () => {
  const dev = devRoutes({ collector, topology: buildTopology(fixtureServices), logs });
  routes = createServer(async (req, res) => {
    if (await dev(req, res)) return;
    res.writeHead(404);
    res.end();
  });
  const inner = await listen(routes);
  front = createServer(async (req, res) => {
    const path = req.url ?? "/";
    const answer = await fetch(`${inner}${path}`);
    const type = answer.headers.get("content-type") ?? "text/plain";
    let body = await answer.text();
    if (mapInstead && path === "/_dev/service-map") body = JSON.stringify(mapInstead);
    res.writeHead(answer.status, { "content-type": type });
    res.end(body);
  });
  origin = await listen(front);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await close(front);
  await close(routes);
});

const getJson = async <T>(path: string): Promise<T> => (await (await fetch(`${origin}${path}`)).json()) as T;

/** The page, loaded and drawn, with what it did wrong collected. */
async function openMap(): Promise<{ page: Page; problems: PageProblems }> {
  const opened = await guardedPage(browser);
  await opened.page.goto(`${origin}/_dev/service-map.html`, { waitUntil: "load" });
  await opened.page.evaluate("window.summitMap.ready");
  return opened;
}

const drawn = async (page: Page): Promise<DrawnMap> => (await page.evaluate(READ_DRAWN_MAP)) as DrawnMap;
const clean: PageProblems = { pageErrors: [], consoleErrors: [], offHost: [] };

/** From the map's edges: the nodes one hop from `id`, and those on a path through it (callers up, callees down). */
function around(map: ServiceMap, id: string): { neighbours: string[]; path: string[] } {
  const neighbours = new Set([id]);
  for (const e of map.edges) if (e.source === id || e.target === id) neighbours.add(e.source).add(e.target);
  const closure = (forward: boolean): Set<string> => {
    const seen = new Set([id]);
    for (let size = 0; size !== seen.size; ) {
      size = seen.size;
      for (const e of map.edges) if (seen.has(forward ? e.source : e.target)) seen.add(forward ? e.target : e.source);
    }
    return seen;
  };
  return { neighbours: [...neighbours].sort(), path: [...new Set([...closure(false), ...closure(true)])].sort() };
}

/** In-page condition: the trace list shows exactly these traces, in this order. */
const listedIs = (traces: readonly string[]): string =>
  `[...document.querySelectorAll("#traces tr[data-trace]")].map((r) => r.getAttribute("data-trace")).join() === ${JSON.stringify(traces.join())}`;

const ids = (map: DrawnMap) => map.nodes.map((n) => n.id).sort();
const nodeId = (map: ServiceMap, name: string) => map.nodes.find((n) => n.name === name)?.id ?? `no node ${name}`;

describe("the service map page in Chromium", () => {
  test("draws every node with its name and type, every edge with its numbers, nothing hidden", async () => {
    const map = await getJson<ServiceMap>("/_dev/service-map");
    const types = new Set(map.nodes.map((n) => n.type));
    for (const type of [
      "client",
      "remote",
      "AWS::ApiGateway::Stage",
      "AWS::Lambda::Function",
      "AWS::DynamoDB::Table",
    ]) {
      expect(types).toContain(type);
    }
    for (const type of ["AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::Events::EventBus", "AWS::Kinesis::Stream"]) {
      expect(types).toContain(type);
    }
    expect(types).toContain("AWS::S3::Bucket");
    expect(map.nodes.filter((n) => n.type === "AWS::Lambda::Function").length).toBeGreaterThanOrEqual(10);

    const { page, problems } = await openMap();
    const picture = await drawn(page);
    expect(ids(picture)).toEqual(map.nodes.map((n) => n.id).sort());
    for (const node of map.nodes) {
      const shown = picture.nodes.find((n) => n.id === node.id)!;
      expect(shown.type).toBe(node.type);
      expect(shown.label).toBe(`${node.name} (${node.type})`);
      if (node.name.length <= 48) expect(shown.name).toBe(node.name);
      else expect(shown.name).toBe(`${node.name.slice(0, 47)}…`);
    }
    expect(map.nodes.some((n) => n.name === LONG_FUNCTION)).toBe(true);
    expect(map.nodes.some((n) => n.name === MARKUP_NAME)).toBe(true);
    expect(await page.$$("#map b, select b")).toHaveLength(0);
    expect(await page.$$eval("#service option", (options) => options.map((o) => o.textContent))).toContain(
      `${MARKUP_NAME} (remote)`,
    );

    expect(picture.edges).toHaveLength(map.edges.length);
    expect(picture.labels).toHaveLength(map.edges.length);
    for (const shown of picture.edges) {
      const edge = map.edges.find((e) => e.source === shown.source && e.target === shown.target) as Edge;
      expect(shown.dashed, `${edge.source} → ${edge.target}`).toBe(edge.linked === true);
      const lines = picture.labels.find((l) => l.edge === shown.edge)!.lines;
      expect(lines[0]).toMatch(new RegExp(`^${edge.requests} req`));
      if (edge.faults) expect(lines[0]).toContain("fault");
      if (edge.errors) expect(lines[0]).toContain("err");
      expect(lines[1]).toMatch(/^p50 [\d.]+ m?s · p99 [\d.]+ m?s$/);
    }
    expect((map.edges as Edge[]).filter((e) => e.linked).length).toBeGreaterThan(0);
    expect(map.edges.some((e) => e.faults > 0) && map.edges.some((e) => e.errors > 0)).toBe(true);

    expect(hiddenParts(picture)).toEqual([]);
    // Left to right: every call goes from a node to one further right.
    const x = (id: string) => picture.nodes.find((n) => n.id === id)!.box.x;
    for (const e of map.edges) expect(x(e.source), `${e.source} → ${e.target}`).toBeLessThan(x(e.target));
    for (const node of picture.nodes) for (const text of node.texts) expect(text.w * text.h).toBeGreaterThan(0);

    // The reading is of the live drawing: a label moved onto a node is caught.
    const victim = picture.nodes.find((n) => n.type === "AWS::SNS::Topic")!.id;
    await page.evaluate(`(() => {
      const ring = document.querySelector('g.node[data-id="${victim}"] .ring-group');
      document.querySelector('g.edge-label[data-edge="0"]').setAttribute("transform", ring.getAttribute("transform"));
    })()`);
    expect(hiddenParts(await drawn(page))).toContain(`label 0 on node ${victim}`);
    await page.close();
    expect(problems).toEqual(clean);
  });

  test("the service filter keeps a node with its neighbours, or every path through it, and lays that out again", async () => {
    const map = await getJson<ServiceMap>("/_dev/service-map");
    const worker = nodeId(map, "MediaThumbnailWorker");
    const expected = around(map, worker);
    const { page, problems } = await openMap();
    const full = await drawn(page);

    await page.select("#service", worker);
    const near = await drawn(page);
    expect(ids(near)).toEqual(expected.neighbours);
    expect(near.edges.every((e) => e.source === worker || e.target === worker)).toBe(true);
    expect(near.size.width * near.size.height).toBeLessThan(full.size.width * full.size.height);
    expect(hiddenParts(near)).toEqual([]);
    expect(await page.$eval("#summary", (el) => el.textContent)).toContain(
      `${expected.neighbours.length} nodes · ${near.edges.length} edges (of ${map.nodes.length}`,
    );

    await page.select("#scope", "path");
    const part = await drawn(page);
    expect(ids(part)).toEqual(expected.path);
    expect(part.nodes.map((n) => n.name)).toEqual(
      expect.arrayContaining([
        "Client",
        "media-api/local",
        "MediaCreateUpload",
        "ProductsMediaProcessed",
        "ProductsTable",
      ]),
    );
    // The upload's own table is no path through the worker, nor is the stage's direct call to the bucket.
    expect(part.nodes.map((n) => n.name)).not.toContain("MediaTable");
    expect(part.edges.some((e) => e.source.endsWith("/MediaCreateUpload") && e.target.startsWith("AWS::S3"))).toBe(
      false,
    );
    expect(part.nodes.length).toBeGreaterThan(near.nodes.length);
    expect(part.nodes.length).toBeLessThan(map.nodes.length);
    expect(hiddenParts(part)).toEqual([]);

    await page.select("#service", "");
    expect(ids(await drawn(page))).toEqual(ids(full));
    await page.close();
    expect(problems).toEqual(clean);
  });

  test("a click on a node lists the traces through it; another click shows them all again", async () => {
    const map = await getJson<ServiceMap>("/_dev/service-map");
    const { page, problems } = await openMap();
    const listed = () => page.$$eval("#traces tr[data-trace]", (rows) => rows.map((r) => r.getAttribute("data-trace")));
    const all = await listed();
    expect(all).toHaveLength(6);
    const cases: [string, string[]][] = [
      ["ProductsTable", [TRACE_PRODUCT_MISSING, TRACE_PRODUCT, TRACE_UPLOAD, TRACE_SIGNUP]],
      ["SummitBus", [TRACE_SIGNUP]],
      [LONG_FUNCTION, [TRACE_STATS_BATCH]],
      ["cognito-local", [TRACE_SIGNUP]],
    ];
    for (const [name, traces] of cases) {
      const id = nodeId(map, name);
      await page.click(`g.node[data-id="${id}"]`);
      await page.waitForFunction(listedIs(traces), { timeout: 5_000 });
      expect(await page.$eval("#through", (el) => el.textContent)).toContain(`through ${name}`);
      expect(await page.$eval(`g.node[data-id="${id}"]`, (el) => el.getAttribute("class"))).toContain("selected");
    }
    const last = nodeId(map, "cognito-local");
    await page.click(`g.node[data-id="${last}"]`);
    await page.waitForFunction(listedIs(all.map(String)), { timeout: 5_000 });
    expect(await listed()).toEqual(all);
    await page.close();
    expect(problems).toEqual(clean);
  });

  test("a click on a trace opens its timeline: rows under their parents, colours, annotations, cause, logs", async () => {
    const timeline = await getJson<Timeline>(`/_dev/traces/${TRACE_UPLOAD}`);
    const { page, problems } = await openMap();
    await page.click(`#traces tr[data-trace="${TRACE_UPLOAD}"] a`);
    await page.waitForSelector(`#timeline[data-trace="${TRACE_UPLOAD}"]`, { timeout: 5_000 });
    const rows = await page.$$eval("#timeline .tl-row[data-entry]", (els) =>
      els.map((r) => ({
        id: r.getAttribute("data-entry"),
        depth: Number(r.getAttribute("data-depth")),
        kind: r.getAttribute("data-kind"),
        name: r.querySelector(".label")?.textContent,
        indent: Number.parseFloat(
          /padding-left:\s*([\d.]+)px/.exec(r.querySelector(".tl-name")?.getAttribute("style") ?? "")?.[1] ?? "0",
        ),
        chips: [...r.querySelectorAll(".chip")].map((c) => c.textContent),
      })),
    );
    expect(rows.map((r) => [r.id, r.depth, r.name])).toEqual(timeline.entries.map((e) => [e.id, e.depth, e.name]));
    timeline.entries.forEach((e, i) => {
      const row = rows[i]!;
      if (e.parentId !== undefined) {
        const parent = rows.findIndex((r) => r.id === e.parentId);
        expect(parent).toBeLessThan(i);
        expect(row.indent).toBeGreaterThan(rows[parent]!.indent);
      }
      expect(row.kind).toBe(e.fault ? "fault" : e.error ? "error" : row.kind);
      expect(row.chips).toEqual(Object.entries(e.annotations).map(([k, v]) => `${k}=${v}`));
    });
    expect(rows.filter((r) => r.kind === "fault").length).toBeGreaterThanOrEqual(2);
    expect(rows.some((r) => r.kind === "error")).toBe(true);

    const cause = await page.$eval(`#timeline .tl-cause[data-entry="${FAULT_SEGMENT_ID}"]`, (el) => el.textContent);
    expect(cause).toContain("InternalServerError: DynamoDB answered 500");
    expect(cause).toContain("at updateImage (services/products/consumers/mediaProcessed.ts:41)");
    const logs = await page.$eval(`#timeline .tl-logs[data-entry="${FAULT_SEGMENT_ID}"]`, (el) => el.textContent);
    expect(logs).toContain("could not record the thumbnail <img src=x onerror=alert(1)>");
    expect(logs).toContain('{"mediaId":"m-1"}');
    // Log lines sit right under their segment's row (after its cause), and markup in them stays text.
    const after = await page.$eval(`#timeline .tl-row[data-entry="${FAULT_SEGMENT_ID}"]`, (el) => [
      el.nextElementSibling?.className,
      el.nextElementSibling?.nextElementSibling?.className,
    ]);
    expect(after).toEqual(["tl-cause", "tl-logs"]);
    expect(await page.$$("#timeline img")).toHaveLength(0);
    expect(await page.$eval("#traces tr.selected", (el) => el.getAttribute("data-trace"))).toBe(TRACE_UPLOAD);
    await page.close();
    expect(problems).toEqual(clean);
  });

  test("a trace link in the timeline opens the linked trace, which links back", async () => {
    const { page, problems } = await openMap();
    await page.click(`#traces tr[data-trace="${TRACE_POST}"] a`);
    await page.waitForSelector(`#timeline[data-trace="${TRACE_POST}"]`, { timeout: 5_000 });
    const out = await page.$$eval("#timeline a.trace-link", (links) =>
      links.map((a) => [a.getAttribute("data-direction"), a.getAttribute("data-trace"), a.textContent]),
    );
    expect(out).toEqual([["out", TRACE_STATS_BATCH, `continued by →${TRACE_STATS_BATCH}via Kinesis`]]);

    await page.click(`#timeline a.trace-link[data-trace="${TRACE_STATS_BATCH}"]`);
    await page.waitForSelector(`#timeline[data-trace="${TRACE_STATS_BATCH}"]`, { timeout: 5_000 });
    expect(await page.$$eval("#timeline .tl-row[data-entry]", (rows) => rows[0]?.getAttribute("data-entry"))).toBe(
      STATS_SEGMENT_ID,
    );
    expect(await page.$eval(`#timeline .tl-logs[data-entry="${STATS_SEGMENT_ID}"]`, (el) => el.textContent)).toContain(
      "counted 1 post",
    );
    const back = await page.$$eval("#timeline a.trace-link", (links) =>
      links.map((a) => [a.getAttribute("data-direction"), a.getAttribute("data-trace")]),
    );
    expect(back).toEqual([["in", TRACE_POST]]);
    await page.click(`#timeline a.trace-link[data-trace="${TRACE_POST}"]`);
    await page.waitForSelector(`#timeline[data-trace="${TRACE_POST}"]`, { timeout: 5_000 });

    await page.click("#timeline a.close");
    await page.waitForSelector("#timeline[hidden]", { timeout: 5_000 });
    await page.close();
    expect(problems).toEqual(clean);
  });

  test.each([
    [40, 7],
    [60, 11],
  ])("a dense map of %i nodes (seed %i), cycles included, hides nothing", async (count, seed) => {
    try {
      mapInstead = denseMap(count, seed);
      const { page, problems } = await openMap();
      const picture = await drawn(page);
      expect(picture.nodes).toHaveLength(count);
      expect(picture.edges).toHaveLength(mapInstead.edges.length);
      expect(hiddenParts(picture)).toEqual([]);
      await page.close();
      expect(problems).toEqual(clean);
    } finally {
      mapInstead = undefined;
    }
  });

  test("another run draws cleanly too, with or without the trace-link fields; an empty collector says how to fill the map", async () => {
    try {
      held = orderSegments;
      const bare = await getJson<Timeline>(`/_dev/traces/${TRACE_A}`);
      const plain = await openMap();
      await plain.page.click(`#traces tr[data-trace="${TRACE_A}"] a`);
      await plain.page.waitForSelector(`#timeline[data-trace="${TRACE_A}"]`, { timeout: 5_000 });
      const rows = await plain.page.$$eval("#timeline .tl-row[data-entry]", (els) =>
        els.map((r) => r.getAttribute("data-entry")),
      );
      expect(rows).toEqual(bare.entries.map((e) => e.id));
      expect(await plain.page.$$("#timeline .trace-link, #timeline .tl-logs, #timeline .tl-cause")).toHaveLength(0);
      expect((await drawn(plain.page)).edges.some((e) => e.dashed)).toBe(false);
      await plain.page.close();
      expect(plain.problems).toEqual(clean);

      const map = await getJson<ServiceMap>("/_dev/service-map");
      const { page, problems } = await openMap();
      const picture = await drawn(page);
      expect(ids(picture)).toEqual(map.nodes.map((n) => n.id).sort());
      expect(hiddenParts(picture)).toEqual([]);
      await page.close();
      expect(problems).toEqual(clean);

      held = [];
      const empty = await openMap();
      expect(await empty.page.$eval("#map", (el) => el.textContent)).toContain("No segments yet");
      expect(await empty.page.$eval("#traces", (el) => el.textContent)).toContain("No traces yet.");
      await empty.page.close();
      expect(empty.problems).toEqual(clean);
    } finally {
      held = mapSegments;
    }
  });

  test("a trace in the address opens with the page; an unknown one says so; so does a failed layout library", async () => {
    const linked = await guardedPage(browser);
    await linked.page.goto(`${origin}/_dev/service-map.html#trace=${TRACE_SIGNUP}`);
    await linked.page.waitForSelector(`#timeline[data-trace="${TRACE_SIGNUP}"]`, { timeout: 5_000 });
    expect(await linked.page.$eval("#traces tr.selected", (el) => el.getAttribute("data-trace"))).toBe(TRACE_SIGNUP);
    await linked.page.close();
    expect(linked.problems).toEqual(clean);

    const { page, problems } = await openMap();
    await page.goto(`${origin}/_dev/service-map.html#trace=1-00000000-000000000000000000000000`);
    await page.waitForFunction(`document.querySelector("#timeline .empty")?.textContent.includes("404")`, {
      timeout: 5_000,
    });
    await page.close();
    expect(problems.pageErrors).toEqual([]);
    expect(problems.offHost).toEqual([]);
    // The browser reports the 404 of the unknown trace itself; nothing else.
    expect(problems.consoleErrors.every((m) => m.includes("404"))).toBe(true);

    const offline = await guardedPage(browser, { fail: (url) => url.endsWith("/_dev/assets/dagre.js") });
    await offline.page.goto(`${origin}/_dev/service-map.html`);
    await offline.page.evaluate("window.summitMap.ready");
    expect(await offline.page.$eval("#map", (el) => el.textContent)).toContain("The layout library did not load");
    expect(await offline.page.$$("#traces tr[data-trace]")).toHaveLength(6);
    await offline.page.close();
    expect(offline.problems.pageErrors).toEqual([]);
  });
});
