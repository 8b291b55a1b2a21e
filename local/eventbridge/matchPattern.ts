import { ipInCidr, parseCidr } from "./cidr.js";

/**
 * EventBridge event patterns, as the EventBridge user guide specifies them ("Creating event patterns", "Comparison
 * operators for use in event patterns", "Matching on multiple field values", "null values and empty strings").
 */
export type EventPattern = { [field: string]: unknown };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Numeric matching is limited to -5.0e9..+5.0e9 ("Numeric matching"). */
const NUMERIC_LIMIT = 5e9;
const LOWER_BOUNDS = new Set([">", ">="]);
const UPPER_BOUNDS = new Set(["<", "<="]);

/**
 * Whether an event matches a pattern. Fields are ANDed, values in a pattern array are ORed, and an event array
 * matches when any of its elements matches ("Matching on multiple field values"); fields absent from the pattern
 * are ignored.
 *
 * @example
 * ```ts
 * matchesPattern({ source: ["aws.ec2"], detail: { state: ["terminated"] } }, event);
 * ```
 */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    // "$or" holds alternative sub-patterns applied at the same level ("$or matching").
    if (key === "$or") return (rule as EventPattern[]).some((alternative) => matchesPattern(alternative, event));
    const present = isObject(event) && Object.hasOwn(event, key);
    const value = present ? event[key] : undefined;
    if (Array.isArray(rule)) return matchesField(rule, present, value);
    // A nested pattern object; an event array of objects matches when one element does.
    if (Array.isArray(value))
      return value.some((element) => isObject(element) && matchesPattern(rule as EventPattern, element));
    return matchesPattern(rule as EventPattern, value);
  });
}

/** Leaf values of a field: event arrays are flattened and objects are not leaves ("Exists matching"). */
function leafValues(present: boolean, value: unknown): unknown[] {
  if (!present) return [];
  const values = Array.isArray(value) ? value.flat(Number.POSITIVE_INFINITY) : [value];
  return values.filter((element) => !isObject(element));
}

function matchesField(conditions: unknown[], present: boolean, value: unknown): boolean {
  const leaves = leafValues(present, value);
  return conditions.some((condition) => {
    // Exists matching works on leaf nodes only: a missing field, an empty array or an object value "does not exist";
    // null and "" do exist.
    if (isObject(condition) && "exists" in condition) return condition.exists === leaves.length > 0;
    return leaves.some((leaf) => matchesCondition(condition, leaf));
  });
}

function matchesCondition(condition: unknown, value: unknown): boolean {
  if (!isObject(condition)) return equalsExactly(condition, value);
  const [operator, operand] = Object.entries(condition)[0] ?? [];
  switch (operator) {
    case "prefix":
      return typeof value === "string" && matchesAffix(operand, value, (v, a) => v.startsWith(a));
    case "suffix":
      return typeof value === "string" && matchesAffix(operand, value, (v, a) => v.endsWith(a));
    case "equals-ignore-case":
      return typeof value === "string" && value.toLowerCase() === String(operand).toLowerCase();
    case "wildcard":
      return typeof value === "string" && wildcardToRegExp(String(operand)).test(value);
    case "numeric":
      return typeof value === "number" && matchesNumeric(operand as unknown[], value);
    case "cidr":
      return typeof value === "string" && ipInCidr(value, String(operand));
    case "anything-but":
      return matchesAnythingBut(operand, value);
    default:
      return false;
  }
}

/** Strings match character for character; numbers compare by value (3.018e2 equals 301.8); null matches only null. */
function equalsExactly(expected: unknown, value: unknown): boolean {
  return expected === value;
}

/** `prefix`/`suffix` take a string or `{ "equals-ignore-case": string }` ("Prefix matching while ignoring case"). */
function matchesAffix(operand: unknown, value: string, test: (value: string, affix: string) => boolean): boolean {
  if (isObject(operand)) return test(value.toLowerCase(), String(operand["equals-ignore-case"]).toLowerCase());
  return test(value, String(operand));
}

/**
 * Anything-but matches every string or number except those listed; its object forms negate `prefix`, `suffix`,
 * `wildcard` and `equals-ignore-case`, each taking one string or a list ("Anything-but matching").
 */
function matchesAnythingBut(operand: unknown, value: unknown): boolean {
  if (typeof value !== "string" && typeof value !== "number") return false;
  if (!isObject(operand)) return !(Array.isArray(operand) ? operand : [operand]).some((excluded) => excluded === value);
  if (typeof value !== "string") return false;
  const [operator, inner] = Object.entries(operand)[0] ?? [];
  const excluded = (Array.isArray(inner) ? inner : [inner]).map(String);
  return !excluded.some((item) => matchesCondition({ [operator ?? ""]: item }, value));
}

/** `numeric` takes `["=", n]` or up to one lower and one upper bound, e.g. `[">", 0, "<=", 5]`. */
function matchesNumeric(comparisons: unknown[], value: number): boolean {
  for (let i = 0; i < comparisons.length; i += 2) {
    const bound = comparisons[i + 1] as number;
    const holds = {
      "=": value === bound,
      "<": value < bound,
      "<=": value <= bound,
      ">": value > bound,
      ">=": value >= bound,
    }[comparisons[i] as string];
    if (!holds) return false;
  }
  return true;
}

/**
 * `*` matches zero or more characters; `\*` is a literal asterisk and `\\` a literal backslash ("Wildcard matching").
 */
