import type { Condition, Table } from "../data/index.js";
import type { HttpResult } from "./result.js";

/** An idempotency record as kept in the service's table, beside its own items (`sk = "IDEMPOTENCY"`). */
export type IdempotencyRecord =
  | { readonly state: "IN_PROGRESS"; readonly fingerprint: string; readonly lockExpiresAt: number }
  | { readonly state: "COMPLETED"; readonly fingerprint: string; readonly response: HttpResult };

export type ClaimOutcome = { readonly claimId: string } | { readonly existing: IdempotencyRecord | undefined };

/** An idempotency record as stored (`response` is the JSON of the {@link HttpResult}). */
export interface IdempotencyItem {
  readonly pk: string;
  readonly sk: typeof SK;
  readonly state: "IN_PROGRESS" | "COMPLETED";
  readonly fingerprint: string;
  readonly claimId: string;
  readonly lockExpiresAt?: number;
  readonly response?: string;
  readonly expiresAt: number;
}

// The layout `IDEMPOTENCY_TABLE` (shared/data) describes, and `idempotencyTableProblems` checks tables against.
const SK = "IDEMPOTENCY";

function stillClaimedBy(claimId: string): Condition {
  return { expression: "#claimId = :claimId", names: { "#claimId": "claimId" }, values: { ":claimId": claimId } };
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
  /**
   * @example
   * ```ts
   * const store = new IdempotencyStore(tableOf("UsersTable", IDEMPOTENCY_TABLE));
   * ```
   */
  constructor(private readonly table: Table<IdempotencyItem>) {}

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
    const claimed = await this.table.put(
      {
        pk,
        sk: SK,
        state: "IN_PROGRESS",
        fingerprint,
        claimId,
        lockExpiresAt: nowMs + lockMs,
        expiresAt: Math.floor(nowMs / 1000) + ttlSeconds,
      },
      {
        condition: {
          expression:
            "attribute_not_exists(#pk) OR #expiresAt < :nowSeconds OR (#state = :inProgress AND #lockExpiresAt < :nowMs)",
          // Names go through placeholders: `state` is a DynamoDB reserved word.
          names: { "#pk": "pk", "#state": "state", "#expiresAt": "expiresAt", "#lockExpiresAt": "lockExpiresAt" },
          values: { ":nowSeconds": Math.floor(nowMs / 1000), ":nowMs": nowMs, ":inProgress": "IN_PROGRESS" },
        },
      },
    );
    return claimed ? { claimId } : { existing: await this.read(pk) };
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
    return this.table.put(
      { pk, sk: SK, state: "COMPLETED", fingerprint, claimId, response: JSON.stringify(response), expiresAt },
      { condition: stillClaimedBy(claimId) },
    );
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
    // `false` (taken over after the lock lapsed) leaves the other request's claim alone, as it should.
    await this.table.delete({ pk, sk: SK }, { condition: stillClaimedBy(claimId) });
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
    const item = await this.table.get({ pk, sk: SK }, { consistent: true });
    if (!item || typeof item.fingerprint !== "string") return undefined;
    if (item.state === "COMPLETED") {
      return { state: "COMPLETED", fingerprint: item.fingerprint, response: parseResponse(item.response) };
    }
    return { state: "IN_PROGRESS", fingerprint: item.fingerprint, lockExpiresAt: Number(item.lockExpiresAt) || 0 };
  }
}
