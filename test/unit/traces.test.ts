import { describe, expect, test } from "vitest";
import { listTraces, traceTimeline } from "../../local/devtools/traces.js";
import { BASE, F, K, linkedSegments, P, publishOf, R1, R2 } from "../fixtures/linkedSegments.js";
import { orderSegments, TRACE_A, TRACE_B, TRACE_C, TRACE_D } from "../fixtures/segments.js";

describe("listTraces", () => {
  test("summarises each trace, newest first", () => {
    expect(listTraces(orderSegments, 20)).toEqual({
      items: [
        {
          traceId: TRACE_D,
          root: "shop-api/local",
          durationMs: 0,
          segments: 1,
          error: false,
          fault: false,
          inProgress: true,
          startedAt: "2024-03-09T16:00:30.000Z",
        },
        {
          traceId: TRACE_C,
          root: "shop-api/local",
          durationMs: 150,
          segments: 3,
          error: true,
          fault: true,
          inProgress: false,
          startedAt: "2024-03-09T16:00:20.000Z",
        },
        {
          traceId: TRACE_B,
          root: "shop-api/local",
          durationMs: 80,
          segments: 2,
          error: true,
          fault: false,
          inProgress: false,
          startedAt: "2024-03-09T16:00:10.000Z",
        },
        {
          traceId: TRACE_A,
          root: "shop-api/local",
          durationMs: 120,
          segments: 3,
          error: false,
          fault: false,
          inProgress: false,
          startedAt: "2024-03-09T16:00:00.000Z",
        },
      ],
    });
  });

  test("keeps at most `limit`", () => {
    expect(listTraces(orderSegments, 2).items.map((t) => t.traceId)).toEqual([TRACE_D, TRACE_C]);
    expect(listTraces([], 20)).toEqual({ items: [] });
  });
});

describe("traceTimeline", () => {
  test("nests every (sub)segment under its caller, across the EventBridge hop, in start order", () => {
    const timeline = traceTimeline(orderSegments, TRACE_A);
    expect(timeline?.startedAt).toBe("2024-03-09T16:00:00.000Z");
    expect(timeline?.durationMs).toBe(120);
    expect(
      timeline?.entries.map((e) => [e.depth, e.name, e.offsetMs, e.durationMs, e.operation ?? "", e.resource ?? ""]),
    ).toEqual([
      [0, "shop-api/local", 0, 120, "", ""],
      [1, "ShopPlaceOrder", 5, 110, "", ""],
      [2, "## handler", 10, 100, "", ""],
      [3, "### placeOrder", 11, 18, "", ""],
      [4, "DynamoDB", 12, 4, "GetItem", "ShopTable"],
      [3, "DynamoDB", 20, 8, "PutItem", "ShopTable"],
      [3, "EventBridge", 30, 15, "PutEvents", "EventBridge"],
      [4, "LedgerOrderPlaced", 60, 40, "", ""],
      [5, "## handler", 62, 36, "", ""],
      [6, "DynamoDB", 70, 6, "PutItem", "LedgerTable"],
    ]);
  });

  test("describes each entry: kind, origin or namespace, status, flags and annotations", () => {
    const entries = traceTimeline(orderSegments, TRACE_A)?.entries ?? [];
    expect(entries[0]).toEqual({
      id: "a000000000000001",
      depth: 0,
      kind: "segment",
      name: "shop-api/local",
      origin: "AWS::ApiGateway::Stage",
      status: 201,
      offsetMs: 0,
      durationMs: 120,
      inProgress: false,
      error: false,
      fault: false,
      throttle: false,
      annotations: { "aws:api_stage": "local" },
    });
    expect(entries[2]).toMatchObject({ kind: "subsegment", annotations: { ColdStart: true, Service: "shop" } });
    expect(entries[5]).toMatchObject({
      kind: "subsegment",
      namespace: "aws",
      status: 200,
      parentId: "a000000000000003",
    });
  });

  test("marks the error and the fault where they happened", () => {
    const b = traceTimeline(orderSegments, TRACE_B)?.entries ?? [];
    expect(b.filter((e) => e.error).map((e) => [e.name, e.status])).toEqual([
      ["shop-api/local", 409],
      ["DynamoDB", 400],
    ]);
    const c = traceTimeline(orderSegments, TRACE_C)?.entries ?? [];
    expect(c.filter((e) => e.fault).map((e) => e.name)).toEqual(["LedgerOrderPlaced", "## handler", "DynamoDB"]);
  });

  test("shows an in-progress segment without a duration", () => {
    expect(traceTimeline(orderSegments, TRACE_D)?.entries).toMatchObject([
      { name: "shop-api/local", inProgress: true, durationMs: null, offsetMs: 0 },
    ]);
  });

  test("is undefined for an unknown trace", () => {
    expect(traceTimeline(orderSegments, "1-00000000-000000000000000000000000")).toBeUndefined();
  });
});

