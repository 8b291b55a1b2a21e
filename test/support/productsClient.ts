import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import type { Product } from "../../services/products/api.js";
import { PROBLEM_KINDS, type ProblemDetails, type ProblemKind } from "../../shared/http/problem.js";
import type { DevServer } from "./devServer.js";
import { type TraceDocument, type TraceEntry, traceEntries, type XrayReader, xrayReader } from "./xray.js";

/**
 * A consumer's and an operator's view of the products API through a real `npm run dev` (the e2e suites
 * `test/e2e/products*.test.ts`): one request helper with the checks every answer must pass, the problem and
 * product shapes of the contract, accounts from `/users/signup` + `/users/signin`, and trace reading through the X-Ray
 * API (`BatchGetTraces`, `test/support/xray.ts`), as against a deployed stage.
 */

export const JSON_TYPE = "application/json; charset=utf-8";
export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
export const URL_SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const TRACE_HEADER = /^Root=(1-[0-9a-f]{8}-[0-9a-f]{24})(;|$)/;
const STACK_TRACE = /\n\s+at\s|\.ts:\d+:\d+/;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const uid = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** For tests that poll: a failing poll waits out its deadline, and the assertion after it should be what reports. */
export const slow = { timeout: 90_000 };

/** Probes until `done` holds or the deadline passes; returns the last value, for the caller to assert on. */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await sleep(everyMs);
    value = await probe();
  }
  return value;
}

export interface Reply<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: T;
  /** The trace that served the request (the root of `x-amzn-trace-id`). */
  readonly traceId: string;
  /** The `x-correlation-id` the request sent, if any. */
  readonly correlationId?: string;
}

