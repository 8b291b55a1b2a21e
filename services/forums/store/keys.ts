import { createHash } from "node:crypto";

/**
 * The forums table, one item per fact (single-table design, string keys `pk`/`sk`), and its indexes:
 *
 * | pk | sk | what | index keys |
 * |---|---|---|---|
 * | `FORUM#<forumId>` | `FORUM` | a forum: name, description, owner, `threadCount`, `postCount` | `listPk`/`listSk` (KEYS_ONLY) |
 * | `FORUM#<forumId>` | `THREAD#<threadId>` | a thread of the forum: title, body, author, `postCount`, `lastPostAt`, `seq` (the last accepted post's number) | `activityPk`/`activitySk` (KEYS_ONLY) |
 * | `THREAD#<threadId>` | `POST#<seq, 12 digits>` | a post, numbered in the order its thread accepted it | |
 * | `AUTHOR#<userId>` | `AUTHOR` | the author directory: the user's current `displayName` (from users events) | |
 * | `AUTHOR#<userId>` | `POSTS` | the user's post count on the leaderboard | `rankPk`/`rankSk` |
 * | `COUNTED#<shardId>` | `CHECKPOINT` | how far a stream counter got in one shard (sequence number, recent event ids) | |
 * | `COUNTED#thread#<threadId>` | `COUNTED` | a thread already counted into its forum (a redelivery counts nothing) | |
 * | `<idempotency key>` | `IDEMPOTENCY` | the HTTP layer's idempotency records (`expiresAt` TTL) | |
 * | `OUTBOX#<orderKey>` | `<time>#<eventId>` | an event committed with the write that caused it (`shared/outbox`) | |
 *
 * A thread's key holds its forum, so a thread id under another forum is simply not found (404).
 *
 * Sort keys (all strings, so string order is the order wanted): `listSk` and `activitySk` are {@link timeKey}s (a
 * forum's creation; a thread's last post, else its start), read newest first; `rankSk` is {@link rankKey}, read
 * most posts first. `byActivity` is KEYS_ONLY like `byList`: every post moves its thread's `activitySk`, and with
 * the keys alone that index write is one small entry instead of a copy of the thread (its body is up to 10,000
 * characters); a page reads the threads with one batchGet.
 */

/** Index partitions the ranking is spread over, so that no single partition takes every post's count. */
export const RANK_SHARDS = 8;
/** Index partitions the forum list is spread over (forums are created rarely; KEYS_ONLY keeps counters off it). */
export const LIST_SHARDS = 4;

export function shardOf(id: string, shards: number): number {
  return createHash("sha256").update(id).digest().readUInt32BE(0) % shards;
}

/** A number as a sort key: zero-padded so that string order is number order (index keys are strings). */
export const padded = (n: number, width = 12): string => String(Math.max(0, Math.floor(n))).padStart(width, "0");

/** Newest first (read descending): the time, then the id to break ties. */
export const timeKey = (at: string, id: string): string => `${at}#${id}`;

/** Most posts first (read descending): the zero-padded count, then the user id to break ties. */
export const rankKey = (posts: number, userId: string): string => `${padded(posts)}#${userId}`;

export const keys = {
  forum: (forumId: string) => ({ pk: `FORUM#${forumId}`, sk: "FORUM" }),
  thread: (forumId: string, threadId: string) => ({ pk: `FORUM#${forumId}`, sk: `THREAD#${threadId}` }),
  post: (threadId: string, seq: number) => ({ pk: `THREAD#${threadId}`, sk: `POST#${padded(seq)}` }),
  author: (userId: string) => ({ pk: `AUTHOR#${userId}`, sk: "AUTHOR" }),
  authorPosts: (userId: string) => ({ pk: `AUTHOR#${userId}`, sk: "POSTS" }),
  streamCheckpoint: (consumer: string, shardId: string) => ({ pk: `COUNTED#${consumer}#${shardId}`, sk: "CHECKPOINT" }),
  countedThread: (threadId: string) => ({ pk: `COUNTED#thread#${threadId}`, sk: "COUNTED" }),
  list: (shard: number) => `FORUMS#${shard}`,
  activity: (forumId: string) => `ACTIVITY#${forumId}`,
  rank: (shard: number) => `RANK#${shard}`,
} as const;
