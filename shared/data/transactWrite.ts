import { randomUUID } from "node:crypto";
import { type DynamoDBDocumentClient, TransactWriteCommand, type TransactWriteItem } from "@aws-sdk/lib-dynamodb";
import { backoff } from "./backoff.js";
import { cancellationCodes } from "./cancellationCodes.js";
import type { RetryPolicy, TransactOutcome } from "./types.js";

// Codes that mean "not written, and here is why": anything else (validation, throttling, size) is thrown.
const ANSWERED = new Set([undefined, "None", "ConditionalCheckFailed", "TransactionConflict"]);

/**
 * Sends one transaction. A failed condition is an answer (`{ committed: false, failed }`, the indexes in `items`);
 * a cancellation only by conflicts with other transactions on the same items is retried under `retry`, then
 * thrown; anything else is thrown at once.
 *
 * Each attempt carries a fresh `ClientRequestToken`: the SDK's own retries of one attempt (a lost response) are
 * then idempotent instead of applying an `ADD` twice.
 *
 * @example
 * ```ts
 * const outcome = await transactWrite(client, [{ Put: { TableName, Item, ConditionExpression: "attribute_not_exists(pk)" } }], retry);
 * ```
 */
export async function transactWrite(
  client: DynamoDBDocumentClient,
  items: TransactWriteItem[],
  retry: RetryPolicy,
): Promise<TransactOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: randomUUID() }));
      return { committed: true };
    } catch (error) {
      const codes = cancellationCodes(error);
      if (!codes || codes.some((code) => !ANSWERED.has(code))) throw error;
      const failed = codes.flatMap((code, index) => (code === "ConditionalCheckFailed" ? [index] : []));
      if (failed.length > 0) return { committed: false, failed };
      if (!codes.includes("TransactionConflict") || attempt >= retry.attempts) throw error;
      await backoff(attempt - 1, retry);
    }
  }
}
