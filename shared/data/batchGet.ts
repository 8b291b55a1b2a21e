import { BatchGetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { canonicalJson } from "../http/fingerprint.js";
import { backoff } from "./backoff.js";
import type { Key, RetryPolicy } from "./types.js";

/** BatchGetItem takes at most 100 keys a request. */
const KEYS_PER_REQUEST = 100;

export interface BatchGetOptions {
  readonly consistent?: boolean;
  readonly retry: RetryPolicy;
}

/**
 * The items under `keys` (missing ones are simply absent), in no particular order: BatchGetItem answers in any
 * order, so match them up by key. Duplicate keys are asked once (DynamoDB refuses a request that repeats one).
 * Requests of 100 keys run in parallel; the keys DynamoDB leaves unprocessed (throttling, the 16 MB response
 * limit) are asked again with exponential full-jitter backoff, and still unprocessed after `retry.attempts`
 * attempts is an error.
 *
 * @example
 * ```ts
 * const items = await batchGet(client, "users-dev", [{ pk: "USER#1", sk: "PROFILE" }], { retry });
 * ```
 */
export async function batchGet(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Key[],
  options: BatchGetOptions,
): Promise<Record<string, unknown>[]> {
  const unique = [...new Map(keys.map((key) => [canonicalJson(key), key])).values()];
  const requests: Promise<Record<string, unknown>[]>[] = [];
  for (let start = 0; start < unique.length; start += KEYS_PER_REQUEST)
    requests.push(getAll(client, tableName, unique.slice(start, start + KEYS_PER_REQUEST), options));
  return (await Promise.all(requests)).flat();
}

async function getAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Key[],
  { consistent, retry }: BatchGetOptions,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let pending: readonly Record<string, unknown>[] = keys;
  for (let attempt = 1; ; attempt++) {
    const { Responses, UnprocessedKeys } = await client.send(
      new BatchGetCommand({ RequestItems: { [tableName]: { Keys: [...pending], ConsistentRead: consistent } } }),
    );
    items.push(...(Responses?.[tableName] ?? []));
    pending = UnprocessedKeys?.[tableName]?.Keys ?? [];
    if (pending.length === 0) return items;
    if (attempt >= retry.attempts)
      throw new Error(`batchGet: ${pending.length} keys of ${tableName} still unprocessed after ${attempt} attempts`);
    await backoff(attempt - 1, retry);
  }
}
