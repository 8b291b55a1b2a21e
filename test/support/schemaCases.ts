import fc from "fast-check";

/**
 * JSON Schema (the subset the OpenAPI documents use) turned into test input: values a schema accepts (fast-check
 * arbitraries), values at each of its limits, and values that break it, each with the fields it breaks. The fuzz
 * suite reads the schemas from the running system's own documents, so every route is fuzzed from what it promises.
 */

export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly default?: unknown;
}

/** A value for a schema, with the fields (dotted, relative to the value; `""` is the value itself) it violates. */
export interface SchemaCase {
  readonly label: string;
  readonly value: unknown;
  /** Empty: the schema accepts the value. */
  readonly violated: readonly string[];
}

/** How long a generated string may be when the schema sets no bound (the limits themselves are tested apart). */
const FREE_LENGTH = 24;

// What `format` promises, checked as a careful client would before sending.
const FORMATS: Readonly<Record<string, RegExp>> = {
  email: /^[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[a-z0-9]+(?:[.-][a-z0-9]+)*\.[a-z]{2,}$/i,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  uri: /^[a-z][a-z0-9+.-]*:\S+$/i,
  "date-time": /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
};

const FORMAT_VIOLATIONS: Readonly<Record<string, readonly string[]>> = {
  email: ["not-an-email", "a@", "@example.com", "a b@example.com"],
  uuid: ["not-a-uuid", "00000000-0000-0000-0000-00000000000g"],
  uri: ["not a uri"],
  "date-time": ["yesterday", "2026-13-01T00:00:00Z"],
};

/** Strings that break patterns: empty, blank, punctuation, traversal, control characters, numbers past a range. */
const PATTERN_CANDIDATES = [
  "",
  " ",
  "!",
  "a b",
  "../x",
  "x\u0000y",
  "ü",
  "0",
  "-1",
  "1.5",
  "1e2",
  "101",
  "1000000",
  "x".repeat(65),
  "x".repeat(300),
  "usd",
];

/** A value of each JSON type, to send where another type is expected. */
const WRONG_TYPES: readonly [string, unknown][] = [
  ["a number", 42],
  ["a fraction", 1.5],
  ["a string", "text"],
  ["a boolean", true],
  ["null", null],
  ["an object", { nested: 1 }],
  ["an array", ["x"]],
];

const typesOf = (schema: JsonSchema): readonly string[] =>
  schema.type === undefined ? [] : typeof schema.type === "string" ? [schema.type] : schema.type;

const lengthOf = (text: string): number => [...text].length;

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    default:
      return true;
  }
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Whether `schema` accepts `value`, for the keywords above (lengths in code points, as JSON Schema counts them).
 *
 * @example
 * ```ts
 * accepts({ type: "string", maxLength: 3 }, "abcd"); // false
 * ```
 */
export function accepts(schema: JsonSchema, value: unknown): boolean {
  if (schema.anyOf && !schema.anyOf.some((branch) => accepts(branch, value))) return false;
  if (schema.oneOf && schema.oneOf.filter((branch) => accepts(branch, value)).length !== 1) return false;
  if ("const" in schema && !sameJson(schema.const, value)) return false;
  if (schema.enum && !schema.enum.some((member) => sameJson(member, value))) return false;
  const types = typesOf(schema);
  if (types.length > 0 && !types.some((type) => typeMatches(type, value))) return false;
  if (typeof value === "string") {
    if (schema.minLength !== undefined && lengthOf(value) < schema.minLength) return false;
    if (schema.maxLength !== undefined && lengthOf(value) > schema.maxLength) return false;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) return false;
    const format = schema.format === undefined ? undefined : FORMATS[schema.format];
    if (format && !format.test(value)) return false;
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) return false;
    if (schema.maximum !== undefined && value > schema.maximum) return false;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) return false;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return false;
    if (schema.uniqueItems && new Set(value.map((item) => JSON.stringify(item))).size !== value.length) return false;
    if (schema.items && !value.every((item) => accepts(schema.items as JsonSchema, item))) return false;
  }
  if (typeMatches("object", value) && (schema.properties || schema.required || schema.additionalProperties === false)) {
    const record = value as Record<string, unknown>;
    const properties = schema.properties ?? {};
    for (const name of schema.required ?? []) if (!Object.hasOwn(record, name)) return false;
    for (const [name, item] of Object.entries(record)) {
      const property = Object.hasOwn(properties, name) ? properties[name] : undefined;
      if (property ? !accepts(property, item) : schema.additionalProperties === false) return false;
    }
  }
  return true;
}

