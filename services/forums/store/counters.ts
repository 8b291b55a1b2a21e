import {
  type Checkpoint,
  type Condition,
  type CountChunk,
  type Counted,
  type CountedRecord,
  checkpointAt,
  checkpointWrite,
  planChunks,
  readCheckpoint,
  sequenceKey,
  streamCounter,
  type TransactItem,
} from "../../../shared/data/index.js";
import { keys, RANK_SHARDS, rankKey, shardOf, timeKey } from "./keys.js";
import { forumsTable } from "./table.js";

/**
 * The counters fed by `forums.PostCreated` (the post stream): each forum's `postCount` and each author's posts on
 * the leaderboard (`AUTHOR#<userId>` / `POSTS`, in the `byRank` index), counted exactly once per batch by the shared
 * stream counter (`shared/data/streamCounter.ts`: a per-shard checkpoint `COUNTED#posts#<shardId>` moved in the same
 * transaction as the counts). A thread's own `postCount`, `lastPostAt` and activity key are not here: its post
 * transaction sets them with its `seq` (`posts.ts`), exactly and at once, on the item that write already takes.
 * `threadCount` is the `threads` consumer's (count once per thread, `threads.ts`).
 *
 * **Hot keys, aggregated per batch.** The stream peaks at 1,200 posts/s on 2 shards (`events/forums.ts`); the
 * mapping hands each shard's records to one invocation at a time, up to 1,000 a batch, every second at most
 * (`service.ts`). A batch becomes ONE write per forum and per author it touches, whatever its traffic:
 * - a forum taking every post of the system (1,200/s) gets one write per shard per batch: 2 shards × ~1 batch/s =
 *   ~2 writes/s instead of 1,200 (one item takes 1,000 WCU/s);
 * - a thread taking hundreds of posts a second is on one shard (the partition key is its id): its forum and its
 *   authors get one write per batch, never one per post;
 * - the leaderboard: every counted author moves its `rankSk`, which in the index is a delete and a put (2 writes).
 *   At worst every post of a second is by another author: 1,200 × 2 = 2,400 index writes/s, which one partition
 *   (1,000 WCU/s) could not take. Spread over {@link RANK_SHARDS} partitions by a hash of the user id
 *   (`RANK#<n>`): 2,400 / 8 = 300/s each, under a third of a partition's limit; the leaderboard read merges the 8
 *   partitions' heads (8 small queries, cached by the CDN for 2 s).
 *
 * **Every write absolute, under a condition on what it replaces.** A forum's or an author's new total is its
 * current one plus the chunk's, written under `postCount = :before` (`posts = :before`): the two shards' counters,
 * and a replay (`writeReplayed`), can write the same forum or author, and a write that lost the race reads again
 * and retries instead of adding onto a total it did not read. The author's total must be known anyway: it is in
 * the rank sort key.
 */

/** The consumer's name in its checkpoints' keys (`COUNTED#posts#<shardId>`). */
export const POSTS_COUNTER = "posts";

/** TransactWriteItems takes 100 items: one write per forum or author of the chunk, and the checkpoint: 99 + 1. */
export const KEYS_PER_CHUNK = 99;

/** Rounds of read-then-write one chunk tries when a total changed between its read and its write. */
const ROUNDS = 5;

/** One post, as the counters read it off its record. */
export interface PostRecord extends CountedRecord {
  readonly postId: string;
  readonly threadId: string;
  readonly forumId: string;
  readonly authorId: string;
  readonly createdAt: string;
}

/** What some posts add: posts by forum, and by author. */
export interface PostCounts {
  readonly forums: ReadonlyMap<string, number>;
  readonly authors: ReadonlyMap<string, number>;
}

/** The counter keys a post writes (one transaction item each). */
export const postKeys = (post: Pick<PostRecord, "forumId" | "authorId">): string[] => [
  `forum#${post.forumId}`,
  `author#${post.authorId}`,
];

