import { describe, expect, test } from "vitest";
import { buildServiceMap, percentile } from "../../local/devtools/serviceMap.js";
import type { XraySegment } from "../../local/emulators/xrayCollector.js";
import { K, linkedSegments } from "../fixtures/linkedSegments.js";
import { orderSegments } from "../fixtures/segments.js";

const CLIENT = "client";
const STAGE = "AWS::ApiGateway::Stage/shop-api/local";
const PLACE_ORDER = "AWS::Lambda::Function/ShopPlaceOrder";
const SHOP_TABLE = "AWS::DynamoDB::Table/ShopTable";
const EVENT_BRIDGE = "AWS::Events/EventBridge";
const CONSUMER = "AWS::Lambda::Function/LedgerOrderPlaced";
const LEDGER_TABLE = "AWS::DynamoDB::Table/LedgerTable";

describe("buildServiceMap on the order traces", () => {
  const map = buildServiceMap(orderSegments);

  test("draws a node per service segment, per resource called and the client", () => {
    expect(map.nodes).toEqual([
      { id: STAGE, name: "shop-api/local", type: "AWS::ApiGateway::Stage" },
      { id: LEDGER_TABLE, name: "LedgerTable", type: "AWS::DynamoDB::Table" },
      { id: SHOP_TABLE, name: "ShopTable", type: "AWS::DynamoDB::Table" },
      { id: EVENT_BRIDGE, name: "EventBridge", type: "AWS::Events" },
      { id: CONSUMER, name: "LedgerOrderPlaced", type: "AWS::Lambda::Function" },
      { id: PLACE_ORDER, name: "ShopPlaceOrder", type: "AWS::Lambda::Function" },
      { id: CLIENT, name: "Client", type: "client" },
    ]);
  });

  test("joins callers to callees with counts and nearest-rank percentiles, across the EventBridge hop", () => {
    expect(map.edges).toEqual([
      { source: STAGE, target: PLACE_ORDER, requests: 3, errors: 0, faults: 0, p50Ms: 110, p99Ms: 130 },
      { source: EVENT_BRIDGE, target: CONSUMER, requests: 2, errors: 0, faults: 1, p50Ms: 40, p99Ms: 50 },
      { source: CONSUMER, target: LEDGER_TABLE, requests: 2, errors: 0, faults: 1, p50Ms: 6, p99Ms: 20 },
      // 4 and 10 are nested under a custom subsegment and in a handler sent on its own; the duplicate 8 counts once.
      { source: PLACE_ORDER, target: SHOP_TABLE, requests: 5, errors: 1, faults: 0, p50Ms: 10, p99Ms: 14 },
      { source: PLACE_ORDER, target: EVENT_BRIDGE, requests: 2, errors: 0, faults: 0, p50Ms: 15, p99Ms: 20 },
      // The in-progress request (trace D) is not counted until it closes.
      { source: CLIENT, target: STAGE, requests: 3, errors: 1, faults: 0, p50Ms: 120, p99Ms: 150 },
    ]);
  });

  test("does not depend on arrival order", () => {
    // Reversed, the in-progress copies arrive after the complete ones and must not replace them.
    expect(buildServiceMap([...orderSegments].reverse())).toEqual(map);
  });

  test("is empty without segments", () => {
    expect(buildServiceMap([])).toEqual({ nodes: [], edges: [] });
  });
});

