import type { Leader } from "../api.js";
import { authorNames } from "./authors.js";
import { keys, RANK_SHARDS } from "./keys.js";
import { descendingShards, forumsTable } from "./table.js";

/**
 * The leaderboard, read side: each author's post count (`AUTHOR#<userId>` / `POSTS`, kept by the `postCreated`
 * consumer from the post stream, once per batch) sits in one of {@link RANK_SHARDS} `byRank` partitions
 * (`RANK#<n>`, sorted by `rankKey`: the zero-padded count, then the user id), so no single index partition takes
 * every author's count. The top `limit` is the heads of those partitions merged, most posts first.
 */

export interface PostsItem {
  readonly userId: string;
  readonly posts: number;
  readonly rankPk: string;
  readonly rankSk: string;
}

/** The `limit` authors with the most posts, most first, with their current `displayName` (`null`: not seen yet). */
export async function leaderboard(limit: number): Promise<Leader[]> {
  const partitions = Array.from({ length: RANK_SHARDS }, (_, shard) => keys.rank(shard));
  const shards = descendingShards("byRank", "rankPk", partitions);
  const { items } = await forumsTable.mergedPage<PostsItem>(shards, { limit });
  const names = await authorNames(items.map((item) => item.userId));
  return items.map(({ userId, posts }) => ({ userId, displayName: names.get(userId) ?? null, posts }));
}