/**
 * Characters for free text: printable ASCII, with some letters and symbols beyond it, all in the BMP, where a
 * JSON Schema length (code points) and a valibot length (UTF-16 code units) agree. Beyond the BMP they do not: 64
 * emoji are 64 characters to the document and 128 to `v.maxLength(64)`.
 */
const TEXT_UNIT = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom("é", "ß", "中", "Ж", "€", "✓", "ñ", "\t", "\n", '"', "\\", "<", "%") },
);

const emailArbitrary = (maxLength: number): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.stringMatching(/^[a-z0-9]{1,12}(\.[a-z0-9+_-]{1,6})?$/),
      fc.stringMatching(/^[a-z0-9]{1,10}$/),
      fc.constantFrom("com", "org", "dev", "example"),
    )
    .map(([local, domain, tld]) => `fuzz.${local}@${domain}.${tld}`)
    .filter((email) => email.length <= maxLength);

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? FREE_LENGTH, minLength + FREE_LENGTH));
  const fits = (text: string) => accepts({ ...schema, type: "string" }, text);
  switch (schema.format) {
    case "email":
      return emailArbitrary(schema.maxLength ?? 254).filter(fits);
    case "uuid":
      return fc.uuid().filter(fits);
    case "uri":
      return fc.webUrl().filter(fits);
    case "date-time":
      return fc
        .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true })
        .map((date) => date.toISOString())
        .filter(fits);
  }
  if (schema.pattern?.startsWith("^") && schema.pattern.endsWith("$"))
    return fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
  return fc.string({ unit: TEXT_UNIT, minLength, maxLength }).filter(fits);
}

function integerArbitrary(schema: JsonSchema): fc.Arbitrary<number> {
  const min = BigInt(Math.ceil(schema.minimum ?? -1_000_000));
  const max = BigInt(Math.floor(schema.maximum ?? 1_000_000));
  return fc
    .oneof(
      { weight: 3, arbitrary: fc.bigInt({ min, max: min + 1000n < max ? min + 1000n : max }) },
      { weight: 1, arbitrary: fc.bigInt({ min, max }) },
    )
    .map(Number);
}

/**
 * Values `schema` accepts: every property of an object present or not as `required` says (`complete` puts each
 * one in), strings within their lengths, pattern and format, numbers within their range, arrays within their counts.
 *
 * @example
 * ```ts
 * fc.sample(acceptedValues({ type: "integer", minimum: 1, maximum: 3 }), 5); // e.g. [1, 3, 2, 2, 1]
 * ```
 */
