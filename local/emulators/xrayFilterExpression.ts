/**
 * X-Ray's filter-expression language (developer guide, "Use filter expressions"), parsed into a tree once and
 * evaluated against each trace. Keywords and `AND`/`OR` are case-insensitive; annotation keys are not.
 *
 * ```
 * expression := or
 * or         := and (OR and)*
 * and        := unary ((AND)? unary)*          -- "ok !partial duration < 3" joins by juxtaposition
 * unary      := "!" unary | primary
 * primary    := "(" expression ")" | service | edge | keyword (operator value)?
 * service    := service "(" target? ")" ("{" expression "}")?
 * edge       := edge "(" target "," target ")" ("{" expression "}")?
 * target     := string | id "(" (name|type ":" string) ("," …)* ")"
 * ```
 */

export type BooleanKeyword = "ok" | "error" | "fault" | "throttle" | "partial" | "inferred" | "root";
export type NumberKeyword = "responsetime" | "duration" | "http.status";
export type StringKeyword = "http.url" | "http.method" | "http.useragent" | "http.clientip" | "user";
export type Operator = "=" | "!=" | "<" | "<=" | ">" | ">=" | "CONTAINS" | "BEGINSWITH" | "ENDSWITH";
export type Scalar = string | number | boolean;

/** A service node named by `"name"` or `id(name: …, type: …)`; an empty target matches every node. */
export interface ServiceTarget {
  readonly name?: string;
  readonly type?: string;
}

export type FilterExpression =
  | { readonly kind: "and" | "or"; readonly left: FilterExpression; readonly right: FilterExpression }
  | { readonly kind: "not"; readonly operand: FilterExpression }
  | { readonly kind: "service"; readonly target: ServiceTarget; readonly filter?: FilterExpression }
  | {
      readonly kind: "edge";
      readonly source: ServiceTarget;
      readonly destination: ServiceTarget;
      readonly filter?: FilterExpression;
    }
  | { readonly kind: "keyword"; readonly keyword: string; readonly operator?: Operator; readonly value?: Scalar };

/** What a filter is evaluated on: a trace (its root segment), or one segment of a service or of an edge. */
export interface FilterSubject {
  /** Every value the subject holds for a keyword (`user` may have several, a nested scope one). */
  values(keyword: BooleanKeyword | NumberKeyword | StringKeyword): readonly Scalar[];
  /** Every value of one annotation key across the subject's segments. */
  annotation(key: string): readonly Scalar[];
  /** The nodes of the trace's service map, each with the segments it holds (`service(...) {…}`). */
  services(): readonly ScopedNode[];
  /** The edges of the trace's service map, each with the segments on it (`edge(...) {…}`). */
  edges(): readonly ScopedEdge[];
}

export interface ScopedNode {
  readonly name: string;
  readonly type: string;
  readonly segments: readonly FilterSubject[];
}

export interface ScopedEdge {
  readonly source: { readonly name: string; readonly type: string };
  readonly destination: { readonly name: string; readonly type: string };
  readonly segments: readonly FilterSubject[];
}

/** A filter expression that does not parse, with the position (0-based) where it went wrong. */
export class FilterExpressionError extends Error {
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(`Invalid filter expression at position ${position}: ${reason}`);
    this.name = "FilterExpressionError";
  }
}

const BOOLEAN_KEYWORDS: ReadonlySet<string> = new Set<BooleanKeyword>([
  "ok",
  "error",
  "fault",
  "throttle",
  "partial",
  "inferred",
  "root",
]);
const NUMBER_KEYWORDS: ReadonlySet<string> = new Set<NumberKeyword>(["responsetime", "duration", "http.status"]);
const STRING_KEYWORDS: ReadonlySet<string> = new Set<StringKeyword>([
  "http.url",
  "http.method",
  "http.useragent",
  "http.clientip",
  "user",
]);
/** Keywords of the language that need data the local collector does not derive (root causes, groups, hosts). */
const UNSUPPORTED_PREFIXES = ["rootcause", "group", "json", "index", "coverage", "first", "last", "remote"];
const UNSUPPORTED_KEYWORDS = new Set(["name", "type", "message", "availabilityzone", "instance.id", "resource.arn"]);

const NUMBER_OPERATORS: ReadonlySet<Operator> = new Set(["=", "!=", "<", "<=", ">", ">="]);
const STRING_OPERATORS: ReadonlySet<Operator> = new Set(["=", "!=", "CONTAINS", "BEGINSWITH", "ENDSWITH"]);
const WORD_OPERATORS: ReadonlySet<string> = new Set(["CONTAINS", "BEGINSWITH", "ENDSWITH"]);

