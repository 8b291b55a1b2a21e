import type { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergedPage, type QuerySpec } from "../../shared/data/index.js";
import { HttpProblem } from "../../shared/http/index.js";
import type { TableDefinition } from "../../shared/topology/defineService.js";

/**
 * `mergedPage` against an in-memory index that answers Query as DynamoDB does: the partition's items in sort-key
 * order (UTF-8 bytes, then the table key for ties), `ExclusiveStartKey`, `Limit` (with a `LastEvaluatedKey`
 * whenever the limit is reached, even at the very end, as DynamoDB does) and `ScanIndexForward`.
 */
const definition: TableDefinition = {
  partitionKey: "pk",
  sortKey: "sk",
  indexes: { byFeed: { partitionKey: "feedPk", sortKey: "feedSk" } },
};
const table = { name: "products-test", definition };

type Item = { pk: string; sk: string; feedPk: string; feedSk: string };

const bytes = (value: string) => Buffer.from(value, "utf8");
const order = (a: Item, b: Item) =>
  Buffer.compare(bytes(a.feedSk), bytes(b.feedSk)) || Buffer.compare(bytes(a.pk), bytes(b.pk));

function fakeIndex(items: readonly Item[]) {
  const queries: QueryCommand["input"][] = [];
  const client = {
    async send(command: QueryCommand) {
      const input = command.input;
      queries.push(input);
      const [, attribute, placeholder] = /^(\w+) = (:\w+)$/.exec(input.KeyConditionExpression ?? "") ?? [];
      const value = input.ExpressionAttributeValues?.[placeholder ?? ""];
      const forward = input.ScanIndexForward !== false;
      const run = items
        .filter((item) => item[attribute as keyof Item] === value)
        .sort((a, b) => (forward ? order(a, b) : order(b, a)));
      const start = input.ExclusiveStartKey as Item | undefined;
      const from = start ? run.findIndex((item) => (forward ? order(item, start) : order(start, item)) > 0) : 0;
      const rest = from < 0 ? [] : run.slice(from);
      const page = rest.slice(0, input.Limit ?? rest.length);
      const last = page.at(-1);
      return {
        Items: page.map((item) => ({ ...item })),
        ...(last && page.length === input.Limit ? { LastEvaluatedKey: { ...last } } : {}),
      };
    },
  };
  return { client: client as unknown as DynamoDBDocumentClient, queries };
}

const shardsOf = (count: number, prefix = "FEED", forward = false): QuerySpec[] =>
  Array.from({ length: count }, (_, n) => ({
    index: "byFeed",
    keyCondition: "feedPk = :pk",
    values: { ":pk": `${prefix}#${n}` },
    forward,
  }));

const item = (id: string, shard: number, feedSk: string, prefix = "FEED"): Item => ({
  pk: `PRODUCT#${id}`,
  sk: "PRODUCT",
  feedPk: `${prefix}#${shard}`,
  feedSk,
});

/** A product created at second `second` of a fixed minute. */
const at = (id: string, shard: number, second: number): Item =>
  item(id, shard, `2026-01-01T00:00:0${second}.000Z#${id}`);

/** Every page, following `nextCursor` to the end, with the limit of each page drawn from `limits` in turn. */
async function walk(items: readonly Item[], shards: readonly QuerySpec[], limits: readonly number[]) {
  const { client } = fakeIndex(items);
  const pages: Record<string, unknown>[][] = [];
  let cursor: string | undefined;
  do {
    const limit = limits[pages.length % limits.length]!;
    const page = await mergedPage(client, table, shards, { limit, cursor });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    pages.push(page.items);
    cursor = page.nextCursor ?? undefined;
    if (pages.length > items.length + 2) throw new Error("the pages never end");
  } while (cursor !== undefined);
  return pages;
}

async function refusal(run: () => Promise<unknown>): Promise<HttpProblem> {
  const thrown = await run().then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(HttpProblem);
  return thrown as HttpProblem;
}