export function acceptedValues(
  schema: JsonSchema,
  { complete = false }: { complete?: boolean } = {},
): fc.Arbitrary<unknown> {
  if ("const" in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return fc.oneof(...branches.map((branch) => acceptedValues(branch).filter((v) => accepts(schema, v))));
  const [type = "string"] = typesOf(schema);
  switch (type) {
    case "string":
      return stringArbitrary(schema);
    case "integer":
      return integerArbitrary(schema);
    case "number":
      return fc.double({
        min: schema.minimum ?? -1e6,
        max: schema.maximum ?? 1e6,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array": {
      const item = acceptedValues(schema.items ?? {});
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) };
      return schema.uniqueItems
        ? fc.uniqueArray(item, { ...constraints, selector: (v) => JSON.stringify(v) })
        : fc.array(item, constraints);
    }
    case "object": {
      const properties = schema.properties ?? {};
      const model = Object.fromEntries(
        Object.entries(properties).map(([name, p]) => [name, acceptedValues(p, { complete })]),
      );
      return fc.record(model, { requiredKeys: complete ? Object.keys(properties) : [...(schema.required ?? [])] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** The `n`-character string `schema` accepts, built from one repeated character that fits its pattern and format. */
function stringOfLength(schema: JsonSchema, n: number): string | undefined {
  if (schema.format === "email") {
    const domain = "@example.com";
    return n > domain.length ? `${"a".repeat(n - domain.length)}${domain}` : undefined;
  }
  for (const c of ["x", "a", "A", "0", "é"]) {
    const text = c.repeat(n);
    if (schema.pattern === undefined || new RegExp(schema.pattern, "u").test(text)) return text;
  }
  return undefined;
}

/** Values at each of `schema`'s own limits and just past them (the past ones violate `""`). */
function limitCases(schema: JsonSchema): SchemaCase[] {
  const cases: SchemaCase[] = [];
  const add = (label: string, value: unknown) => {
    if (value !== undefined) cases.push({ label, value, violated: accepts(schema, value) ? [] : [""] });
  };
  const types = typesOf(schema);
  if (types.includes("string")) {
    if (schema.minLength !== undefined) {
      add(`${schema.minLength} characters (minLength)`, stringOfLength(schema, schema.minLength));
      if (schema.minLength > 0) add(`${schema.minLength - 1} characters`, stringOfLength(schema, schema.minLength - 1));
    }
    if (schema.maxLength !== undefined) {
      add(`${schema.maxLength} characters (maxLength)`, stringOfLength(schema, schema.maxLength));
      add(`${schema.maxLength + 1} characters`, stringOfLength(schema, schema.maxLength + 1));
    }
  }
  if (types.includes("integer") || types.includes("number")) {
    const step = types.includes("integer") ? 1 : 0.5;
    if (schema.minimum !== undefined) {
      add(`${schema.minimum} (minimum)`, schema.minimum);
      add(`${schema.minimum - step}`, schema.minimum - step);
    }
    if (schema.maximum !== undefined) {
      add(`${schema.maximum} (maximum)`, schema.maximum);
      // Past MAX_SAFE_INTEGER, + 1 is not another number: step by enough to leave the range.
      add(`past ${schema.maximum}`, schema.maximum + Math.max(step, Number.EPSILON * Math.abs(schema.maximum) * 2));
    }
  }
  if (types.includes("array")) {
    const item = acceptedValues(schema.items ?? {});
    const distinct = (n: number): unknown[] | undefined =>
      fc.sample(fc.uniqueArray(item, { minLength: n, maxLength: n, selector: (v) => JSON.stringify(v) }), {
        numRuns: 1,
        seed: 7,
      })[0];
    if (schema.maxItems !== undefined) {
      add(`${schema.maxItems} items (maxItems)`, distinct(schema.maxItems));
      add(`${schema.maxItems + 1} items`, distinct(schema.maxItems + 1));
    }
    if (schema.minItems !== undefined && schema.minItems > 0)
      add(`${schema.minItems - 1} items`, distinct(schema.minItems - 1));
  }
  if (schema.enum) for (const member of schema.enum) add(`enum ${JSON.stringify(member)}`, member);
  return cases;
}

/** Values that break `schema` by type, pattern, format, enum or const (each violates `""`). */
function shapeViolations(schema: JsonSchema): SchemaCase[] {
  const types = typesOf(schema);
  // A value of another type only: an object missing its fields is a case of its own (see casesOf).
  const candidates: [string, unknown][] = WRONG_TYPES.filter(
    ([, value]) => !types.some((type) => typeMatches(type, value)),
  );
  if (types.includes("string") || schema.pattern || schema.format) {
    if (schema.pattern)
      for (const text of PATTERN_CANDIDATES) candidates.push([`not matching ${schema.pattern}`, text]);
    for (const text of FORMAT_VIOLATIONS[schema.format ?? ""] ?? []) candidates.push([`not a ${schema.format}`, text]);
  }
  if (schema.enum) {
    const first = String(schema.enum[0]);
    candidates.push(["not in the enum", `${first}-not`], ["the enum in upper case", first.toUpperCase()]);
  }
  if ("const" in schema) candidates.push(["not the const", `${String(schema.const)}-not`]);
  return candidates
    .filter(([, value]) => !accepts(schema, value))
    .map(([label, value]) => ({ label, value, violated: [""] }));
}

const joinPath = (parent: string, child: string): string =>
  parent === "" ? child : child === "" ? parent : `${parent}.${child}`;

/**
 * Values at and past each limit of `schema` and values that break it, each naming the fields it violates: a field's
 * own violations, an array item's (`tags.0`), and for an object each property's in turn (the rest of `base` kept),
 * each required property missing, all of them missing, an unknown property where `additionalProperties` is false,
 * and two fields broken at once.
 *
 * @example
 * ```ts
 * casesOf({ type: "object", properties: { name: { type: "string", maxLength: 2 } }, required: ["name"] }, { name: "a" })
 * // [..., { label: "name: 3 characters", value: { name: "xxx" }, violated: ["name"] }, ...]
 * ```
 */
export function casesOf(schema: JsonSchema, base?: unknown): SchemaCase[] {
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const seen = new Set<string>();
    return branches
      .flatMap((branch) => casesOf(branch, base))
      .map((c) => ({ ...c, violated: accepts(schema, c.value) ? [] : c.violated.length > 0 ? c.violated : [""] }))
      .filter((c) => {
        const key = JSON.stringify(c.value);
        return !seen.has(key) && seen.add(key) !== undefined;
      });
  }
  const cases = [...limitCases(schema), ...shapeViolations(schema)];
  if (typesOf(schema).includes("array") && schema.items) {
    const item = fc.sample(acceptedValues(schema.items), { numRuns: 1, seed: 3 })[0];
    for (const c of casesOf(schema.items, item))
      if (c.violated.length > 0)
        cases.push({ label: `item ${c.label}`, value: [c.value], violated: c.violated.map((p) => joinPath("0", p)) });
  }
  if (typesOf(schema).includes("object") && typeMatches("object", base)) {
    const record = base as Record<string, unknown>;
    const properties = schema.properties ?? {};
    const fieldCases = Object.entries(properties).flatMap(([name, property]) =>
      casesOf(property, record[name]).map((c) => ({
        label: `${name}: ${c.label}`,
        value: { ...record, [name]: c.value },
        violated: c.violated.map((p) => joinPath(name, p)),
      })),
    );
    cases.push(...fieldCases);
    const required = schema.required ?? [];
    for (const name of required) {
      const { [name]: _missing, ...rest } = record;
      cases.push({ label: `${name} missing`, value: rest, violated: [name] });
    }
    if (required.length > 1) cases.push({ label: "every required field missing", value: {}, violated: [...required] });
    if (schema.additionalProperties === false) {
      cases.push({
        label: "an unknown field",
        value: { ...record, unexpectedField: 1 },
        violated: ["unexpectedField"],
      });
    }
    const broken = fieldCases.filter((c) => c.violated.length === 1 && Object.hasOwn(properties, c.violated[0] ?? ""));
    const [first, second] = [broken[0], broken.find((c) => c.violated[0] !== broken[0]?.violated[0])];
    if (first && second) {
      const [a = "", b = ""] = [first.violated[0], second.violated[0]];
      const value = {
        ...record,
        [a]: (first.value as Record<string, unknown>)[a],
        [b]: (second.value as Record<string, unknown>)[b],
      };
      cases.push({ label: `${first.label} and ${second.label}`, value, violated: [a, b] });
    }
  }
  return cases.filter((c) => (c.violated.length === 0) === accepts(schema, c.value));
}