type Token =
  | { readonly type: "word"; readonly text: string; readonly at: number }
  | { readonly type: "string"; readonly text: string; readonly at: number }
  | { readonly type: "number"; readonly value: number; readonly at: number }
  | { readonly type: "symbol"; readonly text: string; readonly at: number }
  | { readonly type: "end"; readonly at: number };

const SYMBOLS = ["!=", "<=", ">=", "=", "<", ">", "!", "(", ")", "{", "}", ",", ":"];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source[i] as string;
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    if (char === '"') {
      let text = "";
      let j = i + 1;
      for (; j < source.length && source[j] !== '"'; j++) {
        if (source[j] === "\\" && j + 1 < source.length) j++;
        text += source[j];
      }
      if (j >= source.length) throw new FilterExpressionError("unterminated string", i);
      tokens.push({ type: "string", text, at: i });
      i = j + 1;
      continue;
    }
    const number = /^-?\d+(\.\d+)?/.exec(source.slice(i));
    if (number && (char !== "-" || /\d/.test(source[i + 1] ?? ""))) {
      tokens.push({ type: "number", value: Number(number[0]), at: i });
      i += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][\w.-]*/.exec(source.slice(i));
    if (word) {
      tokens.push({ type: "word", text: word[0], at: i });
      i += word[0].length;
      continue;
    }
    const symbol = SYMBOLS.find((s) => source.startsWith(s, i));
    if (!symbol) throw new FilterExpressionError(`unexpected character '${char}'`, i);
    tokens.push({ type: "symbol", text: symbol, at: i });
    i += symbol.length;
  }
  tokens.push({ type: "end", at: source.length });
  return tokens;
}

const describe = (token: Token): string =>
  token.type === "end"
    ? "the end of the expression"
    : token.type === "number"
      ? `${token.value}`
      : token.type === "string"
        ? `"${token.text}"`
        : `'${token.text}'`;

class Parser {
  private index = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private get next(): Token {
    return this.tokens[this.index] as Token;
  }

  private advance(): Token {
    const token = this.next;
    if (token.type !== "end") this.index++;
    return token;
  }

  private isSymbol(text: string): boolean {
    return this.next.type === "symbol" && (this.next as { text: string }).text === text;
  }

  private isWord(text: string): boolean {
    return this.next.type === "word" && (this.next as { text: string }).text.toUpperCase() === text;
  }

  private expect(text: string, what: string): void {
    if (!this.isSymbol(text))
      throw new FilterExpressionError(`expected ${what}, found ${describe(this.next)}`, this.next.at);
    this.advance();
  }

  parse(): FilterExpression {
    if (this.next.type === "end") throw new FilterExpressionError("the expression is empty", 0);
    const expression = this.or();
    const trailing = this.tokens[this.index] as Token;
    if (trailing.type !== "end") throw new FilterExpressionError(`unexpected ${describe(trailing)}`, trailing.at);
    return expression;
  }

  private or(): FilterExpression {
    let left = this.and();
    while (this.isWord("OR")) {
      this.advance();
      left = { kind: "or", left, right: this.and() };
    }
    return left;
  }

  /** An operand starts here: what may follow `AND`, or stand beside the previous operand. */
  private startsOperand(): boolean {
    const token = this.next;
    if (token.type === "word") return !["OR", "AND"].includes(token.text.toUpperCase());
    return token.type === "symbol" && (token.text === "!" || token.text === "(");
  }

  private and(): FilterExpression {
    let left = this.unary();
    for (;;) {
      if (this.isWord("AND")) this.advance();
      else if (!this.startsOperand()) return left;
      left = { kind: "and", left, right: this.unary() };
    }
  }

  private unary(): FilterExpression {
    if (this.isSymbol("!")) {
      this.advance();
      return { kind: "not", operand: this.unary() };
    }
    return this.primary();
  }

  private primary(): FilterExpression {
    if (this.isSymbol("(")) {
      this.advance();
      const inner = this.or();
      this.expect(")", "')'");
      return inner;
    }
    const token = this.next;
    if (token.type !== "word" || ["AND", "OR"].includes(token.text.toUpperCase())) {
      throw new FilterExpressionError(`expected a keyword, found ${describe(token)}`, token.at);
    }
    const lower = token.text.toLowerCase();
    if (lower === "service") return this.service();
    if (lower === "edge") return this.edge();
    return this.comparison();
  }

