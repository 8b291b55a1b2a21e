import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { services } from "../../services/index.js";
import { buildTopology, type RouteNode } from "../../shared/topology/index.js";
import { type DevServer, startDev } from "../support/devServer.js";
import {
  type ApiUser,
  bodySchemaOf,
  type DocumentedOperation,
  documentedOperations,
  documents,
  expectSane,
  fillPath,
  KnownResources,
  needsToken,
  parametersIn,
  type RawReply,
  type RawRequest,
  send,
  signUpUser,
} from "../support/documentedApi.js";
import { acceptedValues, casesOf, type JsonSchema, type SchemaCase } from "../support/schemaCases.js";

/**
 * Every route fuzzed from its own OpenAPI document, over the wire against a real `npm run dev`: the operations and
 * their schemas come from `GET /docs/{service}.json`, so a new route is fuzzed as soon as it is declared. Each route
 * gets the values its schemas accept (at random and at each limit), values past each limit and of the wrong type,
 * missing and unknown fields, huge, deep and malformed bodies, wrong content types, bad query and path values and
 * abused headers. Whatever is sent: never a 5xx, nothing of the server's insides, a problem+json on every 4xx, every
 * field a 400 refuses named in `errors`, and a value the document accepts never refused as a 400.
 *
 * Reproduce a run with `FUZZ_SEED=<seed> npx vitest run test/e2e/fuzz.test.ts` (the seed is printed on failure).
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_201);
/** Random cases per route beside the enumerated ones: accepted values, and several fields broken at once. */
const RANDOM_VALID = 12;
const RANDOM_BROKEN = 6;
/** Requests in flight at once for one route's enumerated cases. */
const PARALLEL = 4;
/** The contract's body limit. */
const BODY_LIMIT = 64 * 1024;
/**
 * The contract's pagination convention: `cursor` is opaque, only a `nextCursor` the API handed out is one ("a cursor
 * that was tampered with is a 400"), so no schema can say which strings are valid; any other value is refused.
 */
const OPAQUE_QUERY = "cursor";

type Expectation =
  /** A request the document accepts: a documented answer, never a 400 (nor a 401 with a real token). */
  | { readonly kind: "valid" }
  /** A schema violation: 400 (or the route's own 413/415) naming exactly these fields. */
  | { readonly kind: "violation"; readonly fields: readonly string[] }
  | { readonly kind: "status"; readonly statuses: readonly number[] }
  /** A bad value of these fields: a 400 naming only them, or a 404. */
  | { readonly kind: "refused"; readonly fields: readonly string[] }
  /** Abuse the document says nothing about: any documented answer (never `not`); a 400 names only request fields. */
  | { readonly kind: "documented"; readonly not?: number };

interface FuzzCase {
  readonly label: string;
  readonly request: RawRequest;
  readonly expect: Expectation;
}

/** What a request is made of, before it is written out. */
interface Parts {
  readonly path: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly headers?: readonly (readonly [string, string])[];
}

const topology = buildTopology(services);
// Creates first, so that reads, updates and nested creates find real resources; deletes last.
const METHOD_ORDER: Readonly<Record<string, number>> = { POST: 0, PUT: 1, GET: 2, PATCH: 3, DELETE: 4 };
const depth = (route: RouteNode) => route.fullPath.split("/").length;
const routes = [...topology.routes].sort(
  (a, b) => (METHOD_ORDER[a.method] ?? 9) - (METHOD_ORDER[b.method] ?? 9) || depth(a) - depth(b),
);

let dev: DevServer;
let operations: DocumentedOperation[];
let user: ApiUser;
/** What the API answered with (its ids fill path parameters), and the cursors it handed out, by route. */
const known = new KnownResources();
const cursors = new Map<string, { query: Record<string, string>; cursor: string }[]>();

beforeAll(async () => {
  dev = await startDev();
  operations = await documentedOperations(dev);
  user = await signUpUser(dev, "Fuzzer");
  known.remember({ userId: user.userId });
}, 120_000);
afterAll(async () => {
  await dev?.stop();
});

