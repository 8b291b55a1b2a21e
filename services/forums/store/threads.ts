import { ThreadCreated } from "../../../events/forums.js";
import type { Key, Page } from "../../../shared/data/index.js";
import { notFound } from "../../../shared/http/problem.js";
import { outboxEvent, writeWithEvents } from "../../../shared/outbox/index.js";
import type { Thread } from "../api.js";
import { authorNames } from "./authors.js";
import { findForum } from "./forums.js";
import { keys, timeKey } from "./keys.js";
import { forumsTable, itemsInOrder, newId } from "./table.js";

/**
 * Thread items (`FORUM#<forumId>` / `THREAD#<threadId>`): under their forum's key, so a thread id asked for under
 * another forum is not found (404). `seq` is the number of the last post the thread accepted (`posts.ts` moves it,
 * with `postCount`, `lastPostAt` and the `byActivity` sort key, in each post's transaction).
 */

export interface ThreadItem {
  readonly threadId: string;
  readonly forumId: string;
  readonly authorId: string;
  readonly title: string;
  readonly body: string;
  readonly createdAt: string;
  /** The last accepted post's number (0: none yet); `postCount` is the same number. */
  readonly seq: number;
  readonly postCount: number;
  readonly lastPostAt: string | null;
  /** `byActivity`: the forum's threads, most recent activity (last post, else start) first. */
  readonly activityPk: string;
  readonly activitySk: string;
}

/** The API's `Thread`: the stored fields and the author's current name (`null` while the directory lacks it). */
export function toThread(item: ThreadItem, names: ReadonlyMap<string, string | null>): Thread {
  return {
    threadId: item.threadId,
    forumId: item.forumId,
    authorId: item.authorId,
    authorName: names.get(item.authorId) ?? null,
    title: item.title,
    body: item.body,
    postCount: item.postCount ?? item.seq ?? 0,
    lastPostAt: item.lastPostAt ?? null,
    createdAt: item.createdAt,
  };
}

/** `Thread`s of `items`, their authors' names resolved with one directory read. */
export async function withAuthorNames(items: readonly ThreadItem[]): Promise<Thread[]> {
  const names = await authorNames(items.map((item) => item.authorId));
  return items.map((item) => toThread(item, names));
}

/** The thread of that forum, or `undefined` (also when the thread belongs to another forum). */
export async function findThread(
  forumId: string,
  threadId: string,
  options: { readonly consistent?: boolean } = {},
): Promise<ThreadItem | undefined> {
  return forumsTable.get<ThreadItem>(keys.thread(forumId, threadId), options);
}

/** The thread of that forum, or the 404 problem. */
export async function threadOf(
  forumId: string,
  threadId: string,
  options: { readonly consistent?: boolean } = {},
): Promise<ThreadItem> {
  const item = await findThread(forumId, threadId, options);
  if (!item) throw notFound(`thread ${threadId} does not exist in forum ${forumId}`);
  return item;
}

/**
 * Starts a thread: the thread (no posts yet, `seq` 0) and `forums.ThreadCreated`, in one transaction that also
 * checks the forum exists (a missing forum is the 404 problem, and no thread is left behind).
 */
export async function createThread(
  forumId: string,
  authorId: string,
  fields: { readonly title: string; readonly body: string },
  nowMs: number = Date.now(),
): Promise<ThreadItem> {
  const threadId = newId();
  const createdAt = new Date(nowMs).toISOString();
  const item: ThreadItem = {
    threadId,
    forumId,
    authorId,
    ...fields,
    createdAt,
    seq: 0,
    postCount: 0,
    lastPostAt: null,
    activityPk: keys.activity(forumId),
    activitySk: timeKey(createdAt, threadId),
  };
  const outcome = await writeWithEvents(
    forumsTable,
    [
      { check: { key: keys.forum(forumId), condition: { expression: "attribute_exists(pk)" } } },
      {
        put: {
          item: { ...keys.thread(forumId, threadId), ...item },
          condition: { expression: "attribute_not_exists(pk)" },
        },
      },
    ],
    [outboxEvent(ThreadCreated, { threadId, forumId, authorId, title: item.title, createdAt }, { orderKey: threadId })],
  );
  if (!outcome.committed) {
    if (outcome.failed.includes(0)) throw notFound(`forum ${forumId} does not exist`);
    throw new Error(`thread ${threadId} could not be created (items ${outcome.failed.join(", ")})`);
  }
  return item;
}

/**
 * One page of a forum's threads, most recent activity first (`byActivity`, keys only, then one batchGet), with
 * their authors' names. A forum that does not exist is the 404 problem.
 */
export async function listThreads(
  forumId: string,
  page: { readonly limit: number; readonly cursor?: string | undefined },
): Promise<Page<Thread>> {
  if (!(await findForum(forumId))) throw notFound(`forum ${forumId} does not exist`);
  const found = await forumsTable.queryPage<Key>(
    {
      index: "byActivity",
      keyCondition: "activityPk = :pk",
      values: { ":pk": keys.activity(forumId) },
      forward: false,
    },
    page,
  );
  return { items: await withAuthorNames(await itemsInOrder<ThreadItem>(found.items)), nextCursor: found.nextCursor };
}