describe("mergedPage", () => {
  it("merges the shards newest first, and the pages follow each other with no duplicate and no gap", async () => {
    const items = [at("a", 0, 5), at("b", 1, 4), at("c", 1, 3), at("d", 2, 2), at("e", 0, 1)];
    const pages = await walk(items, shardsOf(3), [2]);
    expect(pages.map((page) => page.map((i) => i.pk))).toEqual([
      ["PRODUCT#a", "PRODUCT#b"],
      ["PRODUCT#c", "PRODUCT#d"],
      ["PRODUCT#e"],
    ]);
  });

  it("answers one empty last page with a null cursor when there is nothing", async () => {
    const { client } = fakeIndex([]);
    expect(await mergedPage(client, table, shardsOf(8), { limit: 20 })).toEqual({ items: [], nextCursor: null });
  });

  it("stops querying a shard once it is read to its end", async () => {
    const items = [at("a", 0, 9), at("b", 0, 8), at("c", 0, 7), at("d", 1, 1)];
    const { client, queries } = fakeIndex(items);
    const first = await mergedPage(client, table, shardsOf(3), { limit: 2 });
    expect(first.items.map((i) => i.pk)).toEqual(["PRODUCT#a", "PRODUCT#b"]);
    queries.length = 0;
    const second = await mergedPage(client, table, shardsOf(3), { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((i) => i.pk)).toEqual(["PRODUCT#c", "PRODUCT#d"]);
    expect(second.nextCursor).toBeNull();
    // Shard 2 is empty: its first query said so, and it is not asked again.
    expect(queries.map((q) => q.ExpressionAttributeValues?.[":pk"])).toEqual(["FEED#0", "FEED#1"]);
  });

  it("walks every item once, in order, whatever the items, shards and page sizes (property)", async () => {
    const sortKey = fc.stringMatching(/^[0-9a-c\u00e9\u{1F600}]{0,3}$/u);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(sortKey, fc.nat(7)), { maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (shardCount, drawn, limits, forward) => {
          // Sort keys repeat across shards on purpose (ties); within a shard the table key breaks them.
          const items = drawn.map(([key, shard], i) => item(`p${i}`, shard % shardCount, key));
          const pages = await walk(items, shardsOf(shardCount, "FEED", forward), limits);
          const seen = pages.flat().map((i) => i.pk as string);
          expect(new Set(seen).size).toBe(seen.length);
          expect([...seen].sort()).toEqual(items.map((i) => i.pk).sort());
          const keys = pages.flat().map((i) => i.feedSk as string);
          for (let i = 1; i < keys.length; i++) {
            const step = Buffer.compare(bytes(keys[i - 1]!), bytes(keys[i]!));
            expect(forward ? step <= 0 : step >= 0).toBe(true);
          }
          // Every page is full but the last, and the last is empty only when there is nothing at all.
          for (const [n, page] of pages.entries())
            if (n < pages.length - 1) expect(page.length).toBe(limits[n % limits.length]);
          if (items.length > 0) expect(pages.at(-1)!.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses a changed cursor, or one of another query, with the 400 problem at query.cursor", async () => {
    const items = Array.from({ length: 12 }, (_, i) => item(`p${i}`, i % 3, `k${String(i).padStart(2, "0")}`));
    const cat = Array.from({ length: 12 }, (_, i) => item(`c${i}`, i % 3, `k${i}`, "CATEGORY#books"));
    const { client } = fakeIndex([...items, ...cat]);
    const { nextCursor } = await mergedPage(client, table, shardsOf(3), { limit: 4 });
    expect(nextCursor).toEqual(expect.any(String));
    const cursor = nextCursor!;

    const attempts = [
      `${cursor.slice(0, 10)}${cursor[10] === "A" ? "B" : "A"}${cursor.slice(11)}`,
      cursor.slice(0, -2),
      `${cursor}x`,
      "not a cursor",
      Buffer.from(JSON.stringify({ k: { shards: 3, 0: "new", 1: "new", 2: "new" }, d: "x" })).toString("base64url"),
    ];
    for (const attempt of attempts) {
      const problem = await refusal(() => mergedPage(client, table, shardsOf(3), { limit: 4, cursor: attempt }));
      expect(problem.status).toBe(400);
      expect(problem.errors).toEqual([{ path: "query.cursor", message: expect.any(String) }]);
    }
    // Another category, another number of shards, another direction: another query.
    for (const shards of [shardsOf(3, "CATEGORY#books"), shardsOf(4), shardsOf(3, "FEED", true)])
      expect((await refusal(() => mergedPage(client, table, shards, { limit: 4, cursor }))).status).toBe(400);
  });

  it("refuses shards that do not sort alike, and a limit that is no page size", async () => {
    const { client } = fakeIndex([]);
    const mixed = [...shardsOf(1), { ...shardsOf(1)[0]!, forward: true }];
    await expect(mergedPage(client, table, mixed, { limit: 2 })).rejects.toThrow(TypeError);
    await expect(mergedPage(client, table, [], { limit: 2 })).rejects.toThrow(TypeError);
    await expect(mergedPage(client, table, shardsOf(2), { limit: 0 })).rejects.toThrow(TypeError);
  });
});