test("the documents list exactly the topology's routes", () => {
  expect(operations.map((o) => o.name).sort()).toEqual(routes.map((r) => `${r.method} ${r.fullPath}`).sort());
});

const joinField = (location: string, path: string) => (path === "" ? location : `${location}.${path}`);

const seedOf = (name: string): number => {
  let hash = SEED;
  for (const c of name) hash = (Math.imul(hash, 31) + c.charCodeAt(0)) | 0;
  return hash;
};

/** The query parameters as one object schema (all strings on the wire). */
function querySchemaOf(op: DocumentedOperation): JsonSchema {
  const parameters = parametersIn(op.operation, "query").filter((p) => p.name !== OPAQUE_QUERY);
  return {
    type: "object",
    properties: Object.fromEntries(parameters.map((p) => [p.name, p.schema as JsonSchema])),
    required: parameters.filter((p) => p.required).map((p) => p.name),
  };
}

const pathNames = (op: DocumentedOperation) => parametersIn(op.operation, "path").map((p) => p.name);
const pathSchema = (op: DocumentedOperation, name: string): JsonSchema =>
  (parametersIn(op.operation, "path").find((p) => p.name === name)?.schema ?? { type: "string" }) as JsonSchema;

/** Path values: those of something the API answered with (all the names at once), or generated ones. */
function pathValues(op: DocumentedOperation): fc.Arbitrary<Record<string, string>> {
  const names = pathNames(op);
  const generated = fc.record(
    Object.fromEntries(names.map((name) => [name, acceptedValues(pathSchema(op, name)) as fc.Arbitrary<string>])),
  );
  const found = known.withAll(names);
  return names.length > 0 && found.length > 0
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...found.slice(-8)) }, { weight: 1, arbitrary: generated })
    : generated;
}

function validParts(op: DocumentedOperation): fc.Arbitrary<Parts> {
  const body = bodySchemaOf(op.operation);
  const handedOut = cursors.get(op.name) ?? [];
  const query =
    handedOut.length > 0
      ? fc.oneof(
          acceptedValues(querySchemaOf(op)),
          fc.constantFrom(...handedOut).map(({ query, cursor }) => ({ ...query, [OPAQUE_QUERY]: cursor })),
        )
      : acceptedValues(querySchemaOf(op));
  const idempotent = parametersIn(op.operation, "header").some((p) => p.name === "idempotency-key");
  return fc.record({
    path: pathValues(op),
    query: query as fc.Arbitrary<Record<string, string>>,
    body: body ? acceptedValues(body) : fc.constant(undefined),
    headers: idempotent
      ? fc.option(
          fc.uuid().map((key) => [["idempotency-key", key] as const]),
          { nil: [] },
        )
      : fc.constant([]),
  });
}

/** The request for `parts`: JSON with its content type, the fuzzing user's token where the route needs one. */
function requestOf(op: DocumentedOperation, parts: Parts, overrides: Partial<RawRequest> = {}): RawRequest {
  const search = new URLSearchParams(parts.query).toString();
  const body = parts.body === undefined ? undefined : JSON.stringify(parts.body);
  return {
    method: op.method,
    path: `${fillPath(op.path, parts.path)}${search ? `?${search}` : ""}`,
    headers: [
      ...(body !== undefined ? [["content-type", "application/json"] as const] : []),
      ...(needsToken(op.operation) ? [["authorization", `Bearer ${user.accessToken}`] as const] : []),
      ...(parts.headers ?? []),
    ],
    ...(body !== undefined ? { body } : {}),
    ...overrides,
  };
}

const withHeaders = (request: RawRequest, headers: readonly (readonly [string, string])[], drop: string[] = []) => ({
  ...request,
  headers: [...(request.headers ?? []).filter(([name]) => !drop.includes(name)), ...headers],
});

const fromSchemaCase = (location: string, c: SchemaCase): Expectation =>
  c.violated.length === 0
    ? { kind: "valid" }
    : { kind: "violation", fields: c.violated.map((p) => joinField(location, p)) };