function wildcardToRegExp(wildcard: string): RegExp {
  let source = "";
  for (let i = 0; i < wildcard.length; i++) {
    const char = wildcard[i]!;
    if (char === "\\") source += escapeRegExp(wildcard[++i] ?? "");
    else source += char === "*" ? ".*" : escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, "s");
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * Checks a pattern the way PutRule and TestEventPattern do, returning the InvalidEventPatternException message, or
 * undefined when the pattern is valid.
 *
 * @example
 * ```ts
 * validatePattern({ source: "aws.ec2" }); // "Event pattern is not valid. Reason: ..."
 * validatePattern({ source: ["aws.ec2"] }); // undefined
 * ```
 */
export function validatePattern(pattern: unknown): string | undefined {
  const reason = isObject(pattern) ? objectProblem(pattern, "") : "Filter is not an object";
  return reason === undefined ? undefined : `Event pattern is not valid. Reason: ${reason}`;
}

function objectProblem(pattern: Record<string, unknown>, path: string): string | undefined {
  const entries = Object.entries(pattern);
  if (entries.length === 0) return `Empty objects are not allowed${path ? ` at "${path}"` : ""}`;
  for (const [key, rule] of entries) {
    const at = path ? `${path}.${key}` : key;
    let problem: string | undefined;
    if (key === "$or") {
      problem =
        Array.isArray(rule) && rule.length >= 2 && rule.every(isObject)
          ? rule.map((alternative) => objectProblem(alternative, at)).find(Boolean)
          : `"$or" must be an array of at least 2 pattern objects`;
    } else if (isObject(rule)) problem = objectProblem(rule, at);
    else if (!Array.isArray(rule)) problem = `"${at}" must be an object or an array`;
    else if (rule.length === 0) problem = `Empty arrays are not allowed at "${at}"`;
    else problem = rule.map((condition) => conditionProblem(condition, at)).find(Boolean);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

const isStringOrIgnoreCase = (operand: unknown): boolean =>
  typeof operand === "string" ||
  (isObject(operand) &&
    Object.keys(operand).join() === "equals-ignore-case" &&
    typeof operand["equals-ignore-case"] === "string");

function conditionProblem(condition: unknown, at: string): string | undefined {
  if (!isObject(condition)) {
    return Array.isArray(condition) ? `Nested arrays are not allowed at "${at}"` : undefined;
  }
  const keys = Object.keys(condition);
  const [operator = "", operand] = Object.entries(condition)[0] ?? [];
  if (keys.length !== 1) return `Match condition at "${at}" must have exactly one operator`;
  const invalid = (expected: string) => `"${operator}" at "${at}" must be ${expected}`;
  switch (operator) {
    case "prefix":
    case "suffix":
      return isStringOrIgnoreCase(operand) ? undefined : invalid(`a string or {"equals-ignore-case": string}`);
    case "equals-ignore-case":
      return typeof operand === "string" ? undefined : invalid("a string");
    case "exists":
      return typeof operand === "boolean" ? undefined : invalid("true or false");
    case "cidr":
      return typeof operand === "string" && parseCidr(operand) ? undefined : invalid("an IPv4 or IPv6 CIDR block");
    case "wildcard":
      return typeof operand === "string" ? wildcardProblem(operand, at) : invalid("a string");
    case "numeric":
      return numericProblem(operand, at);
    case "anything-but":
      return anythingButProblem(operand, at);
    default:
      return `Unrecognized match type "${operator}" at "${at}"`;
  }
}

/** Consecutive `*` are refused, and `\` may only escape `*` or `\` ("Wildcard matching"). */
function wildcardProblem(wildcard: string, at: string): string | undefined {
  if (wildcard.includes("**")) return `Consecutive wildcard characters in "${at}"`;
  for (let i = 0; i < wildcard.length; i++) {
    if (wildcard[i] !== "\\") continue;
    if (wildcard[i + 1] !== "*" && wildcard[i + 1] !== "\\") return `Invalid escape character in "${at}"`;
    i++;
  }
  return undefined;
}

function numericProblem(operand: unknown, at: string): string | undefined {
  const bad = `Invalid numeric expression at "${at}"`;
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0 || operand.length > 4) return bad;
  for (let i = 0; i < operand.length; i += 2) {
    const [op, bound] = [operand[i], operand[i + 1]];
    if (typeof bound !== "number" || Math.abs(bound) > NUMERIC_LIMIT)
      return `Value out of range or not a number at "${at}"`;
    if (op === "=" ? operand.length !== 2 : !LOWER_BOUNDS.has(op) && !UPPER_BOUNDS.has(op)) return bad;
  }
  // A range is a lower bound followed by an upper bound above it.
  if (
    operand.length === 4 &&
    !(LOWER_BOUNDS.has(operand[0]) && UPPER_BOUNDS.has(operand[2]) && operand[1] < operand[3])
  ) {
    return bad;
  }
  return undefined;
}

function anythingButProblem(operand: unknown, at: string): string | undefined {
  const invalid = `"anything-but" at "${at}" must be a string, a number, a list of only strings or only numbers, or one of prefix, suffix, wildcard, equals-ignore-case`;
  if (typeof operand === "string" || typeof operand === "number") return undefined;
  if (Array.isArray(operand)) {
    const allStrings = operand.every((item) => typeof item === "string");
    const allNumbers = operand.every((item) => typeof item === "number");
    return operand.length > 0 && (allStrings || allNumbers) ? undefined : invalid;
  }
  if (!isObject(operand) || Object.keys(operand).length !== 1) return invalid;
  const [operator = "", inner] = Object.entries(operand)[0] ?? [];
  if (!["prefix", "suffix", "wildcard", "equals-ignore-case"].includes(operator)) return invalid;
  const values = Array.isArray(inner) ? inner : [inner];
  if (values.length === 0 || !values.every((value) => typeof value === "string")) return invalid;
  return operator === "wildcard" ? values.map((value) => wildcardProblem(value, at)).find(Boolean) : undefined;
}
