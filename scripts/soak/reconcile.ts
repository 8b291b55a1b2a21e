import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Forum, Leader, Thread } from "../../services/forums/api.js";
import type { Media } from "../../services/media/api.js";
import type { Product } from "../../services/products/api.js";
import type { Profile, PublicProfile } from "../../services/users/api.js";
import type { LinkedResource } from "../../shared/config.js";
import { type DlqMessage, peekDlq } from "../../shared/ops/dlqMessages.js";
import { queueDepths } from "../../shared/ops/queues.js";
import type { Topology } from "../../shared/topology/index.js";
import type { Tally, Truth } from "./world.js";

/** One counter kind compared with its ground truth: how many items were checked, and each that differs. */
export interface CounterCheck {
  readonly name: string;
  readonly items: number;
  readonly mismatches: readonly string[];
  /** Items whose truth is a range, a write of theirs having been answered with a fault. */
  readonly uncertain: number;
}

/** One event type at one consumer: what the successful writes published, what the consumer's effects show, the DLQ. */
export interface EventRow {
  readonly event: string;
  /** The consuming function (topology name), or null for an event no consumer subscribes to. */
  readonly consumer: string | null;
  readonly expected: number;
  /** Writes answered with a fault (5xx, no answer): each may have published the event, or not. */
  readonly unknown: number;
  /** Events the consumer's effects account for; null where its effect is checked as a counter (`via`). */
  readonly found: number | null;
  readonly inDlq: number;
  readonly via: string;
}

/** A DLQ message as the operator tools describe it, with the DLQ it sits in. */
export interface DlqEntry extends DlqMessage {
  readonly dlq: string;
}

export interface Reconciliation {
  readonly drained: boolean;
  readonly drainMs: number;
  readonly counters: readonly CounterCheck[];
  readonly events: readonly EventRow[];
  readonly dlq: readonly DlqEntry[];
  /** DLQ messages whose event and consumer no row takes (an outbox publisher's, a batch of several types). */
  readonly unattributed: readonly DlqEntry[];
}

export interface Runtime {
  readonly url: string;
  readonly topology: Topology;
  readonly resources: Readonly<Record<string, LinkedResource>>;
  readonly sqs: Pick<SQSClient, "send">;
}

/** What the consumers' effects show right now, read through the public API. */
interface Observation {
  readonly forums: Record<string, Pick<Forum, "threadCount" | "postCount"> | null>;
  readonly threads: Record<string, Pick<Thread, "postCount" | "authorName"> | null>;
  readonly stats: Record<string, PublicProfile["stats"] | null>;
  readonly leaders: readonly Leader[];
  readonly views: Record<string, number>;
  readonly media: Record<string, Media["status"] | null>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function getJson<T>(url: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, body: body as T };
}

/** Maps `items` through `fn`, `width` at a time. */
async function pooled<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const at = next++;
        out[at] = await fn(items[at]!);
      }
    }),
  );
  return out;
}

async function observe(url: string, truth: Truth): Promise<Observation> {
  const byKey = async <T, R>(keys: readonly string[], path: (k: string) => string, pick: (body: T) => R) =>
    Object.fromEntries(
      await pooled(keys, 8, async (key) => {
        const { status, body } = await getJson<T>(url, path(key));
        return [key, status === 200 ? pick(body) : null] as const;
      }),
    ) as Record<string, R | null>;
  const [forums, threads, stats, leaders, popular, media] = await Promise.all([
    byKey<Forum, Pick<Forum, "threadCount" | "postCount">>(
      [...truth.forums.keys()],
      (id) => `/forums/${id}`,
      (f) => ({ threadCount: f.threadCount, postCount: f.postCount }),
    ),
    byKey<Thread, Pick<Thread, "postCount" | "authorName">>(
      [...truth.threads.keys()],
      (id) => `/forums/${truth.threads.get(id)!.forumId}/threads/${id}`,
      (t) => ({ postCount: t.postCount, authorName: t.authorName }),
    ),
    byKey<PublicProfile, PublicProfile["stats"]>(
      truth.accounts.map((a) => a.userId),
      (id) => `/users/${id}`,
      (p) => p.stats,
    ),
    getJson<{ items: Leader[] }>(url, "/forums/leaderboard?limit=50"),
    getJson<{ items: { product: Product; views: number }[] }>(url, "/products/popular?limit=50"),
    byKey<Media, Media["status"]>(
      truth.uploads.map((u) => u.mediaId),
      (id) => `/media/${id}`,
      (m) => m.status,
    ),
  ]);
  return {
    forums,
    threads,
    stats,
    leaders: leaders.body?.items ?? [],
    views: Object.fromEntries((popular.body?.items ?? []).map((i) => [i.product.productId, i.views])),
    media,
  };
}

