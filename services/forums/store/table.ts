import { randomBytes } from "node:crypto";
import { type Key, type QuerySpec, tableOf } from "../../../shared/data/index.js";
import forums from "../service.js";

/**
 * The forums table (its items and indexes: `keys.ts`). Items of several shapes share it (the key says which);
 * each read names the shape it expects.
 */
export const forumsTable = tableOf<object>("ForumsTable", forums.tables.ForumsTable);

/** An opaque, URL-safe id: 128 random bits, 22 characters (short ids keep the sharded list's cursors short). */
export function newId(): string {
  return randomBytes(16).toString("base64url");
}

/**
 * The items under `keyed` (index entries that hold the table's keys), in `keyed`'s order, with one batchGet. An
 * entry whose item is gone meanwhile is left out.
 */
export async function itemsInOrder<T extends object>(keyed: readonly Key[]): Promise<T[]> {
  const pks = keyed.map(({ pk, sk }) => ({ pk: String(pk), sk: String(sk) }));
  const items = await forumsTable.batchGet<T & { pk: string; sk: string }>(pks);
  const byKey = new Map(items.map((item) => [`${item.pk}\n${item.sk}`, item]));
  return pks.flatMap(({ pk, sk }) => {
    const item = byKey.get(`${pk}\n${sk}`);
    return item ? [item] : [];
  });
}

/**
 * One index's partitions, each read descending (newest or most first), as `mergedPage` merges them.
 *
 * @example
 * ```ts
 * const shards = descendingShards("byRank", "rankPk", [0, 1, 2].map(keys.rank));
 * ```
 */
export function descendingShards(index: string, partitionKey: string, partitions: readonly string[]): QuerySpec[] {
  return partitions.map((pk) => ({
    index,
    keyCondition: `${partitionKey} = :pk`,
    values: { ":pk": pk },
    forward: false,
  }));
}
