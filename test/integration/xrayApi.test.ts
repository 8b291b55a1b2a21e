import { createSocket } from "node:dgram";
import {
  BatchGetTracesCommand,
  GetServiceGraphCommand,
  GetTraceSummariesCommand,
  type GetTraceSummariesCommandInput,
  PutTraceSegmentsCommand,
  type Service,
  XRayClient,
} from "@aws-sdk/client-xray";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildServiceMap } from "../../local/devtools/serviceMap.js";
import {
  startXrayApi,
  startXrayCollector,
  type XrayApi,
  type XrayCollector,
  type XraySegment,
} from "../../local/emulators/index.js";
import { orderSegments, TRACE_A, TRACE_B, TRACE_C, TRACE_D } from "../fixtures/segments.js";
import { useEmulators } from "../support/emulators.js";
import { xrayReader } from "../support/xray.js";

const emulators = useEmulators();

/** Trace E: a throttled request of a signed-in user, its two remote calls sent as one array of subsegments. */
const TRACE_E = "1-65f00028-eeeeeeeeeeeeeeeeeeeeeeee";
const BASE_E = 1_710_000_040;
const stageE: XraySegment = {
  trace_id: TRACE_E,
  id: "e000000000000001",
  name: "users-api/local",
  origin: "AWS::ApiGateway::Stage",
  start_time: BASE_E,
  end_time: BASE_E + 0.05,
  user: "ann",
  throttle: true,
  error: true,
  http: {
    request: { method: "GET", url: "http://127.0.0.1:4000/users/me", user_agent: "curl/8.5", client_ip: "10.0.0.7" },
    response: { status: 429 },
  },
  annotations: { attempts: 3, plan: "free" },
};
const remoteCalls = [1, 2].map((n) => ({
  trace_id: TRACE_E,
  type: "subsegment",
  parent_id: stageE.id,
  id: `e00000000000001${n}`,
  name: "api.example.com",
  namespace: "remote",
  start_time: BASE_E + n / 100,
  end_time: BASE_E + n / 100 + 0.005,
  http: { request: { method: "GET", url: "https://api.example.com/" }, response: { status: 200 } },
}));
const everything: XraySegment[] = [...orderSegments, stageE, ...remoteCalls];

const FROM = new Date(1_710_000_000_000);
const TO = new Date(1_710_000_041_000);
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

function sendUdp(address: string, segments: readonly object[]): Promise<void> {
  const [host, port] = address.split(":");
  const socket = createSocket("udp4");
  return new Promise((resolve, reject) => {
    let pending = segments.length;
    for (const segment of segments) {
      const datagram = Buffer.from(`{"format":"json","version":1}\n${JSON.stringify(segment)}`);
      socket.send(datagram, Number(port), host, (error) => {
        if (error) reject(error);
        if (--pending === 0) socket.close(() => resolve());
      });
    }
  });
}

let collector: XrayCollector;
let api: XrayApi;
let xray: XRayClient;