/**
 * Each counter of the observation against the ground truth: equal, or within the range left by writes answered
 * with a fault.
 *
 * @example
 * ```ts
 * compareCounters(truth, await observe(url, truth)).filter((c) => c.mismatches.length > 0);
 * ```
 */
export function compareCounters(truth: Truth, seen: Observation): CounterCheck[] {
  let uncertain = 0;
  const check = <T>(name: string, items: readonly T[], differs: (item: T) => string | undefined): CounterCheck => {
    uncertain = 0;
    const mismatches = items.map(differs).filter((m): m is string => m !== undefined);
    return { name, items: items.length, mismatches, uncertain };
  };
  const diff = (what: string, expected: unknown, found: unknown, maybe?: unknown) => {
    if (maybe !== undefined) uncertain++;
    if (found === expected || (maybe !== undefined && found === maybe)) return undefined;
    return `${what}: expected ${String(expected)}${maybe === undefined ? "" : ` or ${String(maybe)}`}, found ${String(found)}`;
  };
  /** A count within its tally's range: `n`, up to `n + unknown` when writes of it were answered with a fault. */
  const within = (what: string, t: Tally | undefined, found: number | undefined) => {
    const n = t?.n ?? 0;
    const unknown = t?.unknown ?? 0;
    if (unknown > 0) uncertain++;
    if (found !== undefined && found >= n && found <= n + unknown) return undefined;
    return `${what}: expected ${n}${unknown ? ` to ${n + unknown} (${unknown} answered with a fault)` : ""}, found ${String(found)}`;
  };
  const forums = [...truth.forums];
  const threads = [...truth.threads];
  const leaders = new Map(seen.leaders.map((l) => [l.userId, l.posts]));
  const leaderboardFull = seen.leaders.length >= 50;
  const lowest = Math.min(...seen.leaders.map((l) => l.posts));
  return [
    check("forum threadCount", forums, ([id, f]) => within(`forum ${id}`, f.threads, seen.forums[id]?.threadCount)),
    check("forum postCount", forums, ([id, f]) => within(`forum ${id}`, f.posts, seen.forums[id]?.postCount)),
    check("thread postCount", threads, ([id, t]) => within(`thread ${id}`, t.posts, seen.threads[id]?.postCount)),
    check("thread authorName", threads, ([id, t]) =>
      diff(
        `thread ${id} of ${t.author.userId}`,
        t.author.displayName,
        seen.threads[id]?.authorName,
        t.author.maybeName,
      ),
    ),
    check("user stats.threads", truth.accounts, (a) =>
      within(`user ${a.userId}`, truth.stats.get(a.userId)?.threads, seen.stats[a.userId]?.threads),
    ),
    check("user stats.posts", truth.accounts, (a) =>
      within(`user ${a.userId}`, truth.stats.get(a.userId)?.posts, seen.stats[a.userId]?.posts),
    ),
    check("leaderboard posts", truth.accounts, (a) => {
      const posts = truth.stats.get(a.userId)?.posts;
      const shown = leaders.get(a.userId);
      const most = (posts?.n ?? 0) + (posts?.unknown ?? 0);
      // A full board leaves out whoever has no more posts than its last row.
      if (shown === undefined && (most === 0 || (leaderboardFull && (posts?.n ?? 0) <= lowest))) return undefined;
      return within(`leader ${a.userId}`, posts, shown);
    }),
    check("popular views", truth.hotProducts, (p) =>
      within(`product ${p.productId}`, p.views, seen.views[p.productId] ?? 0),
    ),
    check("media ready", truth.uploads, (u) => diff(`media ${u.mediaId}`, "ready", seen.media[u.mediaId])),
  ];
}

