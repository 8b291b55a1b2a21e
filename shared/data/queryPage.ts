import { type DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { TableDefinition } from "../topology/defineService.js";
import { type CursorBinding, type CursorKeyShape, decodeCursor, encodeCursor } from "./cursor.js";
import { mergePlaceholders } from "./placeholders.js";
import type { Key, Page, PageRequest, QuerySpec } from "./types.js";

/**
 * With a filter, one DynamoDB page may hold fewer matches than asked: the page is filled from the next ones, up to
 * this many requests (then it is returned short, with its cursor: a page is never a full scan).
 */
const MAX_REQUESTS_PER_PAGE = 5;

/**
 * One page of a query, continued from `page.cursor` and with the cursor of the next page (`null` on the last one).
 * As DynamoDB pages, a page may be short (or, rarely, empty) and still have a next one; clients follow `nextCursor`
 * until it is `null`. A cursor of another query, or one that was changed, is a 400 problem.
 *
 * @example
 * ```ts
 * const page = await queryPage(client, { name, definition }, { keyCondition: "pk = :pk", values: { ":pk": "USER#1" } }, { limit: 20 });
 * ```
 */
export async function queryPage(
  client: DynamoDBDocumentClient,
  table: { readonly name: string; readonly definition: TableDefinition },
  spec: QuerySpec,
  page: PageRequest,
): Promise<Page<Record<string, unknown>>> {
  if (!Number.isSafeInteger(page.limit) || page.limit < 1)
    throw new TypeError(`queryPage: limit must be a positive whole number (got ${page.limit})`);
  const binding: CursorBinding = {
    table: table.name,
    index: spec.index ?? null,
    keyCondition: spec.keyCondition,
    names: spec.names ?? {},
    values: spec.values,
    filter: spec.filter ?? null,
    forward: spec.forward !== false,
  };
  let startKey: Key | undefined =
    page.cursor === undefined ? undefined : decodeCursor(page.cursor, binding, keyShape(table.definition, spec));

  const items: Record<string, unknown>[] = [];
  for (let request = 0; request < MAX_REQUESTS_PER_PAGE; request++) {
    // Never more evaluated than the page still needs: the last key evaluated is then where the page ends.
    const { Items = [], LastEvaluatedKey } = await client.send(
      queryCommand(table.name, spec, page.limit - items.length, startKey),
    );
    items.push(...Items);
    startKey = LastEvaluatedKey as Key | undefined;
    if (!startKey || items.length >= page.limit) break;
  }
  return { items, nextCursor: startKey ? encodeCursor(startKey, binding) : null };
}

/** One request of `spec`: at most `limit` items evaluated, after `startKey`. */
export function queryCommand(tableName: string, spec: QuerySpec, limit: number, startKey?: Key): QueryCommand {
  const names = mergePlaceholders([spec.names]);
  return new QueryCommand({
    TableName: tableName,
    IndexName: spec.index,
    KeyConditionExpression: spec.keyCondition,
    FilterExpression: spec.filter,
    ...(names ? { ExpressionAttributeNames: names } : {}),
    ExpressionAttributeValues: { ...spec.values },
    ScanIndexForward: spec.forward !== false,
    ConsistentRead: spec.consistent,
    Limit: limit,
    ExclusiveStartKey: startKey,
  });
}

/** The key a cursor of this query must hold: the table's key and the index's, with the query's partition value. */
export function keyShape(definition: TableDefinition, spec: QuerySpec): CursorKeyShape {
  const index = spec.index === undefined ? undefined : definition.indexes?.[spec.index];
  if (spec.index !== undefined && !index) throw new TypeError(`queryPage: the table has no index ${spec.index}`);
  const attributes = new Set([definition.partitionKey, definition.sortKey, index?.partitionKey, index?.sortKey]);
  attributes.delete(undefined);
  const partitionKey = index?.partitionKey ?? definition.partitionKey;
  return {
    attributes: [...attributes] as string[],
    partition: { attribute: partitionKey, value: partitionValue(spec, partitionKey) },
  };
}

/** The value the key condition gives the partition key (`pk = :pk`, `#pk = :pk` or `:pk = pk`). */
function partitionValue(spec: QuerySpec, partitionKey: string): unknown {
  const equality = /(#?[A-Za-z0-9_]+|:[A-Za-z0-9_]+)\s*=\s*(#?[A-Za-z0-9_]+|:[A-Za-z0-9_]+)/g;
  for (const [, left = "", right = ""] of spec.keyCondition.matchAll(equality)) {
    const [name, placeholder] = left.startsWith(":") ? [right, left] : [left, right];
    const attribute = name.startsWith("#") ? spec.names?.[name] : name;
    if (attribute === partitionKey && placeholder.startsWith(":") && placeholder in spec.values)
      return spec.values[placeholder];
  }
  throw new TypeError(`queryPage: the key condition must compare ${partitionKey} with = to a value placeholder`);
}