beforeAll(async () => {
  // A collector and API of its own, so the traces in range are exactly the fixture's.
  collector = await startXrayCollector();
  api = await startXrayApi(collector, { pageSize: 2 });
  xray = new XRayClient({ endpoint: api.endpoint, region: "us-east-1", credentials });
  // Trace A arrives as the SDKs send it (UDP), every other one through PutTraceSegments.
  const viaUdp = orderSegments.filter((s) => s.trace_id === TRACE_A);
  await sendUdp(collector.address, viaUdp);
  const rest = orderSegments.filter((s) => s.trace_id !== TRACE_A).map((s) => JSON.stringify(s));
  const put = await xray.send(
    new PutTraceSegmentsCommand({
      TraceSegmentDocuments: [...rest, JSON.stringify(stageE), JSON.stringify(remoteCalls)],
    }),
  );
  expect(put.UnprocessedTraceSegments).toEqual([]);
  const deadline = Date.now() + 5_000;
  while (collector.segments(TRACE_A).length < viaUdp.length - 1 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // The stage is sent twice (in progress, then complete), so the collector keeps one document fewer.
  expect(collector.segments(TRACE_A)).toHaveLength(viaUdp.length - 1);
});

afterAll(async () => {
  xray?.destroy();
  await api?.stop();
  await collector?.stop();
});

async function allSummaries(input: Partial<GetTraceSummariesCommandInput> = {}) {
  const pages = [];
  let NextToken: string | undefined;
  do {
    const page = await xray.send(
      new GetTraceSummariesCommand({ StartTime: FROM, EndTime: TO, ...input, ...(NextToken ? { NextToken } : {}) }),
    );
    pages.push(page);
    NextToken = page.NextToken;
  } while (NextToken);
  return pages;
}

const idsOf = async (input: Partial<GetTraceSummariesCommandInput>) =>
  (await allSummaries(input)).flatMap((page) => page.TraceSummaries ?? []).map((s) => s.Id);

describe("PutTraceSegments", () => {
  test("keeps segments, in-progress segments, independent subsegments and arrays of subsegments as UDP does", () => {
    expect(collector.segments(TRACE_E).map((s) => s.id)).toEqual([
      "e000000000000001",
      "e000000000000011",
      "e000000000000012",
    ]);
    expect(collector.segments(TRACE_D)).toEqual([expect.objectContaining({ in_progress: true })]);
  });

  test("bad documents come back in UnprocessedTraceSegments with a code, the good ones are kept", async () => {
    const good = { trace_id: "1-65f00100-000000000000000000000001", id: "f000000000000001", name: "ok", start_time: 1 };
    const result = await xray.send(
      new PutTraceSegmentsCommand({
        TraceSegmentDocuments: [
          "{not json",
          JSON.stringify({ trace_id: good.trace_id, name: "no id" }),
          JSON.stringify({ id: "f000000000000002", name: "no trace" }),
          JSON.stringify([]),
          JSON.stringify(42),
          JSON.stringify(good),
        ],
      }),
    );
    expect(result.UnprocessedTraceSegments).toEqual([
      { ErrorCode: "InvalidDocument", Message: "Invalid segment. ErrorCode: InvalidDocument" },
      { ErrorCode: "MissingId", Message: "Invalid segment. ErrorCode: MissingId" },
      { Id: "f000000000000002", ErrorCode: "MissingTraceId", Message: "Invalid segment. ErrorCode: MissingTraceId" },
      { ErrorCode: "MissingId", Message: "Invalid segment. ErrorCode: MissingId" },
      { ErrorCode: "InvalidDocument", Message: "Invalid segment. ErrorCode: InvalidDocument" },
    ]);
    expect(collector.segments(good.trace_id)).toEqual([good]);
  });

  test("more than 50 documents, or none given, is an InvalidRequestException", async () => {
    const many = Array.from({ length: 51 }, (_, i) => JSON.stringify({ trace_id: "1-x", id: `${i}` }));
    await expect(xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: many }))).rejects.toMatchObject({
      name: "InvalidRequestException",
      message: "Exceeding maximum segment count: 50.",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      xray.send(new PutTraceSegmentsCommand({} as { TraceSegmentDocuments: string[] })),
    ).rejects.toMatchObject({ name: "InvalidRequestException", message: "TraceSegmentDocuments is required." });
  });
});