/** A JSON text of exactly `size` bytes: `body` with one string field padded. */
function paddedJson(body: unknown, size: number): string {
  const empty = JSON.stringify({ ...(body as object), padding: "" });
  return empty.replace('"padding":""', `"padding":"${"x".repeat(Math.max(0, size - Buffer.byteLength(empty)))}"`);
}

function bodyCases(op: DocumentedOperation, base: Parts): FuzzCase[] {
  const schema = bodySchemaOf(op.operation);
  if (!schema) {
    return [
      {
        label: "an unasked-for JSON body",
        request: requestOf(op, { ...base, body: { a: 1 } }),
        expect: { kind: "valid" },
      },
      // A route that reads no body may refuse a huge one (413) or never look at it (a cached GET at the edge).
      {
        label: `a body of ${BODY_LIMIT + 1} bytes`,
        request: requestOf(op, base, { body: paddedJson({}, BODY_LIMIT + 1) }),
        expect: { kind: "documented" },
      },
    ];
  }
  /** `body` as is, with `application/json` or else exactly the `content-type` headers given (none for `[]`). */
  const raw = (label: string, body: string | Buffer, expect: Expectation, contentTypes?: readonly string[]) => ({
    label,
    request: contentTypes
      ? withHeaders(
          requestOf(op, base, { body }),
          contentTypes.map((type) => ["content-type", type] as const),
          ["content-type"],
        )
      : requestOf(op, base, { body }),
    expect,
  });
  const json = JSON.stringify(base.body);
  const malformed: Expectation = { kind: "status", statuses: [400] };
  const unsupported: Expectation = { kind: "status", statuses: [415] };
  return [
    ...casesOf(schema, base.body).map((c) => ({
      label: `body ${c.label}`,
      request: requestOf(op, { ...base, body: c.value }),
      expect: fromSchemaCase("body", c),
    })),
    raw("no body", "", malformed),
    raw("truncated JSON", json.slice(0, -1), malformed),
    raw("single quotes", json.replaceAll('"', "'"), malformed),
    raw("a trailing comma", json.replace(/}$/, ",}"), malformed),
    raw("two JSON texts", `${json}${json}`, malformed),
    raw("not UTF-8", Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), malformed),
    raw("10,000 nested objects", `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`, malformed),
    raw("10,000 nested arrays", `${"[".repeat(10_000)}${"]".repeat(10_000)}`, malformed),
    raw(`a body of ${BODY_LIMIT + 1} bytes`, paddedJson(base.body, BODY_LIMIT + 1), {
      kind: "status",
      statuses: [413],
    }),
    raw("a body of 1 MiB", paddedJson(base.body, 1024 * 1024), { kind: "status", statuses: [413] }),
    raw(`a body of exactly ${BODY_LIMIT} bytes`, paddedJson(base.body, BODY_LIMIT), { kind: "documented", not: 413 }),
    raw("content-type text/plain", json, unsupported, ["text/plain"]),
    raw("content-type application/xml", json, unsupported, ["application/xml"]),
    raw("a form", "a=1&b=2", unsupported, ["application/x-www-form-urlencoded"]),
    raw("multipart", json, unsupported, ["multipart/form-data; boundary=x"]),
    raw("JSON in latin-1", json, unsupported, ["application/json; charset=iso-8859-1"]),
    raw("application/jsonx", json, unsupported, ["application/jsonx"]),
    raw("no content-type", json, { kind: "valid" }, []),
    raw("APPLICATION/JSON; charset=UTF-8", json, { kind: "valid" }, ["APPLICATION/JSON; charset=UTF-8"]),
    raw("two content-type headers", json, { kind: "documented" }, ["application/json", "text/plain"]),
  ];
}

/** Strings that are no value of any parameter: too long, traversal, bad and broken percent-encodings. */
const PATH_ABUSE = [
  "x".repeat(3000),
  "%",
  "%zz",
  "%E0%A4%A",
  "%00",
  "%2F",
  "a%2Fb",
  "%252e%252e",
  "a%20b",
  "%3Cscript%3E",
  "%C3%BC",
  "..",
  "%2e%2e",
  "a;b",
  "a%0D%0Ab",
];

