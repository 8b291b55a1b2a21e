import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { badRequest } from "../http/problem.js";
import type { TableDefinition } from "../topology/defineService.js";
import { type CursorBinding, type CursorKeyShape, decodeCursor, encodeCursor, MAX_CURSOR_LENGTH } from "./cursor.js";
import { keyShape, queryCommand } from "./queryPage.js";
import type { Key, Page, PageRequest, QuerySpec } from "./types.js";

/** Where one shard stands: not read yet, read to the end, or continued after a key. */
type Position = { readonly state: "new" } | { readonly state: "done" } | { readonly state: "after"; readonly key: Key };

const NEW = "new";
const DONE = "done";

/**
 * One page over several partitions of one index that sort the same way (a feed spread over shards so that no
 * partition takes every write), in the order one unsharded partition would give.
 *
 * Each shard not yet read to its end is queried (in parallel) for up to `limit + 1` items after its own position,
 * the answers are merged by the index's sort key (descending when the shards' `forward` is `false`), and the first
 * `limit` are the page. Each shard's new position is the last of its items the page took (unchanged if it took
 * none), or its end: the `+ 1` tells a shard that is exhausted from one that filled exactly. Since a shard's
 * items are only ever taken from the head of its own sorted run, no item is taken twice or skipped, whatever the
 * pages' sizes. The cost: one small query per live shard per page.
 *
 * `nextCursor` holds every shard's position through the one cursor codec, bound to all the shards' queries (table,
 * index, key conditions and values, direction): a changed cursor, or one of another query (another category, a
 * plain `queryPage`), is a 400 problem at `query.cursor`. It is `null` once every shard is read to its end.
 *
 * @example
 * ```ts
 * const shards = [0, 1, 2].map((n) => ({ index: "byFeed", keyCondition: "feedPk = :pk", values: { ":pk": `FEED#${n}` }, forward: false }));
 * const page = await mergedPage(client, table, shards, { limit: 20, cursor: query.cursor });
 * ```
 */
export async function mergedPage(
  client: DynamoDBDocumentClient,
  table: { readonly name: string; readonly definition: TableDefinition },
  shards: readonly QuerySpec[],
  page: PageRequest,
): Promise<Page<Record<string, unknown>>> {
  if (!Number.isSafeInteger(page.limit) || page.limit < 1)
    throw new TypeError(`mergedPage: limit must be a positive whole number (got ${page.limit})`);
  const sortKey = sortKeyOf(table.definition, shards);
  const forward = shards[0]!.forward !== false;
  const shapes = shards.map((spec) => keyShape(table.definition, spec));
  const binding = bindingOf(table.name, shards);

  const positions =
    page.cursor === undefined
      ? shards.map((): Position => ({ state: "new" }))
      : positionsOf(decodeCursor(page.cursor, binding, cursorShape(shards.length)), shapes);

  const runs = await Promise.all(
    shards.map(async (spec, shard) => {
      const position = positions[shard]!;
      if (position.state === "done") return { items: [], lastKey: undefined, taken: 0 };
      const startKey = position.state === "after" ? position.key : undefined;
      const { Items = [], LastEvaluatedKey } = await client.send(
        queryCommand(table.name, spec, page.limit + 1, startKey),
      );
      return { items: Items, lastKey: LastEvaluatedKey as Key | undefined, taken: 0 };
    }),
  );

  const direction = forward ? 1 : -1;
  const items: Record<string, unknown>[] = [];
  while (items.length < page.limit) {
    let best: number | undefined;
    for (const [shard, run] of runs.entries()) {
      const head = run.items[run.taken];
      if (head === undefined) continue;
      const bestHead = best === undefined ? undefined : runs[best]!.items[runs[best]!.taken];
      // Ties go to the lower shard: any fixed rule keeps every shard's run in its own order.
      if (!bestHead || direction * compareKeys(head[sortKey], bestHead[sortKey]) < 0) best = shard;
    }
    if (best === undefined) break;
    const run = runs[best]!;
    items.push(run.items[run.taken]!);
    run.taken++;
  }

  const next = runs.map((run, shard): Position => {
    const before = positions[shard]!;
    if (before.state === "done") return before;
    if (run.taken < run.items.length)
      return run.taken === 0 ? before : { state: "after", key: keyOf(run.items[run.taken - 1]!, shapes[shard]!) };
    return run.lastKey ? { state: "after", key: run.lastKey } : { state: "done" };
  });
  if (next.every((position) => position.state === "done")) return { items, nextCursor: null };
  const nextCursor = encodeCursor(cursorKey(next, shapes), binding);
  // A bug of the caller (too many shards, or keys too long), not of the client: the page query schema refuses more.
  if (nextCursor.length > MAX_CURSOR_LENGTH)
    throw new Error(
      `mergedPage: a cursor of ${shards.length} shards is ${nextCursor.length} characters, over the limit`,
    );
  return { items, nextCursor };
}

