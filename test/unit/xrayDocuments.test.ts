import { describe, expect, test } from "vitest";
import {
  ancestorsOf,
  callsIn,
  type LinkedTrace,
  linksBothWays,
  linksOf,
  outline,
  type TraceDocument,
  traceEntries,
} from "../support/xray.js";

/** How the e2e tests read BatchGetTraces documents: a sign-up's trace and the outbox publisher's, linked to it. */
const TRACE = "1-6b0eed31-6165fe0263e60f6d32635369";
const PUBLISHER_TRACE = "1-6b0eed33-3fb8d6748156817c690e56c2";

const signup: TraceDocument[] = [
  {
    trace_id: TRACE,
    id: "stage",
    name: "users/local",
    origin: "AWS::ApiGateway::Stage",
    start_time: 1,
    end_time: 2,
    http: { response: { status: 201 } },
  },
  {
    trace_id: TRACE,
    id: "signup",
    parent_id: "stage",
    name: "UsersSignup",
    origin: "AWS::Lambda::Function",
    start_time: 1.1,
    end_time: 1.9,
    subsegments: [
      {
        trace_id: TRACE,
        id: "handler",
        name: "## services/users/routes/signup.handler",
        subsegments: [
          {
            trace_id: TRACE,
            id: "put",
            name: "DynamoDB",
            namespace: "aws",
            aws: { operation: "PutItem", table_name: "summit-local-UsersTable" },
            http: { response: { status: 200 } },
          },
          { trace_id: TRACE, id: "outbox", name: "outbox UsersTable", in_progress: true },
        ],
      },
    ],
  },
  {
    trace_id: TRACE,
    id: "authors",
    parent_id: "publish",
    name: "ForumsAuthors",
    origin: "AWS::Lambda::Function",
    error: true,
    annotations: { eventType: "users.UserRegistered" },
  },
];

const publisher: TraceDocument[] = [
  {
    trace_id: PUBLISHER_TRACE,
    id: "publisher",
    name: "UsersOutboxPublisher",
    origin: "AWS::Lambda::Function",
    subsegments: [
      {
        trace_id: PUBLISHER_TRACE,
        id: "record",
        name: "## users.UserRegistered",
        links: [
          { trace_id: TRACE, id: "outbox", attributes: { "messaging.system": "dynamodb-streams" } },
          { trace_id: TRACE, id: "outbox", attributes: { "messaging.system": "dynamodb-streams" } },
        ],
      },
    ],
  },
];

describe("traceEntries", () => {
  test("flattens segments and their nested subsegments depth first, with the X-Ray fields the tests read", () => {
    const entries = traceEntries(signup);
    expect(entries.map((e) => [e.id, e.kind, e.parentId, e.segmentId])).toEqual([
      ["stage", "segment", undefined, "stage"],
      ["signup", "segment", "stage", "signup"],
      ["handler", "subsegment", "signup", "signup"],
      ["put", "subsegment", "handler", "signup"],
      ["outbox", "subsegment", "handler", "signup"],
      ["authors", "segment", "publish", "authors"],
    ]);
    expect(entries[0]).toEqual({
      id: "stage",
      name: "users/local",
      kind: "segment",
      segmentId: "stage",
      origin: "AWS::ApiGateway::Stage",
      status: 201,
      start: 1,
      end: 2,
      inProgress: false,
      error: false,
      fault: false,
      annotations: {},
      links: [],
    });
    expect(entries.find((e) => e.id === "put")).toMatchObject({
      namespace: "aws",
      operation: "PutItem",
      tableName: "summit-local-UsersTable",
      status: 200,
    });
    expect(entries.find((e) => e.id === "outbox")).toMatchObject({ inProgress: true });
    expect(entries.find((e) => e.id === "authors")).toMatchObject({
      error: true,
      annotations: { eventType: "users.UserRegistered" },
    });
    expect(traceEntries([])).toEqual([]);
  });

  test("ancestorsOf walks up across segments and stops where a parent has not arrived; callsIn keeps to one segment", () => {
    const entries = traceEntries(signup);
    expect(ancestorsOf(entries, "put").map((e) => e.id)).toEqual(["handler", "signup", "stage"]);
    expect(ancestorsOf(entries, "authors")).toEqual([]); // its publish is in no document here
    expect(ancestorsOf(entries, "nowhere")).toEqual([]);
    const { segment, calls } = callsIn(entries, "UsersSignup");
    expect(segment?.id).toBe("signup");
    expect(calls.map((c) => c.id)).toEqual(["put"]);
    expect(callsIn(entries, "UsersSignin")).toEqual({ calls: [] });
    expect(outline(entries).split("\n").slice(0, 4)).toEqual([
      "users/local",
      "  UsersSignup",
      "    ## services/users/routes/signup.handler",
      "      DynamoDB PutItem",
    ]);
  });
});

describe("links", () => {
  const linked: LinkedTrace[] = [
    { traceId: PUBLISHER_TRACE, documents: publisher, links: linksOf(publisher).filter((l) => l.trace_id === TRACE) },
  ];

  test("linksOf lists every link of the documents, nested ones included", () => {
    expect(linksOf(publisher)).toHaveLength(2);
    expect(linksOf(signup)).toEqual([]);
  });

  test("linksBothWays names each (trace, direction, hop) once, as /_dev/traces does", () => {
    expect(linksBothWays(TRACE, signup, linked)).toEqual([
      { traceId: PUBLISHER_TRACE, direction: "out", via: "dynamodb-streams" },
    ]);
    expect(linksBothWays(PUBLISHER_TRACE, publisher, [])).toEqual([
      { traceId: TRACE, direction: "in", via: "dynamodb-streams" },
    ]);
    // A link within the trace itself is no link to another trace.
    const self: TraceDocument[] = [
      { trace_id: TRACE, id: "x", links: [{ trace_id: TRACE, id: "y", attributes: { "messaging.system": "sqs" } }] },
    ];
    expect(linksBothWays(TRACE, self, [])).toEqual([]);
  });
});