  private scopedFilter(): FilterExpression | undefined {
    if (!this.isSymbol("{")) return undefined;
    this.advance();
    if (this.isSymbol("}")) throw new FilterExpressionError("expected a filter inside '{ }'", this.next.at);
    const filter = this.or();
    this.expect("}", "'}'");
    return filter;
  }

  private service(): FilterExpression {
    this.advance();
    this.expect("(", "'(' after service");
    const target = this.isSymbol(")") ? {} : this.target();
    this.expect(")", "')' after the service");
    const filter = this.scopedFilter();
    return { kind: "service", target, ...(filter ? { filter } : {}) };
  }

  private edge(): FilterExpression {
    this.advance();
    this.expect("(", "'(' after edge");
    const source = this.target();
    this.expect(",", "',' between the edge's source and destination");
    const destination = this.target();
    this.expect(")", "')' after the edge");
    const filter = this.scopedFilter();
    return { kind: "edge", source, destination, ...(filter ? { filter } : {}) };
  }

  private target(): ServiceTarget {
    const token = this.advance();
    if (token.type === "string") return { name: token.text };
    if (token.type !== "word" || token.text.toLowerCase() !== "id") {
      throw new FilterExpressionError(`expected a quoted service name or id(...), found ${describe(token)}`, token.at);
    }
    this.expect("(", "'(' after id");
    const target: { name?: string; type?: string } = {};
    do {
      if (this.isSymbol(",")) this.advance();
      const key = this.advance();
      const field = key.type === "word" ? key.text.toLowerCase() : "";
      if (field !== "name" && field !== "type") {
        throw new FilterExpressionError(`id() takes name: and type:, found ${describe(key)}`, key.at);
      }
      if (target[field] !== undefined) throw new FilterExpressionError(`id() has ${field}: twice`, key.at);
      this.expect(":", `':' after ${field}`);
      const value = this.advance();
      if (value.type !== "string") {
        throw new FilterExpressionError(`id(${field}: …) takes a quoted string, found ${describe(value)}`, value.at);
      }
      target[field] = value.text;
    } while (this.isSymbol(","));
    this.expect(")", "')' after id(...)");
    return target;
  }

  private comparison(): FilterExpression {
    const token = this.advance() as Extract<Token, { type: "word" }>;
    const keyword = keywordOf(token);
    const operator = this.operator();
    if (!operator) return { kind: "keyword", keyword };
    const valueToken = this.advance();
    const value = scalarOf(valueToken);
    checkTypes(keyword, operator, value, valueToken);
    return { kind: "keyword", keyword, operator, value };
  }

  private operator(): Operator | undefined {
    const token = this.next;
    if (token.type === "symbol" && NUMBER_OPERATORS.has(token.text as Operator)) {
      this.advance();
      return token.text as Operator;
    }
    if (token.type === "word" && WORD_OPERATORS.has(token.text.toUpperCase())) {
      this.advance();
      return token.text.toUpperCase() as Operator;
    }
    return undefined;
  }
}

/** `annotation.key` keeps its key's case; every other keyword is lower-cased and must be one the language has. */
function keywordOf(token: Extract<Token, { type: "word" }>): string {
  const lower = token.text.toLowerCase();
  if (lower.startsWith("annotation.")) {
    const key = token.text.slice("annotation.".length);
    if (key === "") throw new FilterExpressionError("annotation. needs a key", token.at);
    return `annotation.${key}`;
  }
  if (BOOLEAN_KEYWORDS.has(lower) || NUMBER_KEYWORDS.has(lower) || STRING_KEYWORDS.has(lower)) return lower;
  const head = lower.split(".")[0] ?? lower;
  if (UNSUPPORTED_PREFIXES.includes(head) || UNSUPPORTED_KEYWORDS.has(lower)) {
    throw new FilterExpressionError(`'${token.text}' is not supported by the local X-Ray API`, token.at);
  }
  throw new FilterExpressionError(`unknown keyword '${token.text}'`, token.at);
}

function scalarOf(token: Token): Scalar {
  if (token.type === "string") return token.text;
  if (token.type === "number") return token.value;
  if (token.type === "word" && ["true", "false"].includes(token.text.toLowerCase())) {
    return token.text.toLowerCase() === "true";
  }
  throw new FilterExpressionError(`expected a value, found ${describe(token)}`, token.at);
}