const postPlan = { keysOf: postKeys, maxKeys: KEYS_PER_CHUNK };

/**
 * What `posts` add to each forum and each author. Pure.
 *
 * @example
 * ```ts
 * aggregatePosts(posts).forums.get("f1"); // 3: one write of +3, not three of +1
 * ```
 */
export function aggregatePosts(posts: readonly Pick<PostRecord, "forumId" | "authorId">[]): PostCounts {
  const forums = new Map<string, number>();
  const authors = new Map<string, number>();
  for (const { forumId, authorId } of posts) {
    forums.set(forumId, (forums.get(forumId) ?? 0) + 1);
    authors.set(authorId, (authors.get(authorId) ?? 0) + 1);
  }
  return { forums, authors };
}

interface ForumCounts {
  readonly pk: string;
  readonly postCount?: number;
}
interface AuthorPosts {
  readonly userId: string;
  readonly posts: number;
}

const unchanged = (attribute: string, before: number | undefined): Condition =>
  before === undefined
    ? { expression: "attribute_exists(pk) AND attribute_not_exists(#count)", names: { "#count": attribute } }
    : { expression: "#count = :before", names: { "#count": attribute }, values: { ":before": before } };

/** The writes that bring each forum and author to `total(before)`, each under a condition on `before`. */
async function totalsWrites(
  counts: PostCounts,
  total: (before: number | undefined, added: number) => number,
): Promise<{ items: TransactItem[]; missingForums: string[] }> {
  const forumIds = [...counts.forums.keys()];
  const authorIds = [...counts.authors.keys()];
  const [forums, authors] = await Promise.all([
    forumsTable.batchGet<ForumCounts>(forumIds.map(keys.forum), { consistent: true }),
    forumsTable.batchGet<AuthorPosts>(authorIds.map(keys.authorPosts), { consistent: true }),
  ]);
  const forumByPk = new Map(forums.map((item) => [item.pk, item]));
  const postsOf = new Map(authors.map((item) => [item.userId, item.posts]));
  const items: TransactItem[] = [];
  const missingForums: string[] = [];
  for (const [forumId, added] of counts.forums) {
    const key = keys.forum(forumId);
    const forum = forumByPk.get(key.pk);
    // A post's forum exists before it; a forum not found is not created here as a bare counter.
    if (!forum) {
      missingForums.push(forumId);
      continue;
    }
    const postCount = total(forum.postCount, added);
    items.push({ update: { key, spec: { set: { postCount } }, condition: unchanged("postCount", forum.postCount) } });
  }
  for (const [userId, added] of counts.authors) {
    const before = postsOf.get(userId);
    const posts = total(before, added);
    items.push({
      update: {
        key: keys.authorPosts(userId),
        spec: {
          set: { userId, posts, rankPk: keys.rank(shardOf(userId, RANK_SHARDS)), rankSk: rankKey(posts, userId) },
        },
        condition:
          before === undefined
            ? { expression: "attribute_not_exists(pk)" }
            : { expression: "#posts = :before", names: { "#posts": "posts" }, values: { ":before": before } },
      },
    });
  }
  return { items, missingForums };
}

/**
 * Writes `counts` with `fences` (checkpoint items: their failure means the stream moved on) in one transaction,
 * reading the totals again while only a total changed meanwhile. `"moved"` when a fence failed.
 */
async function commitTotals(
  counts: PostCounts,
  total: (before: number | undefined, added: number) => number,
  fences: readonly TransactItem[],
): Promise<{ outcome: "counted" | "moved"; missingForums: string[] }> {
  for (let round = 1; ; round++) {
    const { items, missingForums } = await totalsWrites(counts, total);
    const outcome = await forumsTable.transact([...items, ...fences]);
    if (outcome.committed) return { outcome: "counted", missingForums };
    if (outcome.failed.some((index) => index >= items.length)) return { outcome: "moved", missingForums };
    if (round >= ROUNDS) throw new Error(`post counts kept changing under the counter (${round} rounds)`);
  }
}