describe("GetTraceSummaries", () => {
  test("a summary carries AWS's fields, read from the root segment and the whole trace", async () => {
    const [page] = await allSummaries();
    const summaries = page?.TraceSummaries ?? [];
    expect(summaries.map((s) => s.Id)).toEqual([TRACE_E, TRACE_D]); // newest first, a page of 2
    const all = (await allSummaries()).flatMap((p) => p.TraceSummaries ?? []);
    const a = all.find((s) => s.Id === TRACE_A);
    const stage = { Name: "shop-api/local", Names: ["shop-api/local"], Type: "AWS::ApiGateway::Stage" };
    const placeOrder = { Name: "ShopPlaceOrder", Names: ["ShopPlaceOrder"], Type: "AWS::Lambda::Function" };
    expect(a).toEqual({
      Id: TRACE_A,
      StartTime: new Date(1_710_000_000_000),
      Duration: 0.12,
      ResponseTime: 0.12,
      HasFault: false,
      HasError: false,
      HasThrottle: false,
      IsPartial: false,
      Http: { HttpURL: "http://127.0.0.1:4000/shop/orders", HttpStatus: 201, HttpMethod: "POST" },
      Annotations: {
        "aws:api_stage": [{ AnnotationValue: { StringValue: "local" }, ServiceIds: [stage] }],
        ColdStart: [{ AnnotationValue: { BooleanValue: true }, ServiceIds: [placeOrder] }],
        Service: [{ AnnotationValue: { StringValue: "shop" }, ServiceIds: [placeOrder] }],
      },
      Users: [],
      ServiceIds: buildServiceMap(orderSegments.filter((s) => s.trace_id === TRACE_A))
        .nodes.filter((n) => n.type !== "client")
        .map((n) => ({ Name: n.name, Names: [n.name], Type: n.type })),
      ResourceARNs: [],
      EntryPoint: stage,
      Revision: 7,
    });
    expect(a?.ServiceIds?.map((s) => s.Name)).toEqual(
      expect.arrayContaining(["ShopTable", "EventBridge", "LedgerOrderPlaced", "LedgerTable", "ShopPlaceOrder"]),
    );

    const e = all.find((s) => s.Id === TRACE_E);
    expect(e).toMatchObject({
      HasError: true,
      HasFault: false,
      HasThrottle: true,
      ResponseTime: 0.05,
      Http: {
        HttpURL: "http://127.0.0.1:4000/users/me",
        HttpStatus: 429,
        HttpMethod: "GET",
        UserAgent: "curl/8.5",
        ClientIp: "10.0.0.7",
      },
      Annotations: {
        attempts: [{ AnnotationValue: { NumberValue: 3 } }],
        plan: [{ AnnotationValue: { StringValue: "free" } }],
      },
      Users: [{ UserName: "ann", ServiceIds: [{ Name: "users-api/local", Names: ["users-api/local"] }] }],
    });
    expect(all.find((s) => s.Id === TRACE_B)).toMatchObject({ HasError: true, HasFault: false, Duration: 0.08 });
    // The consumer's fault is downstream: the trace (its root) did not fault.
    expect(all.find((s) => s.Id === TRACE_C)).toMatchObject({ HasFault: false, HasError: false, Duration: 0.15 });
    const d = all.find((s) => s.Id === TRACE_D);
    expect(d).toMatchObject({ IsPartial: true, Duration: 0 });
    expect(d).not.toHaveProperty("ResponseTime");
  });

  test("pages newest first with NextToken, each page saying what it scanned", async () => {
    const pages = await allSummaries();
    expect(pages.map((p) => (p.TraceSummaries ?? []).map((s) => s.Id))).toEqual([
      [TRACE_E, TRACE_D],
      [TRACE_C, TRACE_B],
      [TRACE_A],
    ]);
    expect(pages.map((p) => p.TracesProcessedCount)).toEqual([2, 2, 1]);
    expect(pages.map((p) => p.ApproximateTime?.getTime())).toEqual([
      1_710_000_030_000,
      1_710_000_010_000,
      FROM.getTime(),
    ]);
    expect(pages.at(-1)?.NextToken).toBeUndefined();

    // A filter is applied while scanning: the page fills with matches, the count says how many were looked at.
    const ok = await allSummaries({ FilterExpression: "!partial" });
    expect(ok.map((p) => (p.TraceSummaries ?? []).map((s) => s.Id))).toEqual([
      [TRACE_E, TRACE_C],
      [TRACE_B, TRACE_A],
    ]);
    expect(ok.map((p) => p.TracesProcessedCount)).toEqual([3, 2]);
  });

  test("a NextToken works only for the query that returned it", async () => {
    const [first] = await allSummaries();
    const NextToken = first?.NextToken;
    expect(NextToken).toBeTypeOf("string");
    for (const other of [{ FilterExpression: "ok" }, { EndTime: new Date(TO.getTime() + 1000) }, {}]) {
      const token = Object.keys(other).length === 0 ? "garbage" : NextToken;
      await expect(
        xray.send(new GetTraceSummariesCommand({ StartTime: FROM, EndTime: TO, ...other, NextToken: token })),
      ).rejects.toMatchObject({
        name: "InvalidRequestException",
        message: "NextToken is not a token this query returned.",
      });
    }
  });

  test("the time range: by trace start (TraceId), by activity (Event), by a segment's end (Service)", async () => {
    const range = (from: number, to: number) => ({ StartTime: new Date(from * 1000), EndTime: new Date(to * 1000) });
    expect(await idsOf(range(1_710_000_005, 1_710_000_025))).toEqual([TRACE_C, TRACE_B]);
    expect(await idsOf({ ...range(1_710_000_005, 1_710_000_025), TimeRangeType: "TraceId" })).toEqual([
      TRACE_C,
      TRACE_B,
    ]);
    // [start, end): a trace starting at the end is out.
    expect(await idsOf(range(1_710_000_000, 1_710_000_010))).toEqual([TRACE_A]);
    // Trace A started before the range but was still running in it.
    expect(await idsOf(range(1_710_000_000.1, 1_710_000_000.2))).toEqual([]);
    expect(await idsOf({ ...range(1_710_000_000.1, 1_710_000_000.2), TimeRangeType: "Event" })).toEqual([TRACE_A]);
    // LedgerOrderPlaced's segment in trace C ends at +130 ms; the trace's other segments end later.
    expect(await idsOf({ ...range(1_710_000_020.125, 1_710_000_020.135), TimeRangeType: "Service" })).toEqual([
      TRACE_C,
    ]);
    expect(await idsOf(range(1_700_000_000, 1_700_000_600))).toEqual([]);
  });

  test("Sampling: a fixed rate keeps a stable share of the traces, a partial scan the newest part", async () => {
    const sampled = (Name: "FixedRate" | "PartialScan", Value: number) =>
      allSummaries({ Sampling: true, SamplingStrategy: { Name, Value } });
    const none = await sampled("FixedRate", 0);
    expect(none.flatMap((p) => p.TraceSummaries ?? [])).toEqual([]);
    expect(none[0]?.TracesProcessedCount).toBe(0);
    expect(await idsOf({ Sampling: true, SamplingStrategy: { Name: "FixedRate", Value: 1 } })).toHaveLength(5);
    const half = await idsOf({ Sampling: true, SamplingStrategy: { Name: "FixedRate", Value: 0.5 } });
    expect(await idsOf({ Sampling: true, SamplingStrategy: { Name: "FixedRate", Value: 0.5 } })).toEqual(half);
    expect(await idsOf({ Sampling: true, SamplingStrategy: { Name: "PartialScan", Value: 0.4 } })).toEqual([
      TRACE_E,
      TRACE_D,
    ]);
    expect(await idsOf({ Sampling: true })).toHaveLength(5);
    await expect(
      xray.send(
        new GetTraceSummariesCommand({
          StartTime: FROM,
          EndTime: TO,
          Sampling: true,
          SamplingStrategy: { Name: "FixedRate", Value: 2 },
        }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidRequestException",
      message: "SamplingStrategy.Value must be from 0 to 1.",
    });
  });

  test.each([
    ['service("LedgerOrderPlaced")', [TRACE_C, TRACE_A]],
    ['service("LedgerOrderPlaced") { fault }', [TRACE_C]],
    ['service(id(name: "ShopTable", type: "AWS::DynamoDB::Table")) { error }', [TRACE_B]],
    ['service(id(type: "AWS::Events"))', [TRACE_C, TRACE_A]],
    ['service(id(name: "ShopPlaceOrder", type: "AWS::DynamoDB::Table"))', []],
    ['service("api.example.com")', [TRACE_E]],
    ["service() { fault }", [TRACE_C]],
    ['service("shop-api/local") { root AND responsetime > 0.1 }', [TRACE_C, TRACE_A]],
    ['edge("ShopPlaceOrder", "ShopTable") { error }', [TRACE_B]],
    ['edge(id(name: "EventBridge", type: "AWS::Events"), "LedgerOrderPlaced")', [TRACE_C, TRACE_A]],
    ["error", [TRACE_E, TRACE_B]],
    ["throttle", [TRACE_E]],
    ["fault", []],
    ["!ok", [TRACE_E, TRACE_B]],
    ["ok = true AND !partial", [TRACE_C, TRACE_A]],
    ["partial", [TRACE_D]],
    ["inferred", [TRACE_E, TRACE_C, TRACE_B, TRACE_A]],
    ["responsetime > 0.1", [TRACE_C, TRACE_A]],
    ["duration >= 0.15", [TRACE_C]],
    ["duration >= 0.08 AND duration <= 0.12", [TRACE_B, TRACE_A]],
    ["http.status = 409", [TRACE_B]],
    ["http.status >= 400 AND http.status < 500", [TRACE_E, TRACE_B]],
    ['http.url CONTAINS "/shop/"', [TRACE_D, TRACE_C, TRACE_B, TRACE_A]],
    ['http.url BEGINSWITH "http://127.0.0.1:4000/users"', [TRACE_E]],
    ['http.url ENDSWITH "/orders" AND (error OR partial)', [TRACE_D, TRACE_B]],
    ['http.method = "GET"', [TRACE_E]],
    ['http.useragent CONTAINS "curl"', [TRACE_E]],
    ['http.clientip = "10.0.0.7"', [TRACE_E]],
    ['user = "ann"', [TRACE_E]],
    ['user CONTAINS ""', [TRACE_E]],
    ["annotation.ColdStart = true", [TRACE_A]],
    ['annotation.Service BEGINSWITH "sh"', [TRACE_A]],
    ["annotation.attempts > 2", [TRACE_E]],
    ["annotation.attempts < 3", []],
    ['annotation.plan != "free"', [TRACE_D, TRACE_C, TRACE_B, TRACE_A]],
    ["annotation.plan", [TRACE_E]],
    ['!service("LedgerOrderPlaced") AND !partial AND !throttle', [TRACE_B]],
    ['service("LedgerOrderPlaced") OR annotation.attempts = 3', [TRACE_E, TRACE_C, TRACE_A]],
  ])("FilterExpression %s", async (FilterExpression, expected) => {
    expect(await idsOf({ FilterExpression })).toEqual(expected);
  });

  test("a filter that does not parse, a missing or reversed time range, a bad TimeRangeType: InvalidRequestException", async () => {
    const fails = (input: Record<string, unknown>, message: string) =>
      expect(xray.send(new GetTraceSummariesCommand(input as never))).rejects.toMatchObject({
        name: "InvalidRequestException",
        message,
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
      });
    await fails(
      { StartTime: FROM, EndTime: TO, FilterExpression: 'service("a") {' },
      "Invalid filter expression at position 14: expected a keyword, found the end of the expression",
    );
    await fails(
      { StartTime: FROM, EndTime: TO, FilterExpression: "speed > 3" },
      "Invalid filter expression at position 0: unknown keyword 'speed'",
    );
    await fails({ EndTime: TO }, "StartTime is required.");
    await fails({ StartTime: FROM }, "EndTime is required.");
    await fails({ StartTime: TO, EndTime: FROM }, "EndTime must not be before StartTime.");
    await fails(
      { StartTime: FROM, EndTime: TO, TimeRangeType: "Yesterday" },
      "TimeRangeType must be TraceId, Event or Service.",
    );
  });
});

describe("BatchGetTraces", () => {
  test("one document per segment, subsegments nested under their parent, plus X-Ray's inferred segments", async () => {
    const { Traces = [], UnprocessedTraceIds } = await xray.send(new BatchGetTracesCommand({ TraceIds: [TRACE_A] }));
    expect(UnprocessedTraceIds).toEqual([]);
    expect(Traces).toHaveLength(1);
    const [trace] = Traces;
    expect(trace).toMatchObject({ Id: TRACE_A, Duration: 0.12, LimitExceeded: false });
    const documents = (trace?.Segments ?? []).map((s) => {
      const document = JSON.parse(s.Document ?? "{}") as Record<string, unknown>;
      expect(s.Id).toBe(document.id);
      return document;
    });
    type Doc = { id: string; name: string; subsegments?: Doc[] } & Record<string, unknown>;
    const tree = (d: Doc): unknown => (d.subsegments ? { [d.name]: d.subsegments.map(tree) } : d.name);
    const own = documents.filter((d) => d.inferred !== true) as Doc[];
    expect(own.map(tree)).toEqual([
      "shop-api/local",
      {
        ShopPlaceOrder: [{ "## handler": [{ "### placeOrder": ["DynamoDB"] }, "DynamoDB", "EventBridge"] }],
      },
      { LedgerOrderPlaced: [{ "## handler": ["DynamoDB"] }] },
    ]);
    // The complete stage replaced the in-progress copy; merged subsegments lose the fields nesting makes redundant.
    expect(own[0]).toMatchObject({ id: "a000000000000001", end_time: 1_710_000_000.12, trace_id: TRACE_A });
    expect(own[0]).not.toHaveProperty("in_progress");
    const handler = own[1]?.subsegments?.[0] as Doc;
    expect(handler).toMatchObject({ id: "a000000000000003", annotations: { ColdStart: true, Service: "shop" } });
    for (const nested of [handler, ...(handler.subsegments ?? [])]) {
      expect(nested).not.toHaveProperty("type");
      expect(nested).not.toHaveProperty("parent_id");
      expect(nested).not.toHaveProperty("trace_id");
    }
    expect(own[1]).toMatchObject({ parent_id: "a000000000000001", origin: "AWS::Lambda::Function" });

    const inferred = documents.filter((d) => d.inferred === true);
    expect(inferred.map((d) => [d.name, d.origin, d.parent_id])).toEqual([
      ["DynamoDB", "AWS::DynamoDB::Table", "a000000000000005"],
      ["DynamoDB", "AWS::DynamoDB::Table", "a000000000000006"],
      ["EventBridge", "AWS::Events", "a000000000000007"],
      ["DynamoDB", "AWS::DynamoDB::Table", "a00000000000000a"],
    ]);
    expect(inferred[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      name: "DynamoDB",
      start_time: 1_710_000_000.012,
      end_time: 1_710_000_000.016,
      parent_id: "a000000000000005",
      inferred: true,
      http: { response: { status: 200 } },
      aws: {
        operation: "GetItem",
        region: "us-east-1",
        request_id: "req-a000000000000005",
        retries: 0,
        table_name: "ShopTable",
      },
      trace_id: TRACE_A,
      origin: "AWS::DynamoDB::Table",
    });
    // Read again: the same ids (an inferred segment's id is derived, not drawn).
    const again = await xray.send(new BatchGetTracesCommand({ TraceIds: [TRACE_A] }));
    expect(again.Traces?.[0]?.Segments?.map((s) => s.Id)).toEqual(trace?.Segments?.map((s) => s.Id));
  });

  test("remote calls sent as an array of subsegments nest under the stage and are inferred without an origin", async () => {
    const { Traces = [] } = await xray.send(new BatchGetTracesCommand({ TraceIds: [TRACE_E] }));
    const documents = (Traces[0]?.Segments ?? []).map((s) => JSON.parse(s.Document ?? "{}") as Record<string, unknown>);
    expect(documents).toHaveLength(3);
    expect(((documents[0]?.subsegments ?? []) as { id: string }[]).map((s) => s.id)).toEqual([
      "e000000000000011",
      "e000000000000012",
    ]);
    expect(documents.slice(1).map((d) => [d.name, d.inferred, d.origin])).toEqual([
      ["api.example.com", true, undefined],
      ["api.example.com", true, undefined],
    ]);
  });

  test("a subsegment whose parent never arrived stands on its own, as it was sent", async () => {
    const orphan = {
      trace_id: "1-65f00200-000000000000000000000002",
      id: "f000000000000010",
      type: "subsegment",
      parent_id: "f0000000000000ff",
      name: "## handler",
      start_time: 1,
      end_time: 2,
    };
    expect(
      (await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [JSON.stringify(orphan)] })))
        .UnprocessedTraceSegments,
    ).toEqual([]);
    const { Traces = [] } = await xray.send(new BatchGetTracesCommand({ TraceIds: [orphan.trace_id] }));
    expect(Traces[0]?.Segments?.map((s) => JSON.parse(s.Document ?? "{}"))).toEqual([orphan]);
    expect(Traces[0]?.Duration).toBe(1);
  });

  test("unknown ids come back in UnprocessedTraceIds; more than 5 ids is an InvalidRequestException", async () => {
    const unknown = "1-65f00000-000000000000000000000000";
    const result = await xray.send(new BatchGetTracesCommand({ TraceIds: [TRACE_B, unknown, TRACE_D] }));
    expect(result.Traces?.map((t) => t.Id)).toEqual([TRACE_B, TRACE_D]);
    expect(result.UnprocessedTraceIds).toEqual([unknown]);
    // A segment still in progress is returned as it stands.
    expect(JSON.parse(result.Traces?.[1]?.Segments?.[0]?.Document ?? "{}")).toMatchObject({ in_progress: true });

    const six = [TRACE_A, TRACE_B, TRACE_C, TRACE_D, TRACE_E, unknown];
    await expect(xray.send(new BatchGetTracesCommand({ TraceIds: six }))).rejects.toMatchObject({
      name: "InvalidRequestException",
      message: "TraceIds has 6 ids; at most 5 can be retrieved at once.",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(xray.send(new BatchGetTracesCommand({} as { TraceIds: string[] }))).rejects.toMatchObject({
      name: "InvalidRequestException",
      message: "TraceIds is required.",
    });
  });
});