function checkTypes(keyword: string, operator: Operator, value: Scalar, token: Token): void {
  const fail = (reason: string) => {
    throw new FilterExpressionError(reason, token.at);
  };
  if (BOOLEAN_KEYWORDS.has(keyword)) {
    if (operator !== "=" && operator !== "!=") fail(`${keyword} is a boolean: compare it with = or !=`);
    if (typeof value !== "boolean") fail(`${keyword} is a boolean: compare it with true or false`);
    return;
  }
  if (NUMBER_KEYWORDS.has(keyword)) {
    if (!NUMBER_OPERATORS.has(operator)) fail(`${keyword} is a number: ${operator} compares strings`);
    if (typeof value !== "number") fail(`${keyword} is a number: compare it with a number`);
    return;
  }
  if (STRING_KEYWORDS.has(keyword)) {
    if (!STRING_OPERATORS.has(operator)) fail(`${keyword} is a string: ${operator} compares numbers`);
    if (typeof value !== "string") fail(`${keyword} is a string: compare it with a quoted value`);
    return;
  }
  // An annotation's type is its value's: the operator must suit the value given.
  if (typeof value === "boolean" && operator !== "=" && operator !== "!=") {
    fail(`${operator} does not compare booleans`);
  }
  if (typeof value === "number" && !NUMBER_OPERATORS.has(operator)) fail(`${operator} compares strings, not numbers`);
  if (typeof value === "string" && !STRING_OPERATORS.has(operator)) fail(`${operator} compares numbers, not strings`);
}

/**
 * Parses a filter expression; throws {@link FilterExpressionError} with the position and a reason.
 *
 * @example
 * ```ts
 * const filter = parseFilterExpression('service("UsersSignup") { fault } AND annotation.userId = "u-1"');
 * ```
 */
export function parseFilterExpression(source: string): FilterExpression {
  return new Parser(tokenize(source)).parse();
}

function compare(actual: Scalar, operator: Operator, expected: Scalar): boolean {
  if (typeof actual !== typeof expected) return operator === "!=";
  switch (operator) {
    case "=":
      return actual === expected;
    case "!=":
      return actual !== expected;
    case "<":
      return actual < expected;
    case "<=":
      return actual <= expected;
    case ">":
      return actual > expected;
    case ">=":
      return actual >= expected;
    case "CONTAINS":
      return String(actual).includes(String(expected));
    case "BEGINSWITH":
      return String(actual).startsWith(String(expected));
    case "ENDSWITH":
      return String(actual).endsWith(String(expected));
  }
}

/** A keyword holds when any of its values satisfies the comparison; bare, when it is set (a boolean: true). */
function keywordHolds(subject: FilterSubject, keyword: string, operator?: Operator, value?: Scalar): boolean {
  const values = keyword.startsWith("annotation.")
    ? subject.annotation(keyword.slice("annotation.".length))
    : subject.values(keyword as BooleanKeyword);
  if (operator === undefined || value === undefined) {
    return BOOLEAN_KEYWORDS.has(keyword) ? values.includes(true) : values.length > 0;
  }
  // "!=" on a keyword the subject does not hold at all is true, as `!annotation.key` is.
  if (values.length === 0) return operator === "!=";
  return operator === "!="
    ? values.every((v) => compare(v, operator, value))
    : values.some((v) => compare(v, operator, value));
}

const targets = (target: ServiceTarget, node: { name: string; type: string }): boolean =>
  (target.name === undefined || target.name === node.name) && (target.type === undefined || target.type === node.type);

/**
 * Evaluates a parsed filter on a trace: trace-level keywords read its root segment (as X-Ray's do),
 * `service(...) { … }` holds when some segment of a matching node satisfies the inner filter, and
 * `edge(a, b) { … }` when some segment on a matching edge does.
 *
 * @example
 * ```ts
 * matchesFilter(parseFilterExpression("fault OR responsetime > 2"), subjectOf(trace));
 * ```
 */
export function matchesFilter(filter: FilterExpression, subject: FilterSubject): boolean {
  switch (filter.kind) {
    case "and":
      return matchesFilter(filter.left, subject) && matchesFilter(filter.right, subject);
    case "or":
      return matchesFilter(filter.left, subject) || matchesFilter(filter.right, subject);
    case "not":
      return !matchesFilter(filter.operand, subject);
    case "keyword":
      return keywordHolds(subject, filter.keyword, filter.operator, filter.value);
    case "service":
      return subject
        .services()
        .some(
          (node) =>
            targets(filter.target, node) &&
            (!filter.filter || node.segments.some((segment) => matchesFilter(filter.filter!, segment))),
        );
    case "edge":
      return subject
        .edges()
        .some(
          (edge) =>
            targets(filter.source, edge.source) &&
            targets(filter.destination, edge.destination) &&
            (!filter.filter || edge.segments.some((segment) => matchesFilter(filter.filter!, segment))),
        );
  }
}
