/**
 * The workload the capacity plan applies to the topology: how many requests each user makes, how they spread over
 * the routes, what each costs the tables, how much of it the caches take, and how long each function runs. Every
 * figure here is an assumption, named so it can be checked against a measurement and changed in one place; the
 * topology (`shared/topology`) supplies everything else (routes and their `cache`, tables and indexes, events, their
 * transports, consumers, batch sizes, memory, shards).
 *
 * The totals follow seed 003 ("Scaling up to your first 10 million users"): at 10 M users, 1 billion writes and
 * 100 billion reads a month (100 writes and 10,000 reads per user per month), 1 KB per write, about 400 writes/s and
 * 40,000 reads/s on average.
 */

/** How a route's rate is set: a share of one of the per-user totals, or a fixed ratio to another route's rate. */
export type RouteClass = "read" | "write" | "upload";

/** What one request of a route costs, and where its rate comes from. */
export interface RouteLoad {
  /** The per-user total this route takes a share of (default: `read` for a GET, `write` otherwise). */
  readonly class?: RouteClass;
  /** Its share of the class (shares are normalized over the routes of the class the topology has). */
  readonly share?: number;
  /** Instead of a share: this many requests for each request of another route (`"GET /products/{productId}"`). */
  readonly follows?: { readonly route: string; readonly ratio: number };
  /** Read request units one request reads from its table when no cache answers it (0.5: one eventually consistent read ≤ 4 KB). */
  readonly rru?: number;
  /** Write request units of its own item writes, before the outbox and the indexes (transactions counted by the plan). */
  readonly wru?: number;
  /** The write puts its item into every index of its table (each index write is one more WRU). */
  readonly indexed?: boolean;
  /** Events the request's own write causes, per request, by type (through the outbox, or raised by a resource). */
  readonly causes?: Readonly<Record<string, number>>;
  /** Share of the uncached reads an in-function read cache (`shared/cache` ReadCache) answers. */
  readonly originCacheHitRate?: number;
  /** Share of the requests the CDN answers, when the route declares `cache` (default {@link Workload.cdnHitRate}). */
  readonly cdnHitRate?: number;
  /** Response body, KB. */
  readonly responseKb?: number;
}

/** What a consumer (or the outbox publisher) does per event it takes. */
export interface ConsumerLoad {
  /** Write request units per event (counters committed with a checkpoint in one transaction: 2 per item). */
  readonly wruPerEvent?: number;
  /** Events it causes per event it takes (the media worker's `media.MediaProcessed`). */
  readonly causes?: Readonly<Record<string, number>>;
}

/** How long a function runs: `baseMs` per invocation plus `perRecordMs` per record of its batch. */
export interface Duration {
  readonly baseMs: number;
  readonly perRecordMs: number;
}

/**
 * X-Ray sampling, as the rule the stacks give the API stages and functions. The X-Ray default rule: the first request
 * each second (the reservoir) and 5 % of the rest, per service. `source` says where the figures come from, so the plan
 * can later read them from the stacks' sampling rules (`stacks/tracing.ts`) instead.
 */
export interface XraySampling {
  readonly reservoirPerSecond: number;
  readonly fixedRate: number;
  readonly source: string;
}