/** The sort key every shard's index sorts by; the shards must share the index and the direction. */
function sortKeyOf(definition: TableDefinition, shards: readonly QuerySpec[]): string {
  const [first] = shards;
  if (!first) throw new TypeError("mergedPage: at least one shard is needed");
  if (shards.some((spec) => spec.index !== first.index || (spec.forward !== false) !== (first.forward !== false)))
    throw new TypeError("mergedPage: every shard must query the same index in the same direction");
  const sortKey = first.index === undefined ? definition.sortKey : definition.indexes?.[first.index]?.sortKey;
  if (!sortKey) throw new TypeError(`mergedPage: ${first.index ?? "the table"} has no sort key to merge by`);
  return sortKey;
}

/** Everything that makes this merged query what it is: each shard's query, in order, and the direction. */
function bindingOf(tableName: string, shards: readonly QuerySpec[]): CursorBinding {
  const values: Record<string, unknown> = {};
  for (const [shard, spec] of shards.entries())
    values[`shard${shard}`] = {
      keyCondition: spec.keyCondition,
      names: spec.names ?? {},
      values: spec.values,
      filter: spec.filter ?? null,
    };
  return {
    table: tableName,
    index: shards[0]!.index ?? null,
    keyCondition: `mergedPage/${shards.length}`,
    names: {},
    values,
    filter: null,
    forward: shards[0]!.forward !== false,
  };
}

/**
 * A cursor's key: `shards` (their number) and one attribute per shard, `"0"`, `"1"`, …: `"new"`, `"done"`, or the
 * JSON array of the key it continues after (without the shard's partition value, which its query gives).
 */
function cursorShape(shards: number): CursorKeyShape {
  const attributes = ["shards", ...Array.from({ length: shards }, (_, shard) => String(shard))];
  return { attributes, partition: { attribute: "shards", value: shards } };
}

/** The key attributes a position stores: the shard's key without its partition attribute. */
const storedAttributes = (shape: CursorKeyShape): string[] =>
  shape.attributes.filter((attribute) => attribute !== shape.partition.attribute);

function cursorKey(positions: readonly Position[], shapes: readonly CursorKeyShape[]): Key {
  const key: Record<string, string | number> = { shards: positions.length };
  for (const [shard, position] of positions.entries()) {
    if (position.state !== "after") key[String(shard)] = position.state === "new" ? NEW : DONE;
    else
      key[String(shard)] = JSON.stringify(storedAttributes(shapes[shard]!).map((attribute) => position.key[attribute]));
  }
  return key;
}

/**
 * The positions a verified cursor holds. Its digest already says it is ours; the shape is checked all the same
 * (without `SUMMIT_CURSOR_SECRET` a cursor can be forged), so a bad one is a 400, never a query DynamoDB refuses.
 */
function positionsOf(key: Key, shapes: readonly CursorKeyShape[]): Position[] {
  return shapes.map((shape, shard): Position => {
    const stored = key[String(shard)];
    if (stored === NEW) return { state: "new" };
    if (stored === DONE) return { state: "done" };
    const attributes = storedAttributes(shape);
    let values: unknown;
    try {
      values = typeof stored === "string" ? JSON.parse(stored) : undefined;
    } catch {
      values = undefined;
    }
    if (
      !Array.isArray(values) ||
      values.length !== attributes.length ||
      !values.every((value) => typeof value === "string" || (typeof value === "number" && Number.isFinite(value)))
    )
      throw badRequest("the cursor is not valid", [{ path: "query.cursor", message: "is not a valid cursor" }]);
    const after: Record<string, string | number> = {
      [shape.partition.attribute]: shape.partition.value as string | number,
    };
    for (const [i, attribute] of attributes.entries()) after[attribute] = values[i] as string | number;
    return { state: "after", key: after };
  });
}

function keyOf(item: Record<string, unknown>, shape: CursorKeyShape): Key {
  const key: Record<string, string | number> = {};
  for (const attribute of shape.attributes) key[attribute] = item[attribute] as string | number;
  return key;
}

/** DynamoDB's order of sort key values: numbers by value, strings by their UTF-8 bytes. */
function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return Buffer.compare(Buffer.from(String(a), "utf8"), Buffer.from(String(b), "utf8"));
}