/** How many events a consumer's effects account for, by consumer function (topology name). */
function foundBy(truth: Truth, seen: Observation, accepted: Readonly<Record<string, number>>) {
  const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
  const mine = truth.accounts.map((a) => seen.stats[a.userId]);
  return {
    ForumsThreadCreated: sum(Object.values(seen.forums).map((f) => f?.threadCount ?? 0)),
    ForumsPostCreated: sum(Object.values(seen.forums).map((f) => f?.postCount ?? 0)),
    UsersThreadCreated: sum(mine.map((s) => s?.threads ?? 0)),
    UsersPostCreated: sum(mine.map((s) => s?.posts ?? 0)),
    ProductsProductViewed: sum(truth.hotProducts.map((p) => seen.views[p.productId] ?? 0)),
    MediaWorker: Object.values(seen.media).filter((s) => s === "ready" || s === "failed").length,
    ...accepted,
  } as Record<string, number>;
}

/** Where a consumer's effect is read (the counter checks name the same). */
const VIA: Readonly<Record<string, string>> = {
  ForumsThreadCreated: "Σ forum threadCount",
  ForumsPostCreated: "Σ forum postCount",
  UsersThreadCreated: "Σ users' stats.threads",
  UsersPostCreated: "Σ users' stats.posts",
  ProductsProductViewed: "Σ popular views",
  MediaWorker: "media no longer pending",
  ProductsMediaProcessed: "a product takes the image",
  UsersMediaProcessed: "a profile takes it as avatar",
  ForumsAuthors: "counter: thread authorName",
};

/**
 * The MediaProcessed probes: every upload offered to both consumers of `media.MediaProcessed` (a new product showing
 * it, the owner's avatar); each accepted one is an event the consumer recorded. A 403 (not recorded yet) is tried
 * again until the deadline.
 */