describe("GetServiceGraph", () => {
  test("the nodes and edges of buildServiceMap, with AWS's statistics and histograms", async () => {
    const graph = await xray.send(new GetServiceGraphCommand({ StartTime: FROM, EndTime: TO }));
    expect(graph.StartTime).toEqual(FROM);
    expect(graph.EndTime).toEqual(TO);
    const map = buildServiceMap(everything);
    const services = graph.Services ?? [];
    expect(services.map((s) => [s.Name, s.Type])).toEqual(
      [...map.nodes].sort((a, b) => a.id.localeCompare(b.id)).map((n) => [n.name, n.type]),
    );
    expect(services.map((s) => s.ReferenceId)).toEqual(services.map((_, i) => i));
    const nameOf = (ref: number | undefined) => services[ref ?? -1]?.Name;
    const drawn = services
      .flatMap((s) =>
        (s.Edges ?? []).map((e) => ({
          source: s.Name,
          target: nameOf(e.ReferenceId),
          requests: e.SummaryStatistics?.TotalCount,
          errors: e.SummaryStatistics?.ErrorStatistics?.TotalCount,
          faults: e.SummaryStatistics?.FaultStatistics?.TotalCount,
        })),
      )
      .sort((a, b) => `${a.source}>${a.target}`.localeCompare(`${b.source}>${b.target}`));
    const names = new Map(map.nodes.map((n) => [n.id, n.name]));
    expect(drawn).toEqual(
      map.edges
        .map((e) => ({
          source: names.get(e.source),
          target: names.get(e.target),
          requests: e.requests,
          errors: e.errors,
          faults: e.faults,
        }))
        .sort((a, b) => `${a.source}>${a.target}`.localeCompare(`${b.source}>${b.target}`)),
    );

    const placeOrder = services.find((s) => s.Name === "ShopPlaceOrder");
    const table = services.find((s) => s.Name === "ShopTable");
    const toTable = placeOrder?.Edges?.find((e) => e.ReferenceId === table?.ReferenceId);
    expect(toTable).toEqual({
      ReferenceId: table?.ReferenceId,
      StartTime: new Date(1_710_000_000_012),
      EndTime: new Date(1_710_000_020_034),
      SummaryStatistics: {
        OkCount: 4,
        ErrorStatistics: { ThrottleCount: 0, OtherCount: 1, TotalCount: 1 },
        FaultStatistics: { OtherCount: 0, TotalCount: 0 },
        TotalCount: 5,
        TotalResponseTime: 0.048,
      },
      ResponseTimeHistogram: [0.004, 0.008, 0.01, 0.012, 0.014].map((Value) => ({ Value, Count: 1 })),
      Aliases: [],
    });
    expect(placeOrder).toMatchObject({ State: "active", Names: ["ShopPlaceOrder"], Type: "AWS::Lambda::Function" });
    expect(placeOrder).not.toHaveProperty("Root");
    expect(table).toMatchObject({
      State: "unknown",
      Edges: [],
      SummaryStatistics: { TotalCount: 5, OkCount: 4 },
      DurationHistogram: toTable?.ResponseTimeHistogram,
    });
    const stage = services.find((s) => s.Name === "shop-api/local");
    expect(stage).toMatchObject({ Root: true, State: "active", SummaryStatistics: { TotalCount: 3, OkCount: 2 } });
    expect(services.find((s) => s.Type === "client")).toMatchObject({ Name: "Client", State: "unknown" });
    expect(services.find((s) => s.Type === "client")).not.toHaveProperty("SummaryStatistics");
  });

  test("only traces active in the range are drawn; a reversed range is an InvalidRequestException", async () => {
    const onlyE = await xray.send(new GetServiceGraphCommand({ StartTime: new Date(BASE_E * 1000), EndTime: TO }));
    expect(onlyE.Services?.map((s) => s.Name)).toEqual(
      buildServiceMap([stageE, ...remoteCalls])
        .nodes.map((n) => n)
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((n) => n.name),
    );
    const empty = await xray.send(
      new GetServiceGraphCommand({ StartTime: new Date(1_700_000_000_000), EndTime: new Date(1_700_000_600_000) }),
    );
    expect(empty.Services).toEqual([]);
    await expect(xray.send(new GetServiceGraphCommand({ StartTime: TO, EndTime: FROM }))).rejects.toMatchObject({
      name: "InvalidRequestException",
      message: "EndTime must not be before StartTime.",
    });
  });
});