function pathCases(op: DocumentedOperation, base: Parts): FuzzCase[] {
  return pathNames(op).flatMap((name) => {
    const field = `path.${name}`;
    const single: JsonSchema = { type: "object", properties: { [name]: pathSchema(op, name) }, required: [name] };
    const fromSchema = casesOf(single, { [name]: base.path[name] })
      .map((c) => ({ c, value: (c.value as Record<string, unknown> | null)?.[name] }))
      .filter(({ value }) => typeof value === "string" && value !== "" && !value.includes("/"))
      .map(({ c, value }) => ({
        label: `path ${c.label}`,
        request: requestOf(op, { ...base, path: { ...base.path, [name]: String(value) } }),
        expect: fromSchemaCase("path", c),
      }));
    const abuse = PATH_ABUSE.map((raw) => {
      const request = requestOf(op, base);
      const encoded = encodeURIComponent(base.path[name] ?? "");
      const segments = request.path.split("?")[0]?.split("/") ?? [];
      segments.splice(segments.lastIndexOf(encoded), 1, raw);
      return {
        label: `path ${name} = ${raw.slice(0, 24)}`,
        request: { ...request, path: segments.join("/") },
        expect: { kind: "refused", fields: [field] } as const,
      };
    });
    return [...fromSchema, ...abuse];
  });
}

function queryCases(op: DocumentedOperation, base: Parts): FuzzCase[] {
  const names = parametersIn(op.operation, "query").map((p) => p.name);
  if (names.length === 0) return [];
  const schema = querySchemaOf(op);
  const wireable = (value: unknown) =>
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((field) => typeof field === "string");
  const withQuery = (query: string) => ({ ...requestOf(op, base), path: `${fillPath(op.path, base.path)}?${query}` });
  const cases: FuzzCase[] = casesOf(schema, base.query)
    .filter((c) => wireable(c.value))
    .map((c) => ({
      label: `query ${c.label}`,
      request: requestOf(op, { ...base, query: c.value as Record<string, string> }),
      expect: fromSchemaCase("query", c),
    }));
  if (names.includes(OPAQUE_QUERY)) {
    const handedOut = cursors.get(op.name)?.[0];
    const forged = ["x", "AAAA", "not a cursor", "x".repeat(2048), "x".repeat(2049), "eyJrIjp7fX0"];
    if (handedOut) forged.push(`${handedOut.cursor.slice(0, -2)}${handedOut.cursor.endsWith("A") ? "BB" : "AA"}`);
    for (const cursor of forged)
      cases.push({
        label: `a forged cursor ${cursor.slice(0, 16)}`,
        request: requestOf(op, { ...base, query: { ...base.query, [OPAQUE_QUERY]: cursor } }),
        expect: { kind: "violation", fields: [`query.${OPAQUE_QUERY}`] },
      });
  }
  const [first = ""] = names;
  cases.push(
    { label: "an unknown query parameter", request: withQuery("unexpected=1"), expect: { kind: "valid" } },
    { label: `${first} twice`, request: withQuery(`${first}=1&${first}=abc`), expect: { kind: "documented" } },
    { label: "a broken percent-encoding", request: withQuery(`${first}=%E0%A4%A`), expect: { kind: "documented" } },
    { label: "a bad name encoding", request: withQuery("%zz=1"), expect: { kind: "documented" } },
    {
      label: `${first} NUL`,
      request: withQuery(`${first}=%00`),
      expect: { kind: "refused", fields: [`query.${first}`] },
    },
    {
      label: `${first} of 8,000 characters`,
      request: withQuery(`${first}=${"9".repeat(8000)}`),
      expect: { kind: "refused", fields: [`query.${first}`] },
    },
  );
  return cases;
}

