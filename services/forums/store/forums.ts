import { ForumCreated } from "../../../events/forums.js";
import { ReadCache } from "../../../shared/cache/index.js";
import type { Key, Page } from "../../../shared/data/index.js";
import { outboxEvent, writeWithEvents } from "../../../shared/outbox/index.js";
import type { Forum } from "../api.js";
import { keys, LIST_SHARDS, shardOf, timeKey } from "./keys.js";
import { descendingShards, forumsTable, itemsInOrder, newId } from "./table.js";

/**
 * Forum items (`FORUM#<id>` / `FORUM`): the create with `forums.ForumCreated`, the reads, and the list newest first
 * over {@link LIST_SHARDS} partitions of the KEYS_ONLY `byList` index. `threadCount` and `postCount` are the
 * counters the consumers keep from the forum's events (eventually consistent); KEYS_ONLY means those updates write
 * nothing to the index.
 */

export interface ForumItem {
  readonly forumId: string;
  readonly name: string;
  readonly description: string | null;
  readonly ownerId: string;
  readonly createdAt: string;
  /** Kept by the consumers (absent until the first thread or post is counted). */
  readonly threadCount?: number;
  readonly postCount?: number;
  readonly listPk: string;
  readonly listSk: string;
}

/**
 * A forum answers for 2 s per sandbox (`GET /forums/{id}` and the existence checks of the thread routes); with the
 * HTTP caching of 1 s + 2 s, a counter moves for every reader within 5 s. Writers check the forum in their
 * transaction, never through this cache.
 */
const cached = new ReadCache<ForumItem>({ ttlMs: 2_000, maxEntries: 5_000 });

export function toForum(item: ForumItem): Forum {
  return {
    forumId: item.forumId,
    name: item.name,
    description: item.description ?? null,
    ownerId: item.ownerId,
    threadCount: item.threadCount ?? 0,
    postCount: item.postCount ?? 0,
    createdAt: item.createdAt,
  };
}

/** The forum, through the origin cache (a forum that does not exist is remembered as such for as long). */
export async function findForum(forumId: string): Promise<ForumItem | undefined> {
  return cached.get(forumId, () => forumsTable.get<ForumItem>(keys.forum(forumId)));
}

/** Opens a forum: the item and `forums.ForumCreated` in one transaction. */
export async function createForum(
  ownerId: string,
  fields: { readonly name: string; readonly description: string | null },
  nowMs: number = Date.now(),
): Promise<ForumItem> {
  const forumId = newId();
  const createdAt = new Date(nowMs).toISOString();
  const item: ForumItem = {
    forumId,
    ...fields,
    ownerId,
    createdAt,
    threadCount: 0,
    postCount: 0,
    listPk: keys.list(shardOf(forumId, LIST_SHARDS)),
    listSk: timeKey(createdAt, forumId),
  };
  const outcome = await writeWithEvents(
    forumsTable,
    [{ put: { item: { ...keys.forum(forumId), ...item }, condition: { expression: "attribute_not_exists(pk)" } } }],
    [outboxEvent(ForumCreated, { forumId, name: item.name, ownerId, createdAt }, { orderKey: forumId })],
  );
  if (!outcome.committed) throw new Error(`forum ${forumId} could not be created (items ${outcome.failed.join(", ")})`);
  cached.set(forumId, item);
  return item;
}

/**
 * One page of forums, newest first: the heads of the {@link LIST_SHARDS} `byList` partitions merged (keys only),
 * then the forums themselves in one batchGet, in the page's order.
 */
export async function listForums(page: {
  readonly limit: number;
  readonly cursor?: string | undefined;
}): Promise<Page<Forum>> {
  const partitions = Array.from({ length: LIST_SHARDS }, (_, shard) => keys.list(shard));
  const shards = descendingShards("byList", "listPk", partitions);
  const found = await forumsTable.mergedPage<Key>(shards, page);
  const items = await itemsInOrder<ForumItem>(found.items);
  return { items: items.map(toForum), nextCursor: found.nextCursor };
}