describe("traceTimeline with trace links", () => {
  const out = (traceId: string, via: string) => ({ traceId, direction: "out", via });
  const inbound = (traceId: string, via: string) => ({ traceId, direction: "in", via });

  test("a request lists the traces that continued it: the publisher's (stream) and the consumers' (Kinesis)", () => {
    expect(traceTimeline(linkedSegments, R1)?.links).toEqual([out(P, "dynamodb-streams"), out(K, "kinesis")]);
    expect(traceTimeline(linkedSegments, R2)?.links).toEqual([out(K, "kinesis"), out(F, "kinesis")]);
  });

  test("a consumer lists the traces it links to, each once however many of its records came from one", () => {
    expect(traceTimeline(linkedSegments, K)?.links).toEqual([inbound(R1, "kinesis"), inbound(R2, "kinesis")]);
    expect(traceTimeline(linkedSegments, P)?.links).toEqual([inbound(R1, "dynamodb-streams")]);
  });

  test("every trace answers links, empty when it has none", () => {
    expect(traceTimeline(orderSegments, TRACE_A)?.links).toEqual([]);
  });

  test("the entry that holds links shows them; a link to a trace the collector lost is still listed", () => {
    const record = traceTimeline(linkedSegments, K)?.entries.find((e) => e.id === "c000000000000003");
    expect(record?.links).toEqual([{ traceId: R2, id: publishOf(2), via: "kinesis" }]);
    const alone = traceTimeline(
      linkedSegments.filter((s) => s.trace_id === K),
      K,
    );
    expect(alone?.links).toEqual([inbound(R1, "kinesis"), inbound(R2, "kinesis")]);
  });

  test("keeps 20 links of a document and 100 of a trace, as X-Ray does", () => {
    const trace = "1-65f20000-000000000000000000000001";
    const targets = (doc: number) =>
      Array.from({ length: 25 }, (_, i) => ({
        trace_id: `1-65f20001-${String(doc * 100 + i).padStart(24, "0")}`,
        id: "0000000000000001",
        attributes: { "messaging.system": "sqs" },
      }));
    const docs = Array.from({ length: 6 }, (_, doc) => ({
      trace_id: trace,
      id: `${doc + 1}`.padStart(16, "0"),
      name: "Consumer",
      start_time: BASE + doc,
      end_time: BASE + doc + 1,
      links: targets(doc),
    }));
    expect(traceTimeline(docs.slice(0, 1), trace)?.links).toHaveLength(20);
    const all = traceTimeline(docs, trace)?.links ?? [];
    expect(all).toHaveLength(100);
    expect(all.at(-1)?.traceId).toBe(`1-65f20001-${String(400 + 19).padStart(24, "0")}`);
  });

  test("a link without the fields X-Ray needs is ignored; one without messaging.system says unknown", () => {
    const trace = "1-65f30000-000000000000000000000001";
    const doc = {
      trace_id: trace,
      id: "0000000000000001",
      name: "Consumer",
      start_time: BASE,
      end_time: BASE + 1,
      links: [{ trace_id: R1 }, "nope", { trace_id: R2, id: publishOf(2) }],
    };
    expect(traceTimeline([doc], trace)?.links).toEqual([inbound(R2, "unknown")]);
  });

  test("exposes a failed entry's cause (type and message)", () => {
    const [segment] = traceTimeline(linkedSegments, F)?.entries ?? [];
    expect(segment).toMatchObject({ name: "ForumsCounter", fault: true });
    expect(segment?.cause).toEqual({ type: "Error", message: "counter store down" });
    const ok = traceTimeline(linkedSegments, K)?.entries ?? [];
    expect(ok.every((e) => e.cause === undefined)).toBe(true);
  });

  test("puts the trace's log lines beside its segments, in time order, with offsets from the trace's start", () => {
    const log = (traceId: string, ms: number, message: string, extra: Record<string, unknown> = {}) => ({
      at: (BASE + ms / 1000) * 1000,
      traceId,
      segmentId: "c000000000000001",
      function: "ForumsCounter",
      message,
      ...extra,
    });
    const logs = [
      log(K, 215, "second", { level: "INFO", fields: { eventId: "e-2" } }),
      log(K, 205, "first"),
      log(R1, 10, "someone else's"),
    ];
    expect(traceTimeline(linkedSegments, K, logs)?.logs).toEqual([
      {
        time: new Date((BASE + 0.205) * 1000).toISOString(),
        offsetMs: 5,
        segmentId: "c000000000000001",
        function: "ForumsCounter",
        message: "first",
      },
      {
        time: new Date((BASE + 0.215) * 1000).toISOString(),
        offsetMs: 15,
        segmentId: "c000000000000001",
        function: "ForumsCounter",
        level: "INFO",
        message: "second",
        fields: { eventId: "e-2" },
      },
    ]);
    expect(traceTimeline(linkedSegments, K)?.logs).toEqual([]);
  });
});