const added = (before: number | undefined, n: number) => (before ?? 0) + n;
const checkpointKey = (shardId: string) => keys.streamCheckpoint(POSTS_COUNTER, shardId);

/**
 * Counts one shard's `posts` (a batch, in shard order) exactly once. When a chunk fails, the chunks before it are
 * counted, the checkpoint is after them, and `retryFrom` is the chunk's first record; `missingForums` are forums
 * whose items were not found (their posts counted for the authors only).
 *
 * @example
 * ```ts
 * const counted = await countPosts(shardId, posts);
 * if (counted.retryFrom !== undefined) return { retryFrom: counted.retryFrom };
 * ```
 */
export async function countPosts(
  shardId: string,
  posts: readonly PostRecord[],
): Promise<Counted & { readonly missingForums: readonly string[] }> {
  const missingForums: string[] = [];
  // A counter per call: what it found missing belongs to this batch alone.
  const counter = streamCounter<PostRecord>({
    table: forumsTable,
    checkpointKey,
    ...postPlan,
    async commit(chunk: CountChunk<PostRecord>, checkpoint) {
      const committed = await commitTotals(aggregatePosts(chunk.records), added, [checkpoint]);
      missingForums.push(...committed.missingForums);
      return committed.outcome;
    },
  });
  const counted = await counter.count(shardId, posts);
  return { ...counted, missingForums };
}

/** Where the post counter stands in `shardId`. */
export const postCheckpoint = (shardId: string): Promise<Checkpoint> =>
  readCheckpoint(forumsTable, checkpointKey(shardId));

/** One shard's history, as a replay read it: every record from TRIM_HORIZON up to `cut` (the last one counted). */
export interface ShardHistory {
  readonly shardId: string;
  readonly records: readonly PostRecord[];
}

/** What the history adds up to: the totals, and each shard's checkpoint once they are written. */
export interface Replayed extends PostCounts {
  readonly checkpoints: ReadonlyMap<string, { readonly last: string; readonly recent: readonly string[] }>;
  readonly duplicates: number;
}

/**
 * The totals of a whole history, counted as the live counter counts them (the shared planner, from an empty
 * checkpoint, so the same duplicates are dropped), and where each shard's checkpoint stands after it. Pure.
 *
 * @example
 * ```ts
 * const replayed = replayTotals([{ shardId, records }]); // replayed.forums.get("f1") === 3
 * ```
 */
export function replayTotals(history: readonly ShardHistory[]): Replayed {
  const forums = new Map<string, number>();
  const authors = new Map<string, number>();
  const checkpoints = new Map<string, { last: string; recent: readonly string[] }>();
  let duplicates = 0;
  for (const { shardId, records } of history) {
    for (const chunk of planChunks(records, { recent: [] }, { ...postPlan, maxKeys: Number.POSITIVE_INFINITY })) {
      const counts = aggregatePosts(chunk.records);
      for (const [id, n] of counts.forums) forums.set(id, (forums.get(id) ?? 0) + n);
      for (const [id, n] of counts.authors) authors.set(id, (authors.get(id) ?? 0) + n);
      checkpoints.set(shardId, { last: chunk.last, recent: chunk.recent });
      duplicates += chunk.duplicates;
    }
  }
  return { forums, authors, checkpoints, duplicates };
}

/** A counter a replay writes: `forum#<id>` or `author#<id>` (the {@link postKeys} form). */
export type ReplayedKey = string;

/**
 * Writes a replay's totals as absolute values (a second run writes the same), in transactions of at most
 * {@link KEYS_PER_CHUNK} − shards counters, leaving out those in `done`. Each transaction is fenced by every shard's
 * checkpoint: it must still be at the replay's `cuts` (a sequence key, or `undefined` for none) and is set to
 * where the replay's history of that shard ends, with the history's recent events. So a total is written only
 * while the live counter has counted exactly the records the replay did, and the live counter's later chunks add
 * onto it. A fence that fails means the live counter moved on: `"moved"`, with `written` (exact, and kept so by
 * the live counter from then on), and the replay reads the history again up to the new checkpoints.
 *
 * @example
 * ```ts
 * const result = await writeReplayed(replayTotals(history), cuts, new Set());
 * ```
 */