describe("buildServiceMap on other shapes", () => {
  const trace = "1-65f00100-000000000000000000000001";
  const base = 1_710_000_100;
  const worker = (id: string, parent: string | undefined, name: string, startMs: number, endMs: number) => ({
    trace_id: trace,
    id,
    ...(parent ? { parent_id: parent } : {}),
    name,
    origin: "AWS::Lambda::Function",
    start_time: base + startMs / 1000,
    end_time: base + endMs / 1000,
  });
  const segments: XraySegment[] = [
    {
      ...worker("1000000000000001", undefined, "MediaUpload", 0, 100),
      subsegments: [
        {
          id: "1000000000000002",
          name: "SQS",
          namespace: "aws",
          start_time: base + 0.01,
          end_time: base + 0.02,
          aws: { operation: "SendMessage", queue_url: "http://127.0.0.1:9324/000000000000/MediaWorkerBuffer" },
          http: { response: { status: 200 } },
        },
        {
          id: "1000000000000003",
          name: "SNS",
          namespace: "aws",
          start_time: base + 0.03,
          end_time: base + 0.035,
          aws: { operation: "Publish", topic_arn: "arn:aws:sns:us-east-1:000000000000:MediaProcessedTopic" },
          http: { response: { status: 429 } },
          throttle: true,
        },
        {
          id: "1000000000000004",
          name: "api.example.net",
          namespace: "remote",
          start_time: base + 0.04,
          end_time: base + 0.06,
          http: { response: { status: 503 } },
        },
        {
          id: "1000000000000005",
          name: "Lambda",
          namespace: "aws",
          start_time: base + 0.061,
          end_time: base + 0.09,
          aws: { operation: "Invoke", function_name: "MediaResize" },
        },
      ],
    },
    worker("2000000000000001", "1000000000000002", "MediaWorker", 200, 230),
    worker("3000000000000001", "1000000000000005", "MediaResize", 65, 85),
    // Its caller's documents have not arrived yet: a node, but no edge.
    worker("4000000000000001", "9999999999999999", "MediaLate", 300, 310),
  ];
  const map = buildServiceMap(segments);

  test("names queues and topics per resource, a remote call by host; links an SQS consumer after its queue", () => {
    expect(map.nodes.map((n) => n.id)).toEqual([
      "AWS::Lambda::Function/MediaLate",
      "AWS::Lambda::Function/MediaResize",
      "AWS::Lambda::Function/MediaUpload",
      "AWS::Lambda::Function/MediaWorker",
      "AWS::SNS::Topic/MediaProcessedTopic",
      "AWS::SQS::Queue/MediaWorkerBuffer",
      "client",
      "remote/api.example.net",
    ]);
    expect(map.edges.map((e) => [e.source, e.target, e.requests, e.errors, e.faults, e.p50Ms])).toEqual([
      // A synchronous invoke of a traced function joins the two functions directly.
      ["AWS::Lambda::Function/MediaUpload", "AWS::Lambda::Function/MediaResize", 1, 0, 0, 20],
      ["AWS::Lambda::Function/MediaUpload", "AWS::SNS::Topic/MediaProcessedTopic", 1, 1, 0, 5],
      ["AWS::Lambda::Function/MediaUpload", "AWS::SQS::Queue/MediaWorkerBuffer", 1, 0, 0, 10],
      ["AWS::Lambda::Function/MediaUpload", "remote/api.example.net", 1, 0, 1, 20],
      ["AWS::SQS::Queue/MediaWorkerBuffer", "AWS::Lambda::Function/MediaWorker", 1, 0, 0, 30],
      ["client", "AWS::Lambda::Function/MediaUpload", 1, 0, 0, 100],
    ]);
  });
});

describe("buildServiceMap when the trace header names the code around the publish", () => {
  const trace = "1-65f00200-000000000000000000000001";
  const base = 1_710_000_200;
  const at = (ms: number) => base + ms / 1000;
  const publish = (id: string, name: string, operation: string, startMs: number) => ({
    id,
    name,
    namespace: "aws",
    start_time: at(startMs),
    end_time: at(startMs + 5),
    aws: { operation },
    http: { response: { status: 200 } },
  });
  const producer = (calls: object[]): XraySegment[] => [
    {
      trace_id: trace,
      id: "5000000000000001",
      name: "ForumsCreatePost",
      origin: "AWS::Lambda::Function",
      start_time: at(0),
      end_time: at(50),
    },
    {
      trace_id: trace,
      id: "5000000000000002",
      type: "subsegment",
      parent_id: "5000000000000001",
      name: "## handler",
      start_time: at(1),
      end_time: at(49),
      subsegments: calls,
    },
  ];
  // The consumer's parent is `## handler`: the header was taken before the SDK opened the PutRecord subsegment.
  const consumer = {
    trace_id: trace,
    id: "6000000000000001",
    parent_id: "5000000000000002",
    name: "UsersCountPosts",
    origin: "AWS::Lambda::Function",
    start_time: at(100),
    end_time: at(130),
  };

  test("draws the one publish made there as the hop", () => {
    const map = buildServiceMap([...producer([publish("5000000000000003", "Kinesis", "PutRecord", 10)]), consumer]);
    expect(map.edges.map((e) => [e.source, e.target])).toEqual([
      ["AWS::Kinesis/Kinesis", "AWS::Lambda::Function/UsersCountPosts"],
      ["AWS::Lambda::Function/ForumsCreatePost", "AWS::Kinesis/Kinesis"],
      ["client", "AWS::Lambda::Function/ForumsCreatePost"],
    ]);
  });

  test("draws the caller itself rather than guess between several publishes", () => {
    const calls = [
      publish("5000000000000003", "Kinesis", "PutRecord", 10),
      publish("5000000000000004", "SNS", "Publish", 20),
    ];
    const map = buildServiceMap([...producer(calls), consumer]);
    expect(map.edges.map((e) => [e.source, e.target])).toContainEqual([
      "AWS::Lambda::Function/ForumsCreatePost",
      "AWS::Lambda::Function/UsersCountPosts",
    ]);
    expect(map.edges.filter((e) => e.target === "AWS::Lambda::Function/UsersCountPosts")).toHaveLength(1);
  });
});