describe("GetServiceGraph across a link", () => {
  // A post published onto a stream in one trace; its consumer runs in a trace of its own that links to the publish.
  const PRODUCER = "1-65f00100-aaaaaaaaaaaaaaaaaaaaaaaa";
  const CONSUMER = "1-65f00101-bbbbbbbbbbbbbbbbbbbbbbbb";
  const AT = 1_710_000_256;
  const producer: XraySegment = {
    trace_id: PRODUCER,
    id: "a000000000000001",
    name: "ForumsCreatePost",
    origin: "AWS::Lambda::Function",
    start_time: AT,
    end_time: AT + 0.05,
    subsegments: [
      {
        id: "a000000000000002",
        name: "Kinesis",
        namespace: "aws",
        start_time: AT + 0.01,
        end_time: AT + 0.02,
        aws: { operation: "PutRecords", stream_name: "summit-local-ForumsPostCreatedStream" },
        http: { response: { status: 200 } },
      },
    ],
  };
  const consumer: XraySegment = {
    trace_id: CONSUMER,
    id: "b000000000000001",
    name: "ForumsPostCreated",
    origin: "AWS::Lambda::Function",
    start_time: AT + 1,
    end_time: AT + 1.2,
    subsegments: [
      {
        id: "b000000000000002",
        name: "## forums.PostCreated",
        start_time: AT + 1.01,
        end_time: AT + 1.1,
        links: [{ trace_id: PRODUCER, id: "a000000000000002", attributes: { "messaging.system": "kinesis" } }],
      },
    ],
  };
  let linkedCollector: XrayCollector;
  let linkedApi: XrayApi;
  let client: XRayClient;
  beforeAll(async () => {
    linkedCollector = await startXrayCollector();
    linkedApi = await startXrayApi(linkedCollector);
    client = new XRayClient({ endpoint: linkedApi.endpoint, region: "us-east-1", credentials });
    const put = await client.send(
      new PutTraceSegmentsCommand({ TraceSegmentDocuments: [producer, consumer].map((d) => JSON.stringify(d)) }),
    );
    expect(put.UnprocessedTraceSegments).toEqual([]);
  });
  afterAll(async () => {
    client?.destroy();
    await linkedApi?.stop();
    await linkedCollector?.stop();
  });

  /** The graph's edges as `source > target` names. */
  const edgesOf = (services: Service[]) =>
    services.flatMap((s) => (s.Edges ?? []).map((e) => `${s.Name} > ${services[e.ReferenceId ?? -1]?.Name}`));

  test("draws the stream → consumer hop the link makes, as buildServiceMap draws it, even with the producer out of range", async () => {
    const map = buildServiceMap([producer, consumer]);
    const linked = map.edges.filter((e) => e.linked);
    expect(linked).toHaveLength(1);
    const names = new Map(map.nodes.map((n) => [n.id, n.name]));
    const hop = `${names.get(linked[0]!.source)} > ${names.get(linked[0]!.target)}`;
    expect(hop).toMatch(/ > ForumsPostCreated$/);

    const whole = await client.send(
      new GetServiceGraphCommand({ StartTime: new Date(AT * 1000), EndTime: new Date((AT + 2) * 1000) }),
    );
    const expected = map.edges.map((e) => `${names.get(e.source)} > ${names.get(e.target)}`).sort();
    expect(edgesOf(whole.Services ?? []).sort()).toEqual(expected);
    const target = whole.Services?.find((s) => s.Name === "ForumsPostCreated");
    const source = whole.Services?.find((s) => s.Edges?.some((e) => e.ReferenceId === target?.ReferenceId));
    expect(source?.Edges?.find((e) => e.ReferenceId === target?.ReferenceId)?.SummaryStatistics?.TotalCount).toBe(1);

    // Only the consumer's trace runs in this range: the hop it links through is still drawn, once.
    const later = await client.send(
      new GetServiceGraphCommand({ StartTime: new Date((AT + 0.5) * 1000), EndTime: new Date((AT + 2) * 1000) }),
    );
    expect(edgesOf(later.Services ?? []).filter((e) => e === hop)).toEqual([hop]);
    expect(later.Services?.map((s) => s.Name)).not.toContain("ForumsCreatePost");
  });
});