export interface CallOptions {
  /** Sent as JSON (with `content-type: application/json`). */
  readonly json?: unknown;
  /** Sent as is (`content-type: application/json` unless `headers` say otherwise). */
  readonly raw?: string;
  /** Sent as `authorization: Bearer <token>`. */
  readonly token?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Account {
  readonly userId: string;
  readonly email: string;
  readonly displayName: string;
  readonly token: string;
}

/** What `POST /products` takes. */
export interface ProductInput {
  name: string;
  description?: string;
  priceCents: number;
  currency: string;
  category: string;
  imageMediaIds?: string[];
}

export const newProduct = (category: string, changes: Partial<ProductInput> = {}): ProductInput => ({
  name: uid("Lamp"),
  description: "A lamp that lights",
  priceCents: 1999,
  currency: "EUR",
  category,
  ...changes,
});

/**
 * The newest-first order of the contract: creation time, then the id to break a tie (store/keys.ts `timeKey`), both
 * compared as DynamoDB compares sort keys: by code unit, not by locale (`localeCompare` puts "a" before "B").
 */
export function newestFirst(a: Product, b: Product): number {
  const [x, y] = [`${a.createdAt}#${a.productId}`, `${b.createdAt}#${b.productId}`];
  return x === y ? 0 : x < y ? 1 : -1;
}

export const READ_OPERATIONS = new Set(["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"]);

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export interface Popular {
  readonly items: { product: Product; views: number }[];
}

export function productsClient(dev: () => DevServer) {
  /**
   * One request to the gateway, with the checks every answer must pass: never a 5xx, never a stack trace, and the
   * contract's `x-amzn-trace-id` and `x-request-id` headers.
   */
  async function call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<Reply<T>> {
    const body = options.json !== undefined ? JSON.stringify(options.json) : options.raw;
    const headers: Record<string, string> = {
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    };
    const res = await fetch(`${dev().url}${path}`, { method, headers, body });
    const text = await res.text();
    const what = `${method} ${path} → ${res.status} ${text.slice(0, 500)}`;
    expect(res.status, what).toBeLessThan(500);
    expect(text, what).not.toMatch(STACK_TRACE);
    expect(res.headers.get("x-amzn-trace-id"), what).toMatch(TRACE_HEADER);
    expect(res.headers.get("x-request-id"), what).toMatch(/\S/);
    const json = /json/.test(res.headers.get("content-type") ?? "") && text !== "";
    const correlationId = options.headers?.["x-correlation-id"];
    return {
      status: res.status,
      headers: res.headers,
      text,
      body: (json ? JSON.parse(text) : undefined) as T,
      traceId: TRACE_HEADER.exec(res.headers.get("x-amzn-trace-id") ?? "")?.[1] ?? "",
      ...(correlationId ? { correlationId } : {}),
    };
  }

  /** A success: its status and the contract's JSON content type; returns the body. */
  function expectOk<T>(reply: Reply<T>, status = 200): T {
    expect(reply.status, reply.text).toBe(status);
    expect(reply.headers.get("content-type"), reply.text).toBe(JSON_TYPE);
    return reply.body;
  }

  /**
   * An RFC 9457 problem of status `kind` (a kind or a list of kinds that may answer): exactly
   * `{ type, title, status, detail }`, plus `errors` naming exactly `fieldPaths` (as a set: one field may have
   * several issues) when given; a 401 names the Bearer scheme.
   */
  function expectProblem(
    reply: Reply<unknown>,
    kind: ProblemKind | readonly ProblemKind[],
    fieldPaths?: readonly string[],
  ): ProblemDetails {
    const kinds = typeof kind === "string" ? [kind] : kind;
    const what = `${reply.status} ${reply.text}`;
    expect(
      kinds.map((k) => PROBLEM_KINDS[k].status),
      what,
    ).toContain(reply.status);
    expect(reply.headers.get("content-type"), what).toMatch(/^application\/problem\+json(;|$)/);
    const problem = reply.body as ProblemDetails;
    const matching = kinds.map((k) => PROBLEM_KINDS[k]).find((k) => k.type === problem?.type);
    expect(matching, `problem type of ${what}`).toBeDefined();
    expect(problem).toEqual({
      type: matching?.type,
      title: matching?.title,
      status: matching?.status,
      detail: expect.stringMatching(/\S/),
      ...(fieldPaths || problem.errors ? { errors: expect.any(Array) } : {}),
    });
    if (fieldPaths) {
      expect([...new Set(problem.errors?.map((e) => e.path))].sort(), what).toEqual([...new Set(fieldPaths)].sort());
    }
    for (const error of problem.errors ?? [])
      expect(error).toEqual({ path: expect.any(String), message: expect.stringMatching(/\S/) });
    if (reply.status === 401) expect(reply.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    return problem;
  }

  async function signUp(label = "Seller", headers: Record<string, string> = {}): Promise<Account> {
    const email = `${uid(label.toLowerCase())}@example.com`;
    const password = `pw-${randomUUID()}`;
    const displayName = uid(label);
    const signup = await call<{ userId: string }>("POST", "/users/signup", {
      json: { email, password, displayName },
      headers,
    });
    const { userId } = expectOk(signup, 201);
    const signin = await call<{ accessToken: string }>("POST", "/users/signin", { json: { email, password } });
    return { userId, email, displayName, token: expectOk(signin).accessToken };
  }

  async function create(token: string, input: ProductInput, headers: Record<string, string> = {}) {
    const reply = await call<Product>("POST", "/products", { token, json: input, headers });
    return { reply, product: expectOk(reply, 201) };
  }

  async function createProduct(seller: Account, input: ProductInput): Promise<Product> {
    return (await create(seller.token, input)).product;
  }

  /** `GET /products/{productId}` as an anonymous reader (the path the CDN caches). */
  const get = (productId: string, headers: Record<string, string> = {}) =>
    call<Product>("GET", `/products/${productId}`, { headers });

  const list = (query = "") => call<Page<Product>>("GET", `/products${query ? `?${query}` : ""}`);

  /** Walks a list's pages from the first to `nextCursor: null`; returns every page. */
  async function walk(query: string, maxPages = 100): Promise<Page<Product>[]> {
    const pages: Page<Product>[] = [];
    let cursor: string | null = null;
    do {
      const q: string = [query, cursor === null ? "" : `cursor=${encodeURIComponent(cursor)}`]
        .filter(Boolean)
        .join("&");
      const page: Page<Product> = expectOk(await list(q));
      expect(page).toEqual({
        items: expect.any(Array),
        nextCursor: page.nextCursor === null ? null : expect.any(String),
      });
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor !== null && pages.length < maxPages);
    expect(cursor, `more than ${maxPages} pages of ${query}`).toBeNull();
    return pages;
  }

  const popular = async (limit = 50) => expectOk(await call<Popular>("GET", `/products/popular?limit=${limit}`));

  /** A `/_dev` answer (operator endpoints, outside the services' conventions); undefined for a 404. */
  async function devJson<T>(path: string): Promise<T | undefined> {
    const res = await fetch(`${dev().url}${path}`);
    if (res.status === 404) {
      await res.arrayBuffer();
      return undefined;
    }
    expect(res.status, `${path}: ${res.status}`).toBe(200);
    return (await res.json()) as T;
  }

  /** One X-Ray client per dev server: the suite's, whichever dev server `dev()` names now. */
  let reader: { dev: DevServer; xray: XrayReader } | undefined;
  const xray = (): XrayReader => {
    if (reader?.dev !== dev()) {
      reader?.xray.client.destroy();
      reader = { dev: dev(), xray: xrayReader(dev().clientConfig("xray")) };
    }
    return reader.xray;
  };

  /** A trace's segment documents through BatchGetTraces; undefined while X-Ray holds none of it. */
  async function trace(traceId: string): Promise<TraceDocument[] | undefined> {
    const documents = await xray().traceDocuments(traceId);
    return documents.length === 0 ? undefined : documents;
  }

  /** The AWS calls of a trace on the products table (`operations`: which ones; all by default). */
  function tableCalls(documents: TraceDocument[] | undefined, operations?: ReadonlySet<string>): TraceEntry[] {
    const table = dev().resources.ProductsTable?.name;
    return traceEntries(documents ?? []).filter(
      (e) =>
        e.namespace === "aws" &&
        e.name === "DynamoDB" &&
        e.tableName === table &&
        (operations === undefined || operations.has(e.operation ?? "")),
    );
  }

  /** The Lambda function segments of a trace. */
  const functionSegments = (documents: TraceDocument[] | undefined) =>
    traceEntries(documents ?? []).filter((e) => e.kind === "segment" && e.origin === "AWS::Lambda::Function");

  return {
    call,
    expectOk,
    expectProblem,
    signUp,
    create,
    createProduct,
    get,
    list,
    walk,
    popular,
    devJson,
    xray,
    trace,
    tableCalls,
    functionSegments,
  };
}
