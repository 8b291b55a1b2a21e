import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type TransactWriteItem,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { dynamoClient } from "../aws/dynamo.js";
import { resource } from "../config.js";
import type { TableDefinition } from "../topology/defineService.js";
import { allOf } from "./allOf.js";
import { batchGet } from "./batchGet.js";
import { conditionInput } from "./conditionInput.js";
import { isConditionFailure } from "./isConditionFailure.js";
import { mergedPage } from "./mergedPage.js";
import { queryPage } from "./queryPage.js";
import { transactItems } from "./transactItems.js";
import { transactWrite } from "./transactWrite.js";
import type {
  Condition,
  Key,
  Page,
  PageRequest,
  QuerySpec,
  RetryPolicy,
  TableRef,
  TransactItem,
  TransactOutcome,
  UpdateSpec,
} from "./types.js";
import { updateInput } from "./updateInput.js";

export interface TableOptions {
  /** The document client (or a function that gives it); default: the sandbox's `dynamoClient()`, asked per call. */
  readonly client?: DynamoDBDocumentClient | (() => DynamoDBDocumentClient);
  /** Retries of unprocessed batch keys and of transactions cancelled by conflicts. */
  readonly retry?: Partial<RetryPolicy>;
}

/** A few retries, spread over about a second at most. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 20, capMs: 1000 };

/**
 * What {@link Table.countOnce} writes: the `marker` item (its key and any attributes) unless it exists, and the
 * `increments` (with `set`) on the `counter` item, together or not at all.
 */
export interface CountOnce<Item> {
  readonly marker: Item;
  readonly counter: Key;
  readonly increments: Readonly<Record<string, number>>;
  readonly set?: Readonly<Record<string, unknown>>;
}

/**
 * Typed access to one table of a service: writes that answer yes or no instead of throwing DynamoDB's error shapes,
 * optimistic versions, "count once", batch reads that retry, and query pages with the one cursor codec. Create it
 * with {@link tableOf}.
 *
 * `Item` is what the table holds (a union for a single-table design). Items are not validated when read: the type
 * parameter of `get<T>()` and the like is the caller's claim about what the key holds.
 */
export class Table<Item extends object = Record<string, unknown>> implements TableRef {
  readonly #clientOption: TableOptions["client"];
  readonly #retry: RetryPolicy;

  constructor(
    /** The linked resource (`SST_RESOURCE_<resourceName>`) whose `name` is the physical table. */
    readonly resourceName: string,
    readonly definition: TableDefinition,
    options: TableOptions = {},
  ) {
    if (typeof resourceName !== "string" || resourceName === "")
      throw new TypeError("tableOf: resourceName must name a linked table");
    if (typeof definition?.partitionKey !== "string" || definition.partitionKey === "")
      throw new TypeError(`tableOf(${resourceName}): the definition needs a partitionKey`);
    this.#clientOption = options.client;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  /**
   * The physical table name, read from the linked resource when asked (not at import: the environment belongs to
   * the invocation).
   *
   * @example
   * ```ts
   * new ScanCommand({ TableName: users.name });
   * ```
   */
  get name(): string {
    const { name } = resource(this.resourceName);
    if (typeof name !== "string" || name === "") throw new Error(`linked resource ${this.resourceName} has no name`);
    return name;
  }

  get #client(): DynamoDBDocumentClient {
    const client = this.#clientOption ?? dynamoClient;
    return typeof client === "function" ? client() : client;
  }

