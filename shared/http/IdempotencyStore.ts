import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { HttpResult } from "./result.js";

/** An idempotency record as kept in the service's table, beside its own items (`sk = "IDEMPOTENCY"`). */
export type IdempotencyRecord =
  | { readonly state: "IN_PROGRESS"; readonly fingerprint: string; readonly lockExpiresAt: number }
  | { readonly state: "COMPLETED"; readonly fingerprint: string; readonly response: HttpResult };

export type ClaimOutcome = { readonly claimId: string } | { readonly existing: IdempotencyRecord | undefined };

const SK = "IDEMPOTENCY";
function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

function parseResponse(raw: unknown): HttpResult {
  const response: unknown = typeof raw === "string" ? JSON.parse(raw) : undefined;
  if (
    typeof response === "object" &&
    response !== null &&
    "statusCode" in response &&
    typeof response.statusCode === "number" &&
    "body" in response &&
    typeof response.body === "string" &&
    "headers" in response &&
    typeof response.headers === "object" &&
    response.headers !== null
  ) {
    return {
      statusCode: response.statusCode,
      body: response.body,
      headers: response.headers as Record<string, string>,
    };
  }
  throw new Error("idempotency record holds no valid response");
}

/**
 * The idempotency records of one table. A key is claimed with a conditional put (only one concurrent request
 * can win it), then completed with the response or released so that a retry may run.
 */
export class IdempotencyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Claims `pk` unless a live record holds it. A record is dead once its TTL has passed (DynamoDB deletes expired
   * items lazily, so they must be ignored) or when it is IN_PROGRESS with a lapsed lock (its request died).
   *
   * @example
   * ```ts
   * const outcome = await store.claim(pk, fingerprint, { nowMs: Date.now(), lockMs: 30_000, ttlSeconds: 86_400 });
   * if ("claimId" in outcome) { ... }
   * ```
   */
  async claim(
    pk: string,
    fingerprint: string,
    { nowMs, lockMs, ttlSeconds }: { nowMs: number; lockMs: number; ttlSeconds: number },
  ): Promise<ClaimOutcome> {
    const claimId = crypto.randomUUID();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk,
            sk: SK,
            state: "IN_PROGRESS",
            fingerprint,
            claimId,
            lockExpiresAt: nowMs + lockMs,
            expiresAt: Math.floor(nowMs / 1000) + ttlSeconds,
          },
          ConditionExpression:
            "attribute_not_exists(#pk) OR #expiresAt < :nowSeconds OR (#state = :inProgress AND #lockExpiresAt < :nowMs)",
          // Names go through placeholders: `state` is a DynamoDB reserved word.
          ExpressionAttributeNames: {
            "#pk": "pk",
            "#state": "state",
            "#expiresAt": "expiresAt",
            "#lockExpiresAt": "lockExpiresAt",
          },
          ExpressionAttributeValues: {
            ":nowSeconds": Math.floor(nowMs / 1000),
            ":nowMs": nowMs,
            ":inProgress": "IN_PROGRESS",
          },
        }),
      );
      return { claimId };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { existing: await this.read(pk) };
    }
  }

  /**
   * Stores the response of a claimed request; `false` if the claim was lost meanwhile (taken over after its lock lapsed).
   *
   * @example
   * ```ts
   * await store.complete(pk, claimId, fingerprint, result, expiresAt);
   * ```
   */
  async complete(
    pk: string,
    claimId: string,
    fingerprint: string,
    response: HttpResult,
    expiresAt: number,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk, sk: SK, state: "COMPLETED", fingerprint, claimId, response: JSON.stringify(response), expiresAt },
          ConditionExpression: "#claimId = :claimId",
          ExpressionAttributeNames: { "#claimId": "claimId" },
          ExpressionAttributeValues: { ":claimId": claimId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Gives a claim up so that a retry can run (the request failed with a fault).
   *
   * @example
   * ```ts
   * await store.release(pk, claimId);
   * ```
   */
  async release(pk: string, claimId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk, sk: SK },
          ConditionExpression: "#claimId = :claimId",
          ExpressionAttributeNames: { "#claimId": "claimId" },
          ExpressionAttributeValues: { ":claimId": claimId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /**
   * The record under `pk`, read strongly consistent (it decides between replay, 409 and 422).
   *
   * @example
   * ```ts
   * const record = await store.read(pk);
   * ```
   */
  async read(pk: string): Promise<IdempotencyRecord | undefined> {
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk, sk: SK }, ConsistentRead: true }),
    );
    if (!item || typeof item.fingerprint !== "string") return undefined;
    if (item.state === "COMPLETED") {
      return { state: "COMPLETED", fingerprint: item.fingerprint, response: parseResponse(item.response) };
    }
    return { state: "IN_PROGRESS", fingerprint: item.fingerprint, lockExpiresAt: Number(item.lockExpiresAt) || 0 };
  }
}
