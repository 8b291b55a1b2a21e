import { ReadCache } from "../../../shared/cache/index.js";
import { keys } from "./keys.js";
import { forumsTable } from "./table.js";

/**
 * The author directory, read side: `AUTHOR#<userId>` / `AUTHOR` holds a user's current `displayName`, written by
 * the `authors` consumer from `users.UserRegistered` and `users.UserProfileUpdated`. Threads, posts and the
 * leaderboard store only the author's id and resolve the name here when read, so a rename reaches every existing
 * post without rewriting one.
 */
export interface AuthorItem {
  readonly displayName: string;
}

/**
 * Names answer for 5 s per sandbox: a page of 100 posts by a handful of authors costs at most one batchGet of the
 * authors not seen lately, and a rename shows within 5 s (plus the HTTP caches' 1 s on the lists). An author not in
 * the directory yet is remembered as unknown for as long, then asked again. Entries are tiny: 20,000 stay under a
 * few MB.
 */
export const AUTHOR_CACHE_TTL_MS = 5_000;
const cached = new ReadCache<AuthorItem>({ ttlMs: AUTHOR_CACHE_TTL_MS, maxEntries: 20_000 });

/**
 * The current `displayName` of each of `userIds` (`null` for an author the directory has not seen yet): from the
 * cache, and ONE batchGet for the rest.
 *
 * @example
 * ```ts
 * const names = await authorNames(page.items.map((post) => post.authorId)); // Map { "u1" → "Ada", "u2" → null }
 * ```
 */
export async function authorNames(userIds: readonly string[]): Promise<Map<string, string | null>> {
  const found = await cached.getMany(userIds, async (missing) => {
    const byPk = new Map(missing.map((userId) => [keys.author(userId).pk, userId]));
    const items = await forumsTable.batchGet<AuthorItem & { pk: string }>(missing.map(keys.author));
    return new Map(items.map((item) => [byPk.get(item.pk) ?? "", item]));
  });
  return new Map([...found].map(([userId, item]) => [userId, item?.displayName ?? null]));
}