function headerCases(op: DocumentedOperation, base: Parts): FuzzCase[] {
  const request = requestOf(op, base);
  const headerNames = parametersIn(op.operation, "header").map((p) => p.name);
  const cases: FuzzCase[] = [
    {
      label: "a header of 8 KiB",
      request: withHeaders(request, [["x-padding", "a".repeat(8 * 1024)]]),
      expect: { kind: "valid" },
    },
    {
      label: "many headers",
      request: withHeaders(
        request,
        Array.from({ length: 90 }, (_, i) => [`x-fuzz-${i}`, "v"] as const),
      ),
      expect: { kind: "valid" },
    },
  ];
  if (needsToken(op.operation)) {
    const refused: Expectation = { kind: "status", statuses: [401] };
    for (const authorization of [
      "Bearer",
      "Bearer ",
      "Bearer a.b.c",
      "Basic dXNlcjpwdw==",
      `Bearer ${"x".repeat(6000)}`,
    ])
      cases.push({
        label: `authorization: ${authorization.slice(0, 20)}`,
        request: withHeaders(request, [["authorization", authorization]], ["authorization"]),
        expect: refused,
      });
    cases.push({
      label: "two authorization headers",
      request: withHeaders(request, [["authorization", "Bearer a.b.c"]]),
      expect: { kind: "documented" },
    });
  } else {
    cases.push({
      label: "a bad authorization on a public route",
      request: withHeaders(request, [["authorization", "Bearer a.b.c"]]),
      expect: { kind: "valid" },
    });
  }
  if (headerNames.includes("idempotency-key")) {
    for (const key of ["not-a-uuid", "x".repeat(300), "' OR 1=1 --", `${crypto.randomUUID()}x`])
      cases.push({
        label: `idempotency-key: ${key.slice(0, 20)}`,
        request: withHeaders(request, [["idempotency-key", key]]),
        expect: { kind: "violation", fields: ["headers.idempotency-key"] },
      });
    cases.push({
      label: "two idempotency-key headers",
      request: withHeaders(request, [
        ["idempotency-key", crypto.randomUUID()],
        ["idempotency-key", crypto.randomUUID()],
      ]),
      expect: { kind: "documented" },
    });
  }
  if (headerNames.includes("if-none-match")) {
    const tags = Array.from({ length: 700 }, (_, i) => `"tag-${i}"`).join(", ");
    for (const [label, value] of [
      ["a huge if-none-match", tags],
      ["if-none-match: *", "*"],
      ["a malformed if-none-match", 'W/"unterminated, ,,, "'],
    ] as const)
      cases.push({ label, request: withHeaders(request, [["if-none-match", value]]), expect: { kind: "valid" } });
  }
  return cases;
}

/** Several fields broken at once, drawn from the single-field violations: every one of them named. */
function brokenTogether(op: DocumentedOperation, base: Parts): fc.Arbitrary<FuzzCase> | undefined {
  const schema = bodySchemaOf(op.operation);
  if (!schema || typeof base.body !== "object" || base.body === null) return undefined;
  const byField = new Map<string, SchemaCase>();
  for (const c of casesOf(schema, base.body))
    if (c.violated.length === 1 && !c.violated[0]?.includes(".") && c.violated[0] !== "")
      byField.set(c.violated[0] ?? "", byField.get(c.violated[0] ?? "") ?? c);
  const singles = [...byField.values()];
  if (singles.length < 2) return undefined;
  return fc.subarray(singles, { minLength: 2, maxLength: Math.min(3, singles.length) }).map((chosen) => {
    const body: Record<string, unknown> = { ...(base.body as Record<string, unknown>) };
    for (const c of chosen) {
      const field = c.violated[0] ?? "";
      const value = (c.value as Record<string, unknown>)[field];
      if (value === undefined) delete body[field];
      else body[field] = value;
    }
    return {
      label: `broken together: ${chosen.map((c) => c.label).join("; ")}`,
      request: requestOf(op, { ...base, body }),
      expect: { kind: "violation", fields: chosen.map((c) => `body.${c.violated[0]}`) },
    };
  });
}

const fieldsOf = (reply: RawReply) =>
  [...new Set(((reply.json as { errors?: { path: string }[] }).errors ?? []).map((e) => e.path))].sort();

