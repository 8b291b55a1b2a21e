import fc from "fast-check";
import type * as v from "valibot";
import { describe, expect, test } from "vitest";
import { type OpenApiMethod, openApiDocument } from "../../local/devtools/openapi.js";
import { services } from "../../services/index.js";
import { validatePart } from "../../shared/http/index.js";
import { buildTopology } from "../../shared/topology/index.js";
import { acceptedValues, accepts, casesOf, type JsonSchema } from "../support/schemaCases.js";

/**
 * The fuzz suite's input generator against the schemas the handlers really validate with: every route's documented
 * body, query and path schema turned into cases, each case parsed by the route's own valibot schema. A value the
 * document accepts must pass, a value it refuses must fail at exactly the fields the case names: the document
 * tells a client the truth, and the generator reads it right.
 */

const topology = buildTopology(services);
const SEED = 20261201;

type Part = "body" | "query" | "path";

interface PartUnderTest {
  readonly name: string;
  readonly json: JsonSchema;
  readonly valibot: v.GenericSchema;
}

/** Each route's parts with a schema: the document's JSON Schema (query and path rebuilt from the parameters). */
function partsOf(): PartUnderTest[] {
  const parts: PartUnderTest[] = [];
  for (const route of topology.routes) {
    const operation = openApiDocument(topology, route.service)?.paths[route.path]?.[
      route.method.toLowerCase() as OpenApiMethod
    ];
    const schemas = route.definition.schemas ?? {};
    for (const part of ["body", "query", "path"] as const satisfies readonly Part[]) {
      const valibot = schemas[part];
      if (!valibot || !operation) continue;
      const json: JsonSchema =
        part === "body"
          ? (operation.requestBody?.content["application/json"]?.schema ?? {})
          : {
              type: "object",
              properties: Object.fromEntries(
                (operation.parameters ?? []).filter((p) => p.in === part).map((p) => [p.name, p.schema]),
              ),
              required: (operation.parameters ?? []).filter((p) => p.in === part && p.required).map((p) => p.name),
            };
      parts.push({ name: `${route.method} ${route.fullPath} ${part}`, json, valibot });
    }
  }
  return parts;
}

/** The fields request validation names for `value` (dotted from the part, as `errors[].path` is from its location). */
function violatedFields(schema: v.GenericSchema, value: unknown): string[] {
  const checked = validatePart("part", schema, value);
  if ("output" in checked) return [];
  return [...new Set(checked.errors.map((error) => error.path.replace(/^part\.?/, "")))].sort();
}

/** Query and path values are strings on the wire: only string cases apply to them. */
const wireable = (name: string, value: unknown) =>
  name.endsWith(" body") ||
  (typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((field) => typeof field === "string"));

describe.each(partsOf())("$name", ({ name, json, valibot }) => {
  test("every value the document accepts passes the route's schema", () => {
    fc.assert(
      fc.property(acceptedValues(json), (value) => {
        expect(accepts(json, value)).toBe(true);
        expect(violatedFields(valibot, value)).toEqual([]);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  test("each limit and each violation: the route's schema agrees, at exactly the fields named", () => {
    const base = fc.sample(acceptedValues(json, { complete: true }), { numRuns: 1, seed: SEED })[0];
    const cases = casesOf(json, base).filter((c) => wireable(name, c.value));
    expect(cases.filter((c) => c.violated.length > 0).length).toBeGreaterThan(0);
    for (const c of cases) {
      expect(violatedFields(valibot, c.value), `${c.label}: ${JSON.stringify(c.value).slice(0, 200)}`).toEqual(
        [...c.violated].sort(),
      );
    }
  });
});

describe("the generator itself", () => {
  const schema: JsonSchema = {
    type: "object",
    properties: {
      name: { type: "string", minLength: 1, maxLength: 3 },
      count: { type: "integer", minimum: 0, maximum: 9 },
      tags: { type: "array", items: { type: "string", pattern: "^[a-z]{1,4}$" }, maxItems: 2 },
      kind: { enum: ["a", "b"], type: "string" },
      note: { anyOf: [{ type: "string", maxLength: 2 }, { type: "null" }] },
    },
    required: ["name", "count"],
    additionalProperties: false,
  };
  const base = { name: "ab", count: 1, tags: ["x"], kind: "a", note: null };
  const cases = casesOf(schema, base);
  const labelled = (label: string) => cases.find((c) => c.label === label);

  test("limits: at each is accepted, past each names the field", () => {
    expect(labelled("name: 3 characters (maxLength)")).toMatchObject({ value: { name: "xxx" }, violated: [] });
    expect(labelled("name: 4 characters")).toMatchObject({ value: { name: "xxxx" }, violated: ["name"] });
    expect(labelled("name: 0 characters")).toMatchObject({ violated: ["name"] });
    expect(labelled("count: 9 (maximum)")).toMatchObject({ violated: [] });
    expect(labelled("count: past 9")).toMatchObject({ value: { count: 10 }, violated: ["count"] });
    expect(labelled("count: -1")).toMatchObject({ violated: ["count"] });
    expect(labelled("tags: 3 items")).toMatchObject({ violated: ["tags"] });
    expect(labelled("note: 3 characters")).toMatchObject({ violated: ["note"] });
  });

  test("violations: wrong types, patterns, enums, array items, missing and unknown fields, two at once", () => {
    expect(labelled("name: a number")).toMatchObject({ value: { name: 42 }, violated: ["name"] });
    expect(labelled("note: null")).toMatchObject({ violated: [] }); // null is one of its branches
    expect(labelled("kind: not in the enum")).toMatchObject({ value: { kind: "a-not" }, violated: ["kind"] });
    expect(cases.find((c) => c.label.startsWith("tags: item not matching"))).toMatchObject({ violated: ["tags.0"] });
    expect(labelled("count missing")).toMatchObject({ violated: ["count"] });
    expect(labelled("every required field missing")).toMatchObject({ value: {}, violated: ["name", "count"] });
    expect(labelled("an unknown field")).toMatchObject({ violated: ["unexpectedField"] });
    expect(cases.filter((c) => c.violated.length === 2)).toHaveLength(2);
    for (const c of cases) expect(accepts(schema, c.value), c.label).toBe(c.violated.length === 0);
  });

  test("valid values respect every keyword, and are reproducible from the seed", () => {
    const sample = () => fc.sample(acceptedValues(schema), { numRuns: 100, seed: SEED });
    for (const value of sample()) expect(accepts(schema, value), JSON.stringify(value)).toBe(true);
    expect(sample()).toEqual(sample());
  });
});
