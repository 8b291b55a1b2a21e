import type { TransactWriteItem } from "@aws-sdk/lib-dynamodb";

/** The document client's form of one transaction item: what {@link Table.transactItems} builds and `extra` takes. */
export type { TransactWriteItem };

/** A primary key (or an index key): the key attributes and their values. The project's key attributes are strings. */
export type Key = Readonly<Record<string, string | number>>;

/**
 * A condition expression with its own placeholders. Write attribute names through `#name` placeholders (reserved
 * words such as `state` must be): the data layer never rewrites an expression it is given.
 *
 * @example
 * ```ts
 * const stillOurs: Condition = { expression: "#claimId = :claimId", names: { "#claimId": "claimId" }, values: { ":claimId": id } };
 * ```
 */
export interface Condition {
  readonly expression: string;
  readonly names?: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, unknown>>;
}

/**
 * What an update changes, by top-level attribute name; the data layer writes the expression and its placeholders
 * (`#set0 = :set0`, …), so any name works, reserved or not. A `set` value that is `undefined` is skipped; `null`
 * stores NULL.
 *
 * @example
 * ```ts
 * const spec: UpdateSpec = { set: { state: "active", userId }, remove: ["leaseExpiresAt"], add: { posts: 1 } };
 * ```
 */
export interface UpdateSpec {
  readonly set?: Readonly<Record<string, unknown>>;
  readonly remove?: readonly string[];
  readonly add?: Readonly<Record<string, number>>;
}

/** Anything with a physical table name, resolved when asked (a {@link Table} is one). */
export interface TableRef {
  readonly name: string;
}

/**
 * One write of a transaction. Without `table` it is on the table whose `transact` runs it; with `table` on another
 * table of the same service (reached through the same client).
 *
 * @example
 * ```ts
 * const items: TransactItem[] = [
 *   { put: { item: { pk: "USER#1", sk: "PROFILE", version: 1 }, condition: { expression: "attribute_not_exists(pk)" } } },
 *   { update: { key: { pk: "EMAIL#a@b.c", sk: "EMAIL" }, spec: { set: { state: "active" } } } },
 * ];
 * ```
 */
export type TransactItem<Item extends object = Record<string, unknown>> =
  | { readonly put: PutHere<Item> | PutElsewhere }
  | { readonly update: { readonly key: Key; readonly spec: UpdateSpec; readonly condition?: Condition } & Where }
  | { readonly delete: { readonly key: Key; readonly condition?: Condition } & Where }
  | { readonly check: { readonly key: Key; readonly condition: Condition } & Where };

interface Where {
  readonly table?: TableRef;
}
interface PutHere<Item> {
  readonly item: Item;
  readonly condition?: Condition;
  readonly table?: undefined;
}
interface PutElsewhere {
  readonly item: object;
  readonly condition?: Condition;
  readonly table: TableRef;
}

/**
 * How a transaction ended. `failed` lists the indexes (in the order sent: the items first, then any `extra`) whose
 * condition failed; nothing was written.
 */
export type TransactOutcome = { readonly committed: true } | { readonly committed: false; readonly failed: number[] };

/** Bounded retries with exponential backoff and full jitter: attempt `n` waits `random(0, min(capMs, baseMs·2ⁿ))`. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseMs: number;
  readonly capMs: number;
}

/**
 * A query: the key condition (with `names`/`values`, shared with `filter`), on the table or one of its `indexes`.
 * The key condition must compare the partition key with `=` to a value placeholder (`pk = :pk`, `#pk = :pk`).
 *
 * @example
 * ```ts
 * const spec: QuerySpec = { index: "byCategory", keyCondition: "category = :c", values: { ":c": "books" }, forward: false };
 * ```
 */
export interface QuerySpec {
  readonly index?: string;
  readonly keyCondition: string;
  readonly names?: Readonly<Record<string, string>>;
  readonly values: Readonly<Record<string, unknown>>;
  /** Sort key ascending (default `true`); `false` for newest first. */
  readonly forward?: boolean;
  /** A filter expression, applied after the key condition (DynamoDB still reads, and bills, what it drops). */
  readonly filter?: string;
  readonly consistent?: boolean;
}

/** Which page: `limit` items at most, after `cursor` (a `nextCursor` of the same query). */
export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/** One page, as the API contract answers it: `nextCursor` is `null` on the last page. */
export interface Page<Item> {
  readonly items: Item[];
  readonly nextCursor: string | null;
}
