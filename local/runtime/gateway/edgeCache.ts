import { ifNoneMatchMatches } from "../../../shared/http/conditionalGet.js";
import type { HttpAnswer } from "./proxyResult.js";

/** What the edge reads of a viewer request. */
export interface EdgeRequest {
  readonly method: string;
  /** The path as requested (`/products/p1`). */
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  /** Alternating names and values, as received (`IncomingMessage.rawHeaders`). */
  readonly rawHeaders: readonly string[];
}

/** The origin behind the edge: the API, asked with the headers the edge forwards. */
export type EdgeOrigin = (rawHeaders: readonly string[]) => Promise<HttpAnswer>;

export interface EdgeCacheOptions {
  /** Stored responses kept at most; the least recently used goes first. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/** `x-cache` as CloudFront writes it. */
export const EDGE_HIT = "Hit from cloudfront";
export const EDGE_MISS = "Miss from cloudfront";

interface Stored {
  readonly answer: HttpAnswer;
  readonly storedAt: number;
  readonly expiresAt: number;
  readonly etag: string | undefined;
  /** The request's values of the headers the response's `vary` names (RFC 9111 §4.1: a secondary key). */
  readonly varied: Readonly<Record<string, string | undefined>>;
}

const defaults = { maxEntries: 1000 };
// The conditional headers the edge answers itself: its origin request asks for the whole representation to store.
const CONDITIONAL = /^(if-none-match|if-modified-since)$/i;
// Headers of the representation itself, which a 304 does not send (RFC 9110 §15.4.5).
const REPRESENTATION = new Set(["content-type", "content-length", "content-encoding", "content-language"]);

function headerOf(rawHeaders: readonly string[], name: string): string | undefined {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    if (rawHeaders[i]!.toLowerCase() === name) values.push(rawHeaders[i + 1]!);
  return values.length > 0 ? values.join(", ") : undefined;
}

const single = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(", ") : value;

/**
 * The cache key: method, path and the query string sorted by parameter name (a stable sort, so the order of a
 * repeated parameter, which the function sees, is kept). No header is part of it: `vary` is honoured apart.
 */
export function edgeKey(request: Pick<EdgeRequest, "method" | "path" | "query">): string {
  const params = [...new URLSearchParams(request.query)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = new URLSearchParams(params).toString();
  return `${request.method.toUpperCase()} ${request.path}${query ? `?${query}` : ""}`;
}

/**
 * How long a shared cache may keep a response, in seconds (0: not at all): a 200 whose `cache-control` is `public`
 * with `s-maxage` (else `max-age`) above 0, and none of `private`, `no-store`, `no-cache`; not one that sets a
 * cookie (a shared copy would hand one caller's cookie to all) or varies on everything (`vary: *`).
 */
export function sharedTtlSeconds(answer: Pick<HttpAnswer, "status" | "headers">): number {
  if (answer.status !== 200 || answer.headers["set-cookie"] !== undefined) return 0;
  if ((single(answer.headers.vary) ?? "").split(",").some((name) => name.trim() === "*")) return 0;
  const directives = new Map<string, string | undefined>();
  for (const part of (single(answer.headers["cache-control"]) ?? "").split(",")) {
    const [name, value] = part.split("=", 2).map((s) => s.trim());
    if (name) directives.set(name.toLowerCase(), value?.replace(/^"|"$/g, ""));
  }
  if (!directives.has("public") || ["private", "no-store", "no-cache"].some((d) => directives.has(d))) return 0;
  const seconds = Number(directives.get("s-maxage") ?? directives.get("max-age"));
  return Number.isInteger(seconds) && seconds > 0 ? seconds : 0;
}

/** The names `vary` lists, lower case, without `accept-encoding` (the edge stores no encodings apart). */
function varyNames(answer: HttpAnswer): string[] {
  return (single(answer.headers.vary) ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "" && name !== "accept-encoding");
}

/**
 * The CDN in front of the local API, as CloudFront stands in front of the stage's API domain: a shared cache that
 * stores what the origin's `cache-control` allows a shared cache to store (see {@link sharedTtlSeconds}), for GETs
 * without `authorization`, keyed by {@link edgeKey}; serves it until its `s-maxage` runs out with `age` and
 * `x-cache`, answers `304` itself on a matching `if-none-match`, and collapses concurrent misses for one key into
 * one origin request (CloudFront's request collapsing), so a burst reaches the function about once per `s-maxage`.
 *
 * A request with `authorization` always goes to the origin and is never stored nor collapsed with another, and no
 * stored response is served to it (`vary: authorization`, which every cached route sends). Errors are never
 * stored. A write does not purge: as with CloudFront, staleness is bounded by `s-maxage`.
 *
 * @example
 * ```ts
 * const edge = new EdgeCache({ maxEntries: 1000 });
 * const answer = await edge.serve(request, (headers) => invokeTheApi(headers));
 * ```
 */
export class EdgeCache {
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** Insertion order is recency: a hit moves its entry to the end, eviction takes the first. */
  readonly #entries = new Map<string, Stored>();
  /** The one origin request under way per key, and what it stored (undefined: nothing to share). */
  readonly #inflight = new Map<string, Promise<Stored | undefined>>();

  constructor(options: EdgeCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? defaults.maxEntries;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError("EdgeCache: maxEntries must be 1 or more");
    this.#maxEntries = maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** How many responses are stored (expired ones included until they are next looked up or evicted). */
  get size(): number {
    return this.#entries.size;
  }

  /** Answers a viewer request: from the cache when it may, else from `origin` (at most one request per key at once). */
  async serve(request: EdgeRequest, origin: EdgeOrigin): Promise<HttpAnswer> {
    const cacheable =
      request.method.toUpperCase() === "GET" && headerOf(request.rawHeaders, "authorization") === undefined;
    if (!cacheable) return this.#marked(await origin(request.rawHeaders), EDGE_MISS);

    const key = edgeKey(request);
    const stored = this.#fresh(key, request);
    if (stored) return this.#fromStore(stored, request);
    const pending = this.#inflight.get(key);
    if (pending) {
      // Collapsed onto the request under way: its response, if it could be shared; else a request of our own.
      const shared = await pending;
      if (shared && this.#matchesVary(shared, request)) return this.#fromStore(shared, request);
      return this.#marked(await origin(request.rawHeaders), EDGE_MISS);
    }

    const forwarded = request.rawHeaders.filter((_, i, all) => !CONDITIONAL.test(all[i - (i % 2)]!));
    const fetched = origin(forwarded).then((answer) => ({ answer, stored: this.#store(key, request, answer) }));
    const flight = fetched.then(
      (r) => r.stored,
      () => undefined,
    );
    this.#inflight.set(key, flight);
    try {
      const { answer } = await fetched;
      return this.#conditional(answer, request, EDGE_MISS, 0);
    } finally {
      if (this.#inflight.get(key) === flight) this.#inflight.delete(key);
    }
  }

  #fresh(key: string, request: EdgeRequest): Stored | undefined {
    const stored = this.#entries.get(key);
    if (!stored) return undefined;
    if (stored.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    if (!this.#matchesVary(stored, request)) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, stored);
    return stored;
  }

  #matchesVary(stored: Stored, request: EdgeRequest): boolean {
    return Object.entries(stored.varied).every(([name, value]) => headerOf(request.rawHeaders, name) === value);
  }

  #store(key: string, request: EdgeRequest, answer: HttpAnswer): Stored | undefined {
    const ttl = sharedTtlSeconds(answer);
    if (ttl === 0) return undefined;
    const now = this.#now();
    const varied = Object.fromEntries(varyNames(answer).map((name) => [name, headerOf(request.rawHeaders, name)]));
    const stored: Stored = {
      answer,
      storedAt: now,
      expiresAt: now + ttl * 1000,
      etag: single(answer.headers.etag),
      varied,
    };
    this.#entries.delete(key);
    this.#entries.set(key, stored);
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    return stored;
  }

  #fromStore(stored: Stored, request: EdgeRequest): HttpAnswer {
    const age = Math.max(0, Math.floor((this.#now() - stored.storedAt) / 1000));
    return this.#conditional(stored.answer, request, EDGE_HIT, age);
  }

  /** The answer for this viewer: a 304 when it already holds the representation (`if-none-match`, weak comparison). */
  #conditional(answer: HttpAnswer, request: EdgeRequest, cache: string, age: number): HttpAnswer {
    const etag = single(answer.headers.etag);
    const headers: Record<string, string | string[]> = { ...answer.headers };
    if (cache === EDGE_HIT) headers.age = String(age);
    const ifNoneMatch = headerOf(request.rawHeaders, "if-none-match");
    if (answer.status !== 200 || etag === undefined || !ifNoneMatchMatches(ifNoneMatch, etag))
      return this.#marked({ ...answer, headers }, cache);
    for (const name of REPRESENTATION) delete headers[name];
    return this.#marked({ status: 304, headers, body: Buffer.alloc(0) }, cache);
  }

  #marked(answer: HttpAnswer, cache: string): HttpAnswer {
    return { ...answer, headers: { ...answer.headers, "x-cache": cache } };
  }
}