describe("percentile", () => {
  test("is the nearest rank", () => {
    expect(percentile([], 50)).toBe(0);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile([...hundred, 101], 99)).toBe(100);
  });
});

describe("buildServiceMap across trace links", () => {
  const map = buildServiceMap(linkedSegments);
  const CREATE_POST = "AWS::Lambda::Function/ForumsCreatePost";
  const FORUMS_TABLE = "AWS::DynamoDB::Table/ForumsTable";
  const PUBLISHER = "AWS::Lambda::Function/ForumsOutboxPublisher";
  const STREAM = "AWS::Kinesis::Stream/PostsStream";
  const COUNTER = "AWS::Lambda::Function/ForumsCounter";

  test("draws producer → stream → consumer for a Kinesis hop, once per invocation, marked linked", () => {
    expect(map.edges).toEqual([
      // Each request's publisher segment hangs under the handler whose one write put the outbox item.
      { source: FORUMS_TABLE, target: PUBLISHER, requests: 2, errors: 0, faults: 0, p50Ms: 30, p99Ms: 30 },
      // K links to two publishes on the stream (three records): one call; F failed.
      { source: STREAM, target: COUNTER, requests: 2, errors: 0, faults: 1, p50Ms: 20, p99Ms: 60, linked: true },
      { source: CREATE_POST, target: FORUMS_TABLE, requests: 2, errors: 0, faults: 0, p50Ms: 10, p99Ms: 10 },
      { source: PUBLISHER, target: STREAM, requests: 2, errors: 0, faults: 0, p50Ms: 26, p99Ms: 26 },
      { source: CLIENT, target: CREATE_POST, requests: 2, errors: 0, faults: 0, p50Ms: 50, p99Ms: 50 },
    ]);
  });

  test("a trace started by a stream has no client in front, and the table's stream hop is drawn once", () => {
    expect(map.edges.filter((e) => e.source === CLIENT).map((e) => e.target)).toEqual([CREATE_POST]);
    expect(map.edges.filter((e) => e.target === PUBLISHER)).toHaveLength(1);
  });

  test("a link whose producer has not arrived draws nothing yet; the consumer still is a node", () => {
    const alone = buildServiceMap(linkedSegments.filter((s) => s.trace_id === K));
    expect(alone.edges).toEqual([]);
    expect(alone.nodes.map((n) => n.id)).toEqual([COUNTER]);
  });

  test("a mixed queue batch: the record from the continued trace and a linked one on the same queue count once", () => {
    const q1 = "1-65f40000-000000000000000000000001";
    const q2 = "1-65f40000-000000000000000000000002";
    const send = (trace: string, id: string, startS: number) => ({
      trace_id: trace,
      id: `${id}0`,
      name: "Producer",
      origin: "AWS::Lambda::Function",
      start_time: startS,
      end_time: startS + 0.05,
      subsegments: [
        {
          id,
          name: "SQS",
          namespace: "aws",
          start_time: startS + 0.01,
          end_time: startS + 0.02,
          aws: { operation: "SendMessage", queue_url: "http://q/000000000000/Jobs" },
        },
      ],
    });
    const consumer = {
      trace_id: q1,
      id: "c000000000000001",
      parent_id: "a000000000000001",
      name: "Worker",
      origin: "AWS::Lambda::Function",
      start_time: 1_710_000_500,
      end_time: 1_710_000_500.04,
      subsegments: [
        {
          id: "c000000000000002",
          name: "## jobs.Queued",
          start_time: 1_710_000_500.01,
          end_time: 1_710_000_500.02,
          links: [{ trace_id: q2, id: "b000000000000001", attributes: { "messaging.system": "sqs" } }],
        },
      ],
    };
    const edges = buildServiceMap([
      send(q1, "a000000000000001", 1_710_000_499),
      send(q2, "b000000000000001", 1_710_000_499.5),
      consumer,
    ]).edges.filter((e) => e.target === "AWS::Lambda::Function/Worker");
    expect(edges).toEqual([
      {
        source: "AWS::SQS::Queue/Jobs",
        target: "AWS::Lambda::Function/Worker",
        requests: 1,
        errors: 0,
        faults: 0,
        p50Ms: 40,
        p99Ms: 40,
      },
    ]);
  });
});