export interface Workload {
  /** The stages of the talk, in users. */
  readonly stages: readonly number[];
  /** Requests per user per day, by class. */
  readonly perUserPerDay: Readonly<Record<RouteClass, number>>;
  /** Peak over average, for every rate (the contracts size their streams for 3× the average). */
  readonly peakFactor: number;
  /** Share of a cached route's requests the CDN answers (a 2 s `s-maxage` on hot reads). */
  readonly cdnHitRate: number;
  /** Route loads by `METHOD /full/path`; a route missing here gets {@link DEFAULT_READ} or {@link DEFAULT_WRITE}. */
  readonly routes: Readonly<Record<string, RouteLoad>>;
  /** Consumer and publisher loads by function name; missing ones get {@link DEFAULT_CONSUMER}. */
  readonly consumers: Readonly<Record<string, ConsumerLoad>>;
  /** Function durations: by kind, and by function name where measured or known to differ. */
  readonly durations: {
    readonly route: Duration;
    readonly consumer: Duration;
    readonly publisher: Duration;
    readonly byFunction: Readonly<Record<string, Duration>>;
  };
  /** Bytes of an event record on its transport, when its contract states no throughput estimate. */
  readonly eventKb: number;
  /** An item a write stores, KB (the seed: 1 KB per write); the month's writes are the storage a month adds. */
  readonly itemKb: number;
  /** Media: the original's size, the thumbnail's, and how many media reads (images through the bucket's CDN) a user makes a day. */
  readonly media: {
    readonly uploadKb: number;
    readonly thumbnailKb: number;
    readonly readsPerUserPerDay: number;
    readonly cdnHitRate: number;
    /** Share of the media reads that fetch the original rather than the thumbnail. */
    readonly originalShare: number;
  };
  /** Hot keys: the share of its route's traffic the single busiest key takes. */
  readonly hotKeys: {
    /** One product's page: reads and views. */
    readonly product: number;
    /** One thread: posts. */
    readonly thread: number;
  };
  /** CloudWatch Logs bytes per invocation (the START/END/REPORT lines and the structured log lines). */
  readonly logKbPerInvocation: number;
  readonly xraySampling: XraySampling;
}

/** A route without a workload entry: a small share of its class, one item read (a GET) or written (any other). */
export const DEFAULT_READ: RouteLoad = { share: 0.01, rru: 0.5, responseKb: 1 };
export const DEFAULT_WRITE: RouteLoad = { share: 0.01, wru: 1, responseKb: 1 };
/** A consumer without a workload entry: one transactional write (the item and its count-once marker) per event. */
export const DEFAULT_CONSUMER: ConsumerLoad = { wruPerEvent: 2 };

/** 30 days: the seed's "400 writes per second" is 1 billion writes over a 30-day month. */
export const SECONDS_PER_MONTH = 30 * 24 * 3600;
export const HOURS_PER_MONTH = 30 * 24;

/**
 * The workload of seed 003 over this system: reads are product pages, lists and threads; writes are mostly posts
 * ("most writes are from new content"); every product page read is a view on the click-stream (the upper bound
 * `events/products.ts` sizes its stream for).
 *
 * @example
 * ```ts
 * const plan = planStage(buildTopology(services), WORKLOAD, 10_000_000);
 * ```
 */
