import { describe, expect, test } from "vitest";
import {
  addLink,
  linkToProducer,
  MAX_LINKS_PER_DOCUMENT,
  MAX_LINKS_PER_TRACE,
  parseTraceHeader,
} from "../../shared/tracing/index.js";
import type { Linkable } from "../../shared/tracing/links.js";
import { Subsegment } from "../../shared/tracing/segments.js";

const OWN = "1-65f50000-000000000000000000000001";
const PRODUCER = "1-65f50000-0000000000000000000000aa";
const header = (root: string, parent?: string) => `Root=${root}${parent ? `;Parent=${parent}` : ""};Sampled=1`;

/** A subsegment of trace `root`, under the invocation's segment. */
function subsegment(root = OWN) {
  return new Subsegment("## users.UserRegistered", {
    kind: "invocation",
    traceId: root,
    id: "00000000000000c1",
    sampled: true,
  });
}
const link = (entity: Subsegment, h: string | undefined, via: Parameters<typeof linkToProducer>[2]) =>
  linkToProducer(entity, h, via);

describe("linkToProducer", () => {
  test("links to the producer's publish call as AWS's exporter writes span links", () => {
    const entity = subsegment();
    expect(link(entity, header(PRODUCER, "00000000000000a1"), "kinesis")).toBe(true);
    expect(entity.links).toEqual([
      { trace_id: PRODUCER, id: "00000000000000a1", attributes: { "messaging.system": "kinesis" } },
    ]);
  });

  test("does not link a record of the trace the invocation continues, nor one without a producer or its parent", () => {
    const entity = subsegment();
    expect(link(entity, header(OWN, "00000000000000a1"), "sqs")).toBe(false);
    expect(link(entity, undefined, "sqs")).toBe(false);
    expect(link(entity, "not a header", "sqs")).toBe(false);
    expect(link(entity, header(PRODUCER), "sqs")).toBe(false);
    expect(entity.links).toBeUndefined();
  });
});

describe("linkToProducer over a whole invocation", () => {
  test("writes at most 100 links in one trace, then none; the next trace starts again", () => {
    const producers = (n: number, at: number) =>
      Array.from({ length: n }, (_, i) => header(`1-65f50002-${String(at + i).padStart(24, "0")}`, "00000000000000a1"));
    // A trace no other test links from: the count is the invocation's, kept across records.
    const entities = Array.from({ length: 120 }, () => subsegment("1-65f50000-000000000000000000000003"));
    const added = entities.map((entity, i) => link(entity, producers(1, i)[0], "kinesis"));
    expect(added.filter(Boolean)).toHaveLength(MAX_LINKS_PER_TRACE);
    expect(added.slice(MAX_LINKS_PER_TRACE).some(Boolean)).toBe(false);
    const next = subsegment("1-65f50000-000000000000000000000002");
    expect(link(next, producers(1, 500)[0], "kinesis")).toBe(true);
  });
});

describe("addLink", () => {
  test("each target once, at most 20 on one document", () => {
    const document: Linkable = {};
    const producer = parseTraceHeader(header(PRODUCER, "00000000000000a1"));
    expect(addLink(document, producer, "sqs")).toBe(true);
    expect(addLink(document, producer, "sqs")).toBe(false);
    for (let i = 0; i < 30; i++)
      addLink(document, { root: `1-65f50001-${String(i).padStart(24, "0")}`, parent: "00000000000000a1" }, "sns");
    expect(document.links).toHaveLength(MAX_LINKS_PER_DOCUMENT);
    expect((document.links as { trace_id: string }[])[0]?.trace_id).toBe(PRODUCER);
  });
});