/** What the API answered with, kept to fill later routes' path parameters and cursors. */
function remember(op: DocumentedOperation, request: RawRequest, reply: RawReply): void {
  if (reply.status >= 300 || typeof reply.json !== "object" || reply.json === null) return;
  known.remember(reply.json);
  const body = reply.json as { nextCursor?: unknown };
  if (typeof body.nextCursor === "string") {
    const query = Object.fromEntries(new URL(request.path, "http://x").searchParams);
    delete query[OPAQUE_QUERY];
    cursors.set(op.name, [...(cursors.get(op.name) ?? []), { query, cursor: body.nextCursor }]);
  }
}

/** Sends one case and holds its answer to the contract and to what the case expects. */
async function run(op: DocumentedOperation, c: FuzzCase, seed: number): Promise<void> {
  const reply = await send(dev.url, c.request);
  const what = `${op.name} [${c.label}] (seed ${seed}) ${c.request.method} ${c.request.path.slice(0, 160)}`;
  const context = `${what} → ${reply.status} ${reply.text.slice(0, 400)}`;
  expectSane(reply, what);
  remember(op, c.request, reply);
  const documented = documents(op.operation, reply.status);
  switch (c.expect.kind) {
    case "valid":
      expect(documented, context).toBe(true);
      expect(reply.status, context).not.toBe(400);
      if (needsToken(op.operation)) expect(reply.status, context).not.toBe(401);
      break;
    case "violation":
      expect([400, 413, 415], context).toContain(reply.status);
      expect(documented, context).toBe(true);
      expect(fieldsOf(reply), context).toEqual([...new Set(c.expect.fields)].sort());
      break;
    case "status":
      expect(c.expect.statuses, context).toContain(reply.status);
      break;
    case "refused": {
      expect([400, 404], context).toContain(reply.status);
      const fields = c.expect.fields;
      if (reply.status === 400)
        expect(
          fieldsOf(reply).every((f) => fields.includes(f)),
          context,
        ).toBe(true);
      break;
    }
    case "documented":
      expect(documented || reply.status === 404 || reply.status === 413, context).toBe(true);
      expect(reply.status, context).not.toBe(c.expect.not);
      for (const field of reply.status === 400 ? fieldsOf(reply) : [])
        expect(field, context).toMatch(/^(body|query|path|headers)(\.|$)/);
      break;
  }
}

/** `items` through `work`, `PARALLEL` at a time. */
async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < items.length && errors.length === 0) {
        const item = items[next++] as T;
        await work(item).catch((error: unknown) => errors.push(error));
      }
    }),
  );
  if (errors.length > 0) throw errors[0];
}

describe("every route, from its own schema", () => {
  test.each(routes.map((route) => `${route.method} ${route.fullPath}`))(
    "%s",
    async (name) => {
      const op = operations.find((o) => o.name === name);
      expect(op, `${name} is not in its service's document`).toBeDefined();
      if (!op) return;
      const seed = seedOf(name);
      const [base] = fc.sample(validParts(op), { numRuns: 1, seed });
      if (!base) throw new Error(`no valid request for ${name}`);
      const enumerated = [
        { label: "a valid request", request: requestOf(op, base), expect: { kind: "valid" } as const },
        ...bodyCases(op, base),
        ...queryCases(op, base),
        ...pathCases(op, base),
        ...headerCases(op, base),
      ];
      await inParallel(enumerated, (c) => run(op, c, seed));

      let randomCases = 0;
      const randomValid = validParts(op).map(
        (parts): FuzzCase => ({ label: "random valid", request: requestOf(op, parts), expect: { kind: "valid" } }),
      );
      const broken = brokenTogether(op, base);
      const random = broken
        ? fc.oneof({ weight: 2, arbitrary: randomValid }, { weight: 1, arbitrary: broken })
        : randomValid;
      await fc.assert(
        fc.asyncProperty(random, async (c) => {
          randomCases++;
          await run(op, c, seed);
        }),
        { seed, numRuns: RANDOM_VALID + (broken ? RANDOM_BROKEN : 0), endOnFailure: true },
      );
      console.log(
        `fuzz ${name}: ${enumerated.length + randomCases} cases (${enumerated.length} enumerated, ${randomCases} random), seed ${seed}`,
      );
    },
    180_000,
  );
});