  /**
   * The item under `key`, or `undefined`.
   *
   * @example
   * ```ts
   * const profile = await users.get<ProfileItem>(keys.profile(userId), { consistent: true });
   * ```
   */
  async get<T extends Item = Item>(key: Key, options: { consistent?: boolean } = {}): Promise<T | undefined> {
    const { Item: item } = await this.#client.send(
      new GetCommand({ TableName: this.name, Key: key, ConsistentRead: options.consistent }),
    );
    return item as T | undefined;
  }

  /**
   * Writes `item` (whole) if `condition` holds; `false` when it does not. Any other failure is thrown.
   *
   * @example
   * ```ts
   * const claimed = await users.put(claim, { condition: { expression: "attribute_not_exists(pk)" } });
   * ```
   */
  async put(item: Item, options: { condition?: Condition } = {}): Promise<boolean> {
    return this.#answer(
      this.#client.send(
        new PutCommand({
          TableName: this.name,
          Item: item as Record<string, unknown>,
          ...conditionInput(options.condition),
        }),
      ),
    );
  }

  /**
   * Applies `spec` to the item under `key` (creating it if there is none and no condition forbids it) and returns
   * the whole new item; `undefined` when `condition` does not hold.
   *
   * @example
   * ```ts
   * const stats = await users.update(keys.stats(userId), { add: { posts: 1 }, set: { updatedAt: at } });
   * ```
   */
  async update<T extends Item = Item>(
    key: Key,
    spec: UpdateSpec,
    options: { condition?: Condition } = {},
  ): Promise<T | undefined> {
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.name,
          Key: key,
          ...updateInput(spec, options.condition),
          ReturnValues: "ALL_NEW",
        }),
      );
      return Attributes as T;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * Deletes the item under `key` if `condition` holds (`true`, also when there was no item); `false` when not.
   *
   * @example
   * ```ts
   * await users.delete(keys.email(email), { condition: { expression: "claimId = :id", values: { ":id": claimId } } });
   * ```
   */
  async delete(key: Key, options: { condition?: Condition } = {}): Promise<boolean> {
    return this.#answer(
      this.#client.send(new DeleteCommand({ TableName: this.name, Key: key, ...conditionInput(options.condition) })),
    );
  }

  /**
   * Optimistic concurrency: applies `changes` only if the item is still at `expectedVersion`, and bumps the version
   * to `expectedVersion + 1`. Returns the new item, or `undefined` when it is stale (or missing): re-read and retry.
   *
   * @example
   * ```ts
   * const next = await users.updateVersioned(keys.profile(id), { set: { displayName } }, current.version);
   * if (!next) throw conflict("the profile changed meanwhile");
   * ```
   */
  async updateVersioned<T extends Item = Item>(
    key: Key,
    changes: UpdateSpec,
    expectedVersion: number,
    options: { versionAttribute?: string; condition?: Condition } = {},
  ): Promise<T | undefined> {
    const versionAttribute = options.versionAttribute ?? "version";
    const current: Condition = {
      expression: "#expectedVersion = :expectedVersion",
      names: { "#expectedVersion": versionAttribute },
      values: { ":expectedVersion": expectedVersion },
    };
    return this.update<T>(
      key,
      { ...changes, set: { ...changes.set, [versionAttribute]: expectedVersion + 1 } },
      { condition: allOf(current, options.condition) },
    );
  }

  /**
   * The transaction items in the document client's form, without sending them: for a caller that adds its own
   * (the outbox's puts) and sends them through {@link Table.transact}'s `extra`.
   *
   * @example
   * ```ts
   * const raw = users.transactItems([{ put: { item: profile } }]); // [{ Put: { TableName, Item } }]
   * ```
   */
  transactItems(items: readonly TransactItem<Item>[]): TransactWriteItem[] {
    return transactItems(items, this);
  }

  /**
   * Writes `items`, then the raw `extra` items, in one transaction (100 items at most in all). A failed condition
   * is an answer, `{ committed: false, failed }`, with indexes counted over `items` first and `extra` after them
   * (`items.length + i` is `extra[i]`). A cancellation only by conflicting transactions is retried a few times with
   * jittered backoff, then thrown; any other failure is thrown.
   *
   * @example
   * ```ts
   * const outcome = await users.transact(
   *   [{ put: { item: profile, condition: { expression: "attribute_not_exists(pk)" } } }],
   *   { extra: outboxItems },
   * );
   * if (!outcome.committed && outcome.failed.includes(0)) throw conflict("already registered");
   * ```
   */
  async transact(
    items: readonly TransactItem<Item>[],
    options: { extra?: readonly TransactWriteItem[] } = {},
  ): Promise<TransactOutcome> {
    return transactWrite(this.#client, [...this.transactItems(items), ...(options.extra ?? [])], this.#retry);
  }

  /**
   * Counts something once: puts the `marker` (unless it exists) and adds the `increments` to the `counter` in one
   * transaction. `true` if it counted; `false` if the marker was there (a redelivery), and then nothing changed.
   *
   * @example
   * ```ts
   * const counted = await users.countOnce({
   *   marker: { ...keys.counted("post", postId), authorId, at },
   *   counter: keys.stats(authorId),
   *   increments: { posts: 1 },
   *   set: { updatedAt: at },
   * });
   * ```
   */
  async countOnce(count: CountOnce<Item>): Promise<boolean> {
    const unseen: Condition = {
      expression: "attribute_not_exists(#marker)",
      names: { "#marker": this.definition.partitionKey },
    };
    const outcome = await this.transact([
      { put: { item: count.marker, condition: unseen } },
      { update: { key: count.counter, spec: { add: count.increments, set: count.set } } },
    ]);
    return outcome.committed;
  }

  /**
   * The items under `keys`, in no particular order (match them up by key); missing items are absent. Asks 100
   * keys a request and retries unprocessed keys with backoff; still unprocessed after the retries is an error.
   *
   * @example
   * ```ts
   * const profiles = await users.batchGet<ProfileItem>(userIds.map(keys.profile));
   * ```
   */
  async batchGet<T extends Item = Item>(keys: readonly Key[], options: { consistent?: boolean } = {}): Promise<T[]> {
    if (keys.length === 0) return [];
    return (await batchGet(this.#client, this.name, keys, { ...options, retry: this.#retry })) as T[];
  }

  /**
   * One page of a query, as the API answers it: `{ items, nextCursor }`. The cursor is bound to this query; a
   * changed or foreign cursor is a 400 problem.
   *
   * @example
   * ```ts
   * const page = await products.queryPage(
   *   { index: "byCategory", keyCondition: "category = :c", values: { ":c": query.category }, forward: false },
   *   { limit: query.limit, cursor: query.cursor },
   * );
   * ```
   */
  async queryPage<T extends Item = Item>(spec: QuerySpec, page: PageRequest): Promise<Page<T>> {
    return (await queryPage(this.#client, this, spec, page)) as Page<T>;
  }

  /**
   * One page over several partitions of one index that sort alike (a sharded feed), merged by the sort key, with one
   * cursor for every shard's position (see {@link mergedPage}). A changed or foreign cursor is a 400 problem.
   *
   * @example
   * ```ts
   * const shards = [0, 1, 2, 3].map((n) => ({ index: "byFeed", keyCondition: "feedPk = :pk", values: { ":pk": `FEED#${n}` }, forward: false }));
   * const page = await products.mergedPage(shards, { limit: query.limit, cursor: query.cursor });
   * ```
   */
  async mergedPage<T extends Item = Item>(shards: readonly QuerySpec[], page: PageRequest): Promise<Page<T>> {
    return (await mergedPage(this.#client, this, shards, page)) as Page<T>;
  }

  async #answer(write: Promise<unknown>): Promise<boolean> {
    try {
      await write;
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
