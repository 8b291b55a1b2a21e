import { describe, expect, test } from "vitest";
import { listTraces, traceTimeline } from "../../local/devtools/traces.js";
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