describe("the AWS CLI's wire format", () => {
  /** What `aws xray …` sends: a JSON body with epoch-second numbers, SigV4-signed (the signature is not checked). */
  const cli = (path: string, body: string, method = "POST") =>
    fetch(`${api.endpoint}${path}`, {
      method,
      headers: {
        "content-type": "application/json",
        "x-amz-date": "20240309T160000Z",
        "user-agent": "aws-cli/2.15.0 md/command#xray.get-service-graph",
        authorization:
          "AWS4-HMAC-SHA256 Credential=test/20240309/us-east-1/xray/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
      },
      ...(method === "POST" ? { body } : {}),
    });

  test("get-service-graph and get-trace-summaries answer JSON with epoch-second numbers", async () => {
    const graph = await cli("/ServiceGraph", JSON.stringify({ StartTime: 1_710_000_000, EndTime: 1_710_000_041 }));
    expect(graph.status).toBe(200);
    expect(graph.headers.get("content-type")).toBe("application/json");
    const body = (await graph.json()) as { StartTime: number; Services: { Name: string; StartTime: number }[] };
    expect(body.StartTime).toBe(1_710_000_000);
    expect(body.Services.map((s) => s.Name)).toContain("ShopPlaceOrder");
    expect(body.Services.every((s) => typeof s.StartTime === "number")).toBe(true);

    const summaries = await cli(
      "/TraceSummaries",
      JSON.stringify({ StartTime: 1_710_000_000, EndTime: 1_710_000_041, FilterExpression: "error" }),
    );
    const page = (await summaries.json()) as { TraceSummaries: { Id: string; StartTime: number }[] };
    expect(page.TraceSummaries.map((s) => [s.Id, s.StartTime])).toEqual([
      [TRACE_E, BASE_E],
      [TRACE_B, 1_710_000_010],
    ]);

    const traces = await cli("/Traces", JSON.stringify({ TraceIds: [TRACE_D] }));
    expect(await traces.json()).toMatchObject({ Traces: [{ Id: TRACE_D, Segments: [{ Id: "d000000000000001" }] }] });
  });

  test("errors carry x-amzn-ErrorType and __type; an unknown path is UnknownOperationException", async () => {
    const bad = await cli("/TraceSummaries", JSON.stringify({ StartTime: 1, EndTime: 2, FilterExpression: "((" }));
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-amzn-errortype")).toBe("InvalidRequestException");
    expect(await bad.json()).toEqual({
      __type: "InvalidRequestException",
      Message: "Invalid filter expression at position 2: expected a keyword, found the end of the expression",
    });
    const stringTime = await cli("/ServiceGraph", JSON.stringify({ StartTime: "yesterday", EndTime: 2 }));
    expect(stringTime.status).toBe(400);
    expect(await stringTime.json()).toMatchObject({ Message: "StartTime must be a number of epoch seconds." });
    const notJson = await cli("/Traces", "{");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({
      __type: "InvalidRequestException",
      Message: "The request body is not valid JSON.",
    });
    const unknown = await cli("/Groups", "{}");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
    const get = await cli("/ServiceGraph", "", "GET");
    expect(get.status).toBe(404);
  });
});

