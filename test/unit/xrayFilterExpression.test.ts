import { describe, expect, test } from "vitest";
import {
  FilterExpressionError,
  type FilterSubject,
  matchesFilter,
  parseFilterExpression,
  type Scalar,
  type ScopedNode,
} from "../../local/emulators/xrayFilterExpression.js";

const kw = (keyword: string, operator?: string, value?: Scalar) => ({
  kind: "keyword",
  keyword,
  ...(operator ? { operator } : {}),
  ...(value === undefined ? {} : { value }),
});

describe("parseFilterExpression: the forms of the developer guide", () => {
  test.each([
    ["ok", kw("ok")],
    ["responsetime > 5", kw("responsetime", ">", 5)],
    ["responseTime >= 2.5", kw("responsetime", ">=", 2.5)],
    ["http.status != 200", kw("http.status", "!=", 200)],
    ['http.url CONTAINS "/api/game/"', kw("http.url", "CONTAINS", "/api/game/")],
    ['http.url beginswith "http://api"', kw("http.url", "BEGINSWITH", "http://api")],
    ['http.method = "POST"', kw("http.method", "=", "POST")],
    ['user CONTAINS ""', kw("user", "CONTAINS", "")],
    ["ok = false", kw("ok", "=", false)],
    ['annotation.gameid = "817DL6VO"', kw("annotation.gameid", "=", "817DL6VO")],
    ["annotation.Age > 29", kw("annotation.Age", ">", 29)],
    ["annotation.cold = true", kw("annotation.cold", "=", true)],
    ['annotation.user-id ENDSWITH "7"', kw("annotation.user-id", "ENDSWITH", "7")],
    ["annotation.age", kw("annotation.age")],
    ["!ok", { kind: "not", operand: kw("ok") }],
    ['service("api.example.com")', { kind: "service", target: { name: "api.example.com" } }],
    ["service() { fault }", { kind: "service", target: {}, filter: kw("fault") }],
    [
      'service(id(name: "random-name", type: "AWS::Lambda::Function")) { error }',
      { kind: "service", target: { name: "random-name", type: "AWS::Lambda::Function" }, filter: kw("error") },
    ],
    ['service(id(type: "AWS::Lambda::Function"))', { kind: "service", target: { type: "AWS::Lambda::Function" } }],
    [
      'edge("api.example.com", "backend.example.com") { error }',
      {
        kind: "edge",
        source: { name: "api.example.com" },
        destination: { name: "backend.example.com" },
        filter: kw("error"),
      },
    ],
    [
      'edge(id(name: "a", type: "t"), id(name: "b", type: "u"))',
      { kind: "edge", source: { name: "a", type: "t" }, destination: { name: "b", type: "u" } },
    ],
  ])("%s", (source, expected) => {
    expect(parseFilterExpression(source)).toEqual(expected);
  });

  test("AND binds tighter than OR, operands side by side are joined by AND, parentheses regroup", () => {
    expect(parseFilterExpression("fault OR error AND throttle")).toEqual({
      kind: "or",
      left: kw("fault"),
      right: { kind: "and", left: kw("error"), right: kw("throttle") },
    });
    expect(parseFilterExpression("(fault or error) and throttle")).toEqual({
      kind: "and",
      left: { kind: "or", left: kw("fault"), right: kw("error") },
      right: kw("throttle"),
    });
    expect(parseFilterExpression("ok !partial duration <3")).toEqual({
      kind: "and",
      left: { kind: "and", left: kw("ok"), right: { kind: "not", operand: kw("partial") } },
      right: kw("duration", "<", 3),
    });
    expect(parseFilterExpression('!service("a") AND !(ok)')).toEqual({
      kind: "and",
      left: { kind: "not", operand: { kind: "service", target: { name: "a" } } },
      right: { kind: "not", operand: kw("ok") },
    });
  });
});

