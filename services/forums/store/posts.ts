import { PostCreated } from "../../../events/forums.js";
// The modules themselves: the data layer's face does not export its backoff or the cancellation reasons.
import { backoff } from "../../../shared/data/backoff.js";
import { cancellationCodes } from "../../../shared/data/cancellationCodes.js";
import type { Page, RetryPolicy } from "../../../shared/data/index.js";
import { HttpProblem } from "../../../shared/http/problem.js";
import { emitMetric } from "../../../shared/metrics/index.js";
import { outboxEvent, writeWithEvents } from "../../../shared/outbox/index.js";
import type { Post } from "../api.js";
import { forumsMetrics } from "../metrics.js";
import { authorNames } from "./authors.js";
import { keys, timeKey } from "./keys.js";
import { forumsTable, newId } from "./table.js";
import { type ThreadItem, threadOf } from "./threads.js";

/**
 * Posts (`THREAD#<threadId>` / `POST#<seq>`), numbered in the order their thread accepts them, and that one order
 * everywhere: the posts list, `forums.PostCreated` on the stream, and what every consumer of the stream sees.
 *
 * **One writer at a time per thread.** A post reads its thread consistently (`seq` = n, the last accepted post),
 * and commits, in ONE transaction: the thread's `seq` set to n + 1 under the condition `seq = n`, the post at
 * `POST#<n + 1>`, and its `PostCreated` outbox item. Two posts that read the same n cannot both commit: the second
 * fails its condition, reads the thread again and tries as n + 2. So the thread's commits are serialized, and the
 * commit of post n + 1 starts only after post n's commit (its read saw n): commit order = `seq` order, with no gap
 * (a failed transaction writes nothing, the number is taken again) and no duplicate (one commit per value of `seq`).
 *
 * **The same order on the stream.** Every `PostCreated` of a thread has the order key `threadId` (the contract's
 * partition key), so its outbox item is under the one partition key `OUTBOX#<threadId>`; a partition's changes reach
 * the table's stream shard in commit order, the publisher sends them one at a time in shard order and stops at the
 * first failure (`shared/outbox/outboxItems.ts`, `publisher.ts`), and the event goes on Kinesis partitioned by
 * `threadId`, which keeps one shard's records in that order for every consumer. Commit order = seq order, so the
 * stream's order of a thread's posts is their `seq` order, which is the list's order (`POST#<seq>`, ascending).
 *
 * **Time follows the order too.** `createdAt` is the later of now and the previous post's (`lastPostAt`), so a
 * sandbox whose clock lags cannot make "oldest first" and "the order accepted" disagree.
 *
 * **Contention.** Each lost race costs a re-read and a jittered backoff; a post gives up after
 * {@link POST_ATTEMPTS} attempts with the 409 problem (`retry-after: 1`): not a fault, the thread was busier than one
 * writer at a time serves. A thread serves about one commit per round trip (read + transaction, ~10 ms in a
 * region): roughly 50–100 posts a second, far above one conversation's pace.
 */

/** Attempts at being the next post of a busy thread, the first included. */
export const POST_ATTEMPTS = 25;
/** Jitter between attempts: full jitter, 10 ms doubling up to 250 ms (30 concurrent posts settle within ~1 s). */
const CONTENTION: RetryPolicy = { attempts: POST_ATTEMPTS, baseMs: 10, capMs: 250 };

export interface PostItem {
  readonly postId: string;
  readonly threadId: string;
  readonly forumId: string;
  readonly authorId: string;
  readonly body: string;
  readonly createdAt: string;
  /** Its number in the thread, 1, 2, 3, … in the order accepted. */
  readonly seq: number;
}

export function toPost(item: PostItem, names: ReadonlyMap<string, string | null>): Post {
  return {
    postId: item.postId,
    threadId: item.threadId,
    forumId: item.forumId,
    authorId: item.authorId,
    authorName: names.get(item.authorId) ?? null,
    body: item.body,
    createdAt: item.createdAt,
  };
}

/**
 * Accepts a post as its thread's next one (see above). A thread that does not exist in that forum is the 404
 * problem; a thread too busy to take it after {@link POST_ATTEMPTS} attempts, or by `deadline` (epoch ms: the
 * invocation's time left, less what answering takes), the 409 problem: a loaded thread answers "try again", never
 * runs into the function's timeout.
 */
export async function createPost(
  forumId: string,
  threadId: string,
  authorId: string,
  body: string,
  deadline = Number.POSITIVE_INFINITY,
): Promise<PostItem> {
  const postId = newId();
  for (let attempt = 0; attempt < POST_ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff(attempt - 1, CONTENTION);
    if (attempt > 0 && Date.now() >= deadline) break;
    const thread = await threadOf(forumId, threadId, { consistent: true });
    const post = await appendPost(thread, postId, authorId, body);
    if (post) {
      emitMetric(forumsMetrics, "PostsCreated", 1);
      return post;
    }
  }
  throw new HttpProblem("conflict", `thread ${threadId} took too many posts at once; try again`, {
    headers: { "retry-after": "1" },
  });
}

/** One attempt: the post as number `thread.seq + 1`, or `undefined` when another post took that number first. */
async function appendPost(
  thread: ThreadItem,
  postId: string,
  authorId: string,
  body: string,
): Promise<PostItem | undefined> {
  const { forumId, threadId } = thread;
  const prev = thread.seq ?? 0;
  const seq = prev + 1;
  const now = new Date().toISOString();
  const createdAt = thread.lastPostAt && thread.lastPostAt > now ? thread.lastPostAt : now;
  const item: PostItem = { postId, threadId, forumId, authorId, body, createdAt, seq };
  try {
    const outcome = await writeWithEvents(
      forumsTable,
      [
        {
          update: {
            key: keys.thread(forumId, threadId),
            spec: { set: { seq, postCount: seq, lastPostAt: createdAt, activitySk: timeKey(createdAt, threadId) } },
            condition: { expression: "#seq = :prev", names: { "#seq": "seq" }, values: { ":prev": prev } },
          },
        },
        {
          put: {
            item: { ...keys.post(threadId, seq), ...item },
            condition: { expression: "attribute_not_exists(pk)" },
          },
        },
      ],
      [outboxEvent(PostCreated, { postId, threadId, forumId, authorId, createdAt }, { orderKey: threadId })],
    );
    if (outcome.committed) return item;
    if (outcome.failed.includes(0)) return undefined;
    throw new Error(`post ${postId} could not be written as ${threadId}#${seq} (items ${outcome.failed.join(", ")})`);
  } catch (error) {
    // Cancelled only by other transactions on the thread, past the data layer's own retries: a lost race as well.
    if (cancellationCodes(error)?.includes("TransactionConflict")) return undefined;
    throw error;
  }
}

/**
 * One page of a thread's posts, oldest first in the order accepted (`POST#<seq>` ascending), with their authors'
 * names. A thread that does not exist in that forum is the 404 problem.
 */
export async function listPosts(
  forumId: string,
  threadId: string,
  page: { readonly limit: number; readonly cursor?: string | undefined },
): Promise<Page<Post>> {
  await threadOf(forumId, threadId);
  const found = await forumsTable.queryPage<PostItem>(
    {
      keyCondition: "pk = :pk AND begins_with(sk, :posts)",
      values: { ":pk": keys.post(threadId, 0).pk, ":posts": "POST#" },
    },
    page,
  );
  const names = await authorNames(found.items.map((item) => item.authorId));
  return { items: found.items.map((item) => toPost(item, names)), nextCursor: found.nextCursor };
}