export const WORKLOAD: Workload = {
  stages: [1, 10, 1_000, 10_000, 500_000, 1_000_000, 10_000_000],
  perUserPerDay: { read: 10_000 / 30, write: 100 / 30, upload: 2 / 30 },
  peakFactor: 3,
  cdnHitRate: 0.9,
  routes: {
    // Reads: 10,000 per user per month.
    "GET /products/{productId}": { share: 0.35, rru: 0.5, originCacheHitRate: 0.5, responseKb: 2 },
    "GET /products": { share: 0.15, rru: 8 * 0.5 + 1, responseKb: 8 },
    "GET /products/popular": { share: 0.05, rru: 8 * 0.5 + 1, responseKb: 8 },
    "GET /forums": { share: 0.03, rru: 4 * 0.5, responseKb: 4 },
    "GET /forums/leaderboard": { share: 0.02, rru: 8 * 0.5, responseKb: 2 },
    "GET /forums/{forumId}": { share: 0.03, rru: 0.5, originCacheHitRate: 0.5, responseKb: 1 },
    "GET /forums/{forumId}/threads": { share: 0.1, rru: 0.5 + 1, responseKb: 6 },
    "GET /forums/{forumId}/threads/{threadId}": { share: 0.07, rru: 0.5, responseKb: 1 },
    "GET /forums/{forumId}/threads/{threadId}/posts": { share: 0.15, rru: 2.5, responseKb: 10 },
    "GET /users/{userId}": { share: 0.02, rru: 0.5, responseKb: 1 },
    "GET /users/me": { share: 0.02, rru: 0.5, responseKb: 1 },
    "GET /media/{mediaId}": { share: 0.01, rru: 0.5, responseKb: 1 },
    // Writes: 100 per user per month, most of them new posts.
    "POST /forums/{forumId}/threads/{threadId}/posts": {
      share: 0.8,
      wru: 2 + 2, // the post and its thread's counters, in one transaction
      causes: { "forums.PostCreated": 1 },
      responseKb: 1,
    },
    "POST /forums/{forumId}/threads": { share: 0.08, wru: 2, indexed: true, causes: { "forums.ThreadCreated": 1 } },
    "POST /forums": { share: 0.005, wru: 2, indexed: true, causes: { "forums.ForumCreated": 1 } },
    "POST /products": { share: 0.04, wru: 2, indexed: true, causes: { "products.ProductCreated": 1 } },
    "PATCH /products/{productId}": {
      share: 0.03,
      wru: 2,
      rru: 1,
      indexed: true,
      causes: { "products.ProductUpdated": 1 },
    },
    "DELETE /products/{productId}": { share: 0.005, wru: 2, rru: 1, causes: { "products.ProductDeleted": 1 } },
    "PATCH /users/me": { share: 0.02, wru: 1, rru: 1, causes: { "users.UserProfileUpdated": 1 } },
    "POST /users/signup": { share: 0.002, wru: 1, causes: { "users.UserRegistered": 1 } },
    "POST /users/signin": { share: 0.01, wru: 0 },
    "POST /users/refresh": { share: 0.008, wru: 0 },
    // The click-stream: one view for every product page read, put on the stream by the handler (no table write).
    "POST /products/{productId}/views": {
      follows: { route: "GET /products/{productId}", ratio: 1 },
      wru: 0,
      causes: { "products.ProductViewed": 1 },
      responseKb: 0.1,
    },
    // Uploads: 2 per user per month; the bucket raises UploadReceived when the bytes land.
    "POST /media/uploads": { class: "upload", share: 1, wru: 2, causes: { "media.UploadReceived": 1 } },
  },
  consumers: {
    // A batch becomes one write per product (and a checkpoint): views aggregate, so far less than one per view.
    ProductsProductViewed: { wruPerEvent: 0.1 },
    // One write per forum and author a batch touches, in one transaction with the checkpoint.
    ForumsPostCreated: { wruPerEvent: 2 * 2 },
    UsersPostCreated: { wruPerEvent: 2 },
    MediaWorker: { wruPerEvent: 2 + 2, causes: { "media.MediaProcessed": 1 } },
    UsersOutboxPublisher: { wruPerEvent: 0 },
    ProductsOutboxPublisher: { wruPerEvent: 0 },
    ForumsOutboxPublisher: { wruPerEvent: 0 },
    MediaOutboxPublisher: { wruPerEvent: 0 },
  },
  durations: {
    route: { baseMs: 40, perRecordMs: 0 },
    consumer: { baseMs: 30, perRecordMs: 2 },
    publisher: { baseMs: 20, perRecordMs: 1 },
    byFunction: {
      // sharp decodes and resizes one upload per invocation.
      MediaWorker: { baseMs: 1_200, perRecordMs: 0 },
      // Cognito's InitiateAuth dominates.
      UsersSignup: { baseMs: 250, perRecordMs: 0 },
      UsersSignin: { baseMs: 200, perRecordMs: 0 },
      UsersRefresh: { baseMs: 120, perRecordMs: 0 },
      // A merged page: one query per feed shard.
      ProductsListProducts: { baseMs: 60, perRecordMs: 0 },
      ProductsPopularProducts: { baseMs: 60, perRecordMs: 0 },
      ProductsRecordView: { baseMs: 15, perRecordMs: 0 },
    },
  },
  eventKb: 1,
  itemKb: 1,
  media: { uploadKb: 500, thumbnailKb: 20, readsPerUserPerDay: 20, cdnHitRate: 0.95, originalShare: 0.05 },
  hotKeys: { product: 0.01, thread: 0.001 },
  logKbPerInvocation: 1,
  xraySampling: {
    reservoirPerSecond: 1,
    fixedRate: 0.05,
    source: "assumed: the X-Ray default sampling rule (stacks/tracing.ts sets no rule of its own yet)",
  },
};