describe("parseFilterExpression: bad input says what and where", () => {
  test.each([
    ["", 0, "the expression is empty"],
    ["   ", 0, "the expression is empty"],
    ["responsetime >", 14, "expected a value, found the end of the expression"],
    ["(ok", 3, "expected ')', found the end of the expression"],
    ["ok)", 2, "unexpected ')'"],
    ['service("a"', 11, "expected ')' after the service"],
    ['service("a") { }', 15, "expected a filter inside '{ }'"],
    ['service("a") { fault', 20, "expected '}'"],
    ['edge("a")', 8, "expected ',' between the edge's source and destination"],
    ["service(api)", 8, "expected a quoted service name or id(...), found 'api'"],
    ['service(id(nam: "x"))', 11, "id() takes name: and type:, found 'nam'"],
    ['service(id(name: "x", name: "y"))', 22, "id() has name: twice"],
    ["service(id(name: x))", 17, "id(name: …) takes a quoted string, found 'x'"],
    ['http.url = "unterminated', 11, "unterminated string"],
    ["responsetime > 5 #", 17, "unexpected character '#'"],
    ['responsetime > "5"', 15, "responsetime is a number: compare it with a number"],
    ['responsetime CONTAINS "5"', 22, "responsetime is a number: CONTAINS compares strings"],
    ["http.url = 5", 11, "http.url is a string: compare it with a quoted value"],
    ['http.url > "a"', 11, "http.url is a string: > compares numbers"],
    ["ok = 1", 5, "ok is a boolean: compare it with true or false"],
    ["fault > true", 8, "fault is a boolean: compare it with = or !="],
    ['annotation.n > "x"', 15, "> compares numbers, not strings"],
    ["annotation.n CONTAINS 4", 22, "CONTAINS compares strings, not numbers"],
    ["annotation.b < true", 15, "< does not compare booleans"],
    ["annotation. = 1", 0, "annotation. needs a key"],
    ["speed > 3", 0, "unknown keyword 'speed'"],
    [
      'rootcause.fault.service { name = "Auth" }',
      0,
      "'rootcause.fault.service' is not supported by the local X-Ray API",
    ],
    ['group.name = "slow"', 0, "'group.name' is not supported by the local X-Ray API"],
    ["ok OR", 5, "expected a keyword, found the end of the expression"],
    ["AND ok", 0, "expected a keyword, found 'AND'"],
  ])("%j", (source, position, reason) => {
    const attempt = () => parseFilterExpression(source);
    expect(attempt).toThrow(FilterExpressionError);
    expect(attempt).toThrow(`Invalid filter expression at position ${position}: ${reason}`);
  });
});

/** A subject from plain values; `services` are nested subjects of the same kind. */
function subject(
  values: Record<string, Scalar[]>,
  annotations: Record<string, Scalar[]> = {},
  services: ScopedNode[] = [],
): FilterSubject {
  return {
    values: (keyword) => values[keyword] ?? [],
    annotation: (key) => annotations[key] ?? [],
    services: () => services,
    edges: () =>
      services.length > 1 ? [{ source: services[0]!, destination: services[1]!, segments: services[1]!.segments }] : [],
  };
}

describe("matchesFilter", () => {
  const signup = subject({ fault: [true], ok: [false] });
  const table = subject({ error: [true], ok: [false], responsetime: [0.2] });
  const trace = subject(
    { ok: [true], fault: [false], responsetime: [1.5], duration: [3], "http.url": ["http://x/users/signup"], user: [] },
    { userId: ["u-1"], attempts: [3] },
    [
      { name: "UsersSignup", type: "AWS::Lambda::Function", segments: [signup] },
      { name: "UsersTable", type: "AWS::DynamoDB::Table", segments: [table] },
    ],
  );
  const holds = (source: string) => matchesFilter(parseFilterExpression(source), trace);

  test("trace-level keywords, numbers, strings and annotations", () => {
    expect(holds("ok")).toBe(true);
    expect(holds("!ok")).toBe(false);
    expect(holds("fault")).toBe(false);
    expect(holds("ok = false")).toBe(false);
    expect(holds("responsetime > 1 AND duration <= 3")).toBe(true);
    expect(holds("duration < 3")).toBe(false);
    expect(holds('http.url CONTAINS "/users/"')).toBe(true);
    expect(holds('http.url BEGINSWITH "https"')).toBe(false);
    expect(holds('http.url ENDSWITH "signup"')).toBe(true);
    expect(holds("http.url")).toBe(true);
    expect(holds('user CONTAINS ""')).toBe(false);
    expect(holds('annotation.userId = "u-1"')).toBe(true);
    expect(holds('annotation.userId != "u-1"')).toBe(false);
    expect(holds('annotation.userId != "u-2"')).toBe(true);
    expect(holds("annotation.attempts > 2 AND annotation.attempts < 4")).toBe(true);
    expect(holds('annotation.attempts = "3"')).toBe(false);
    expect(holds("annotation.missing")).toBe(false);
    expect(holds("!annotation.missing")).toBe(true);
    expect(holds('annotation.missing != "x"')).toBe(true);
  });

  test("service() and edge() reach the trace's nodes, their filter the node's segments", () => {
    expect(holds('service("UsersSignup")')).toBe(true);
    expect(holds('service("Nope")')).toBe(false);
    expect(holds('service("UsersSignup") { fault }')).toBe(true);
    expect(holds('service("UsersSignup") { error }')).toBe(false);
    expect(holds("service() { error }")).toBe(true);
    expect(holds('service(id(type: "AWS::DynamoDB::Table")) { responsetime > 0.1 }')).toBe(true);
    expect(holds('service(id(name: "UsersSignup", type: "AWS::DynamoDB::Table"))')).toBe(false);
    expect(holds('edge("UsersSignup", "UsersTable") { error }')).toBe(true);
    expect(holds('edge("UsersTable", "UsersSignup")')).toBe(false);
    expect(holds('ok AND !service("Nope") OR fault')).toBe(true);
  });
});