async function probeMedia(url: string, truth: Truth, deadline: number): Promise<Record<string, number>> {
  const pending = {
    ProductsMediaProcessed: [...truth.uploads],
    UsersMediaProcessed: [...truth.uploads],
  };
  const accepted = { ProductsMediaProcessed: 0, UsersMediaProcessed: 0 };
  const json = (token: string, method: string, body: unknown): RequestInit => ({
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  while (Date.now() < deadline && (pending.ProductsMediaProcessed.length || pending.UsersMediaProcessed.length)) {
    const products = await pooled(pending.ProductsMediaProcessed, 8, async (u) => {
      const reply = await getJson<Product>(
        url,
        "/products",
        json(u.owner.token, "POST", {
          name: "Soak probe",
          priceCents: 1,
          currency: "EUR",
          category: "soak-probe",
          imageMediaIds: [u.mediaId],
        }),
      );
      return reply.status === 201 && reply.body.images.some((i) => i.mediaId === u.mediaId);
    });
    // One profile update per owner at a time.
    const owners = [...new Set(pending.UsersMediaProcessed.map((u) => u.owner))];
    const taken = new Set<string>();
    await pooled(owners, 8, async (owner) => {
      for (const u of pending.UsersMediaProcessed.filter((x) => x.owner === owner)) {
        const reply = await getJson<Profile>(
          url,
          "/users/me",
          json(owner.token, "PATCH", { avatarMediaId: u.mediaId }),
        );
        if (reply.status === 200 && reply.body.avatar?.mediaId === u.mediaId) taken.add(u.mediaId);
      }
    });
    accepted.ProductsMediaProcessed += products.filter(Boolean).length;
    accepted.UsersMediaProcessed += taken.size;
    pending.ProductsMediaProcessed = pending.ProductsMediaProcessed.filter((_, i) => !products[i]);
    pending.UsersMediaProcessed = pending.UsersMediaProcessed.filter((u) => !taken.has(u.mediaId));
    if (pending.ProductsMediaProcessed.length || pending.UsersMediaProcessed.length) await sleep(500);
  }
  return accepted;
}

/** Every message of every DLQ of the topology, described by the operator tools (`npm run ops -- dlq show`). */
async function readDlqs(runtime: Runtime): Promise<DlqEntry[]> {
  const dlqs = runtime.topology.queues.filter((q) => q.role === "dlq");
  const read = await Promise.all(
    dlqs.map(async (q) => {
      const peek = await peekDlq(runtime, q.name, 1000);
      if (!peek.ok) throw new Error(peek.detail);
      return peek.messages.map((m) => ({ ...m, dlq: q.name }));
    }),
  );
  return read.flat();
}

/**
 * Polls (one a second) with the queues empty and nothing moving before the counters count as settled short of the
 * truth: longer than a stream consumer's batch window and its first retries' backoff.
 */
const STILL_POLLS = 10;

/** Until the event and buffer queues are empty and the counters stop moving (or equal the truth), within `timeoutMs`. */
async function drain(runtime: Runtime, truth: Truth, timeoutMs: number) {
  const began = Date.now();
  let last = "";
  let still = 0;
  let seen = await observe(runtime.url, truth);
  for (;;) {
    const depths = await queueDepths(runtime);
    const busy = depths.filter((d) => d.role !== "dlq").some((d) => d.visible + d.inFlight > 0);
    const print = JSON.stringify(seen);
    still = print === last ? still + 1 : 0;
    last = print;
    const settled = compareCounters(truth, seen).every((c) => c.mismatches.length === 0);
    if (!busy && (settled || still >= STILL_POLLS)) return { drained: true, seen, drainMs: Date.now() - began };
    if (Date.now() - began > timeoutMs) return { drained: false, seen, drainMs: Date.now() - began };
    await sleep(1000);
    seen = await observe(runtime.url, truth);
  }
}

/**
 * Drains, then reconciles: every counter against the ground truth, and every event published against what its
 * consumers' effects show and what sits in the DLQs.
 *
 * @example
 * ```ts
 * const result = await reconcile(runtime, world.truth, { drainMs: 120_000 });
 * ```
 */
export async function reconcile(
  runtime: Runtime,
  truth: Truth,
  { drainMs = 120_000 }: { drainMs?: number } = {},
): Promise<Reconciliation> {
  const drained = await drain(runtime, truth, drainMs);
  const counters = compareCounters(truth, drained.seen);
  const accepted = await probeMedia(runtime.url, truth, Date.now() + Math.min(drainMs, 60_000));
  const dlq = await readDlqs(runtime);
  const found = foundBy(truth, drained.seen, accepted);
  const uploads = truth.uploads.length;
  const published: Record<string, Tally> = { ...truth.published, "media.MediaProcessed": { n: uploads, unknown: 0 } };
  const { topology } = runtime;
  const attributed = new Set<DlqEntry>();
  const events = Object.entries(published).flatMap(([event, { n: expected, unknown }]): EventRow[] => {
    const subscriptions = topology.subscriptions.filter((s) => s.event === event);
    if (subscriptions.length === 0)
      return [{ event, consumer: null, expected, unknown, found: null, inDlq: 0, via: "no consumer subscribes" }];
    return subscriptions.map((s) => {
      const only = topology.subscriptions.filter((x) => x.failureDestination === s.failureDestination).length === 1;
      const inDlq = dlq.filter(
        (m) => m.dlq === s.failureDestination && (m.eventType === event || (m.eventType === undefined && only)),
      );
      for (const m of inDlq) attributed.add(m);
      return {
        event,
        consumer: s.function,
        expected,
        unknown,
        found: s.function in found ? found[s.function]! : null,
        inDlq: inDlq.length,
        via: VIA[s.function] ?? "",
      };
    });
  });
  return {
    drained: drained.drained,
    drainMs: drained.drainMs,
    counters,
    events,
    dlq,
    unattributed: dlq.filter((m) => !attributed.has(m)),
  };
}

/**
 * Whether a row adds up: consumed plus in a DLQ equals what was published, within the writes answered with a fault;
 * undefined for a row whose effect is a counter check or that no consumer takes.
 */
export function balanced(e: EventRow): boolean | undefined {
  if (e.found === null) return undefined;
  const accounted = e.found + e.inDlq;
  return accounted >= e.expected && accounted <= e.expected + e.unknown;
}

/** Whether the reconciliation holds: drained, every counter equal, every event consumed or in a DLQ with a reason. */
export function reconciled(r: Reconciliation): boolean {
  return (
    r.drained &&
    r.counters.every((c) => c.mismatches.length === 0) &&
    r.events.every((e) => balanced(e) !== false) &&
    r.dlq.every((m) => m.reason.trim() !== "") &&
    r.unattributed.length === 0
  );
}