export async function writeReplayed(
  replayed: Replayed,
  cuts: ReadonlyMap<string, string | undefined>,
  done: ReadonlySet<ReplayedKey>,
): Promise<{ outcome: "written" | "moved"; written: ReplayedKey[]; missingForums: string[] }> {
  for (const [shardId, to] of replayed.checkpoints) {
    const cut = cuts.get(shardId);
    // Moving a checkpoint back would count again what the live counter counted: the history must reach it.
    if (cut !== undefined && sequenceKey(to.last) < cut)
      throw new Error(`${shardId}: the history ends before the live checkpoint (records trimmed?)`);
  }
  const at = new Map(cuts);
  const fences = () =>
    [...at].map(([shardId, after]): TransactItem => {
      const to = replayed.checkpoints.get(shardId);
      if (to) return checkpointWrite(checkpointKey(shardId), shardId, to, after);
      // A shard with no history: the live counter must not have counted anything there meanwhile either.
      return { check: { key: checkpointKey(shardId), condition: checkpointAt(after) } };
    });
  const entries = [
    ...[...replayed.forums].map(([id, n]) => ({ key: `forum#${id}`, kind: "forums" as const, id, n })),
    ...[...replayed.authors].map(([id, n]) => ({ key: `author#${id}`, kind: "authors" as const, id, n })),
  ].filter((entry) => !done.has(entry.key));
  const perTransaction = Math.max(1, KEYS_PER_CHUNK - at.size);
  const written: ReplayedKey[] = [];
  const missingForums: string[] = [];
  // At least one transaction, so that the checkpoints are reset even when no total needs writing.
  for (let start = 0; start === 0 || start < entries.length; start += perTransaction) {
    const slice = entries.slice(start, start + perTransaction);
    const counts: PostCounts = {
      forums: new Map(slice.filter((e) => e.kind === "forums").map((e) => [e.id, e.n])),
      authors: new Map(slice.filter((e) => e.kind === "authors").map((e) => [e.id, e.n])),
    };
    const committed = await commitTotals(counts, (_before, total) => total, fences());
    missingForums.push(...committed.missingForums);
    if (committed.outcome === "moved") return { outcome: "moved", written, missingForums };
    written.push(...slice.map((entry) => entry.key));
    for (const [shardId, to] of replayed.checkpoints) at.set(shardId, sequenceKey(to.last));
  }
  return { outcome: "written", written, missingForums };
}

/**
 * Counts a thread into its forum's `threadCount` once, whatever the number of deliveries (a marker
 * `COUNTED#thread#<threadId>` and the increment in one transaction), and seeds the thread's place in `byActivity`
 * (its start) if it has none. `true` if it counted; `false` for a redelivery, which changes nothing.
 *
 * @example
 * ```ts
 * await countThread({ threadId, forumId, createdAt }); // true, then false for the same thread
 * ```
 */
export async function countThread(thread: {
  readonly threadId: string;
  readonly forumId: string;
  readonly createdAt: string;
}): Promise<boolean> {
  const { threadId, forumId, createdAt } = thread;
  const counted = await forumsTable.countOnce({
    marker: { ...keys.countedThread(threadId), forumId, at: createdAt },
    counter: keys.forum(forumId),
    increments: { threadCount: 1 },
  });
  // The thread is written before its event; a thread already placed (by its start, or its last post) keeps its place.
  await forumsTable.update(
    keys.thread(forumId, threadId),
    { set: { activityPk: keys.activity(forumId), activitySk: timeKey(createdAt, threadId) } },
    { condition: { expression: "attribute_exists(pk) AND attribute_not_exists(activitySk)" } },
  );
  return counted;
}