describe("on the shared emulators, through the standard AWS configuration", () => {
  test("AWS_ENDPOINT_URL_XRAY reaches the collector that AWS_XRAY_DAEMON_ADDRESS feeds", async () => {
    expect(process.env.AWS_ENDPOINT_URL_XRAY).toBe(emulators.endpoints.xray);
    const now = Date.now() / 1000;
    const traceId = `1-${Math.floor(now).toString(16)}-${Math.random().toString(16).slice(2, 14).padEnd(24, "0")}`;
    const name = `probe-${traceId.slice(-8)}`;
    await sendUdp(emulators.env.AWS_XRAY_DAEMON_ADDRESS ?? "", [
      { trace_id: traceId, id: "1111111111111111", name, start_time: now, end_time: now + 0.01 },
    ]);
    const reader = xrayReader(); // endpoint, region and credentials from the environment only
    const documents = await reader.waitForTrace(traceId, (docs) => docs.length === 1, 5_000);
    expect(documents).toEqual([expect.objectContaining({ name, id: "1111111111111111" })]);
    const { summaries, processed } = await reader.summaries(`service("${name}")`, { sinceMs: 60_000 });
    expect(summaries.map((s) => s.Id)).toEqual([traceId]);
    expect(processed).toBeGreaterThanOrEqual(1);
    await expect(reader.waitForTrace(traceId, () => false, 300)).rejects.toThrow(
      `trace ${traceId} did not reach the expected state within 300 ms; it has 1 segments: ${name}`,
    );
    expect(await reader.traceDocuments("1-00000000-000000000000000000000000")).toEqual([]);
    reader.client.destroy();
  });
});
