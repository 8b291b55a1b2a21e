import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linkEnv, resetResourceCache } from "../../shared/config.js";
import { pageQuery, tableOf } from "../../shared/data/index.js";
import { HttpProblem, httpHandler } from "../../shared/http/index.js";
import type { TableDefinition } from "../../shared/topology/index.js";
import { apiEvent, lambdaContext } from "../support/apiEvents.js";
import { useEmulators } from "../support/emulators.js";

/**
 * The data layer over the wire: the default document client (the production path), pointed at DynamoDB Local by
 * the emulators' environment. Only the errors the emulator cannot produce are stubbed (test/unit/dataRetries.test.ts).
 */
const emulators = useEmulators();
const TableName = `data-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const definition: TableDefinition = {
  partitionKey: "pk",
  sortKey: "sk",
  indexes: { byGroup: { partitionKey: "group", sortKey: "rank" } },
};

interface Thing {
  readonly pk: string;
  readonly sk: string;
  readonly state?: string;
  readonly version?: number;
  readonly group?: string;
  readonly rank?: string;
  readonly n?: number;
  readonly [attribute: string]: unknown;
}

const table = tableOf<Thing>("DataTable", definition);
const ddb = new DynamoDBClient(emulators.clientConfig("dynamodb"));
let run = 0;
/** A partition of its own for each test. */
const partition = (): string => `P${++run}#${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  await ddb.send(
    new CreateTableCommand({
      TableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: ["pk", "sk", "group", "rank"].map((AttributeName) => ({
        AttributeName,
        AttributeType: "S",
      })),
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: "byGroup",
          KeySchema: [
            { AttributeName: "group", KeyType: "HASH" },
            { AttributeName: "rank", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    }),
  );
  Object.assign(process.env, linkEnv("DataTable", { name: TableName }));
  resetResourceCache();
});

afterAll(() => {
  delete process.env.SST_RESOURCE_DataTable;
  resetResourceCache();
  ddb.destroy();
});

const absent = { expression: "attribute_not_exists(pk)" };

describe("conditional writes answer yes or no", () => {
  it("puts once under attribute_not_exists, and a reserved word works in conditions and updates", async () => {
    const key = { pk: partition(), sk: "ITEM" };
    expect(await table.put({ ...key, state: "pending" }, { condition: absent })).toBe(true);
    expect(await table.put({ ...key, state: "other" }, { condition: absent })).toBe(false);
    expect(await table.get(key, { consistent: true })).toEqual({ ...key, state: "pending" });

    const pending = {
      expression: "#state = :pending",
      names: { "#state": "state" },
      values: { ":pending": "pending" },
    };
    expect(await table.update(key, { set: { state: "active" }, add: { n: 2 } }, { condition: pending })).toEqual({
      ...key,
      state: "active",
      n: 2,
    });
    expect(await table.update(key, { set: { state: "again" } }, { condition: pending })).toBeUndefined();
    expect(await table.update(key, { remove: ["n"] })).toEqual({ ...key, state: "active" });

    expect(await table.delete(key, { condition: pending })).toBe(false);
    expect(await table.get(key, { consistent: true })).toBeDefined();
    const active = { ...pending, values: { ":pending": "active" } };
    expect(await table.delete(key, { condition: active })).toBe(true);
    expect(await table.get(key, { consistent: true })).toBeUndefined();
  });

  it("throws what is not a condition failure", async () => {
    await expect(table.put({ pk: partition() } as Thing)).rejects.toMatchObject({ name: "ValidationException" });
  });
});

describe("updates under an optimistic version", () => {
  it("bumps the version, and answers undefined when the expected version is stale", async () => {
    const key = { pk: partition(), sk: "PROFILE" };
    await table.put({ ...key, version: 1, state: "v1" });
    const next = await table.updateVersioned(key, { set: { state: "v2" } }, 1);
    expect(next).toEqual({ ...key, version: 2, state: "v2" });
    expect(await table.updateVersioned(key, { set: { state: "stale" } }, 1)).toBeUndefined();
    expect(await table.get(key, { consistent: true })).toEqual({ ...key, version: 2, state: "v2" });

    await table.put({ ...key, rev: 7 });
    expect(await table.updateVersioned(key, { set: { state: "r" } }, 7, { versionAttribute: "rev" })).toEqual({
      ...key,
      rev: 8,
      state: "r",
    });
    expect(await table.updateVersioned({ pk: partition(), sk: "NONE" }, { set: { state: "x" } }, 1)).toBeUndefined();
  });
});

describe("count once", () => {
  const counting = (marker: string, counter: string) => ({
    marker: { pk: marker, sk: "COUNTED", at: "2026-01-01T00:00:00.000Z" },
    counter: { pk: counter, sk: "STATS" },
    increments: { posts: 1, words: 12 },
    set: { updatedAt: "2026-01-01T00:00:00.000Z" },
  });

  it("counts a redelivery once", async () => {
    const [marker, counter] = [partition(), partition()];
    expect(await table.countOnce(counting(marker, counter))).toBe(true);
    expect(await table.countOnce(counting(marker, counter))).toBe(false);
    expect(await table.countOnce(counting(partition(), counter))).toBe(true);
    expect(await table.get({ pk: counter, sk: "STATS" }, { consistent: true })).toEqual({
      pk: counter,
      sk: "STATS",
      posts: 2,
      words: 24,
      updatedAt: "2026-01-01T00:00:00.000Z",
    });
  });

  it("counts 10 concurrent deliveries of one marker exactly once", async () => {
    const [marker, counter] = [partition(), partition()];
    const results = await Promise.all(Array.from({ length: 10 }, () => table.countOnce(counting(marker, counter))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await table.get({ pk: counter, sk: "STATS" }, { consistent: true }))?.posts).toBe(1);
  });
});

describe("transactions", () => {
  it("answer which conditions failed (raw extra items counted after the items), and write nothing", async () => {
    const p = partition();
    await table.put({ pk: p, sk: "TAKEN" });
    await table.put({ pk: p, sk: "CHECKED", state: "closed" });
    const open = { expression: "#state = :open", names: { "#state": "state" }, values: { ":open": "open" } };
    const extra = table.transactItems([{ put: { item: { pk: p, sk: "TAKEN" }, condition: absent } }]);
    const outcome = await table.transact(
      [
        { put: { item: { pk: p, sk: "NEW" }, condition: absent } },
        { put: { item: { pk: p, sk: "TAKEN", state: "x" }, condition: absent } },
        { check: { key: { pk: p, sk: "CHECKED" }, condition: open } },
      ],
      {
        extra: [
          {
            Update: {
              TableName,
              Key: { pk: p, sk: "OTHER" },
              UpdateExpression: "SET a = :a",
              ExpressionAttributeValues: { ":a": 1 },
            },
          },
          ...extra,
        ],
      },
    );
    expect(outcome.committed).toBe(false);
    if (outcome.committed) return;
    expect(outcome.failed).toEqual([1, 2, 4]);
    expect(await table.get({ pk: p, sk: "NEW" }, { consistent: true })).toBeUndefined();
    expect(await table.get({ pk: p, sk: "OTHER" }, { consistent: true })).toBeUndefined();
  });

  it("commit puts, updates, deletes and checks together", async () => {
    const p = partition();
    await table.put({ pk: p, sk: "OLD" });
    await table.put({ pk: p, sk: "GATE", state: "open" });
    const outcome = await table.transact([
      { put: { item: { pk: p, sk: "NEW", state: "made" }, condition: absent } },
      { update: { key: { pk: p, sk: "COUNTER" }, spec: { add: { n: 5 } } } },
      { delete: { key: { pk: p, sk: "OLD" }, condition: { expression: "attribute_exists(pk)" } } },
      {
        check: {
          key: { pk: p, sk: "GATE" },
          condition: { expression: "#state = :open", names: { "#state": "state" }, values: { ":open": "open" } },
        },
      },
    ]);
    expect(outcome).toEqual({ committed: true });
    const page = await table.queryPage(
      { keyCondition: "pk = :pk", values: { ":pk": p }, consistent: true },
      { limit: 10 },
    );
    expect(page.items.map((item) => item.sk)).toEqual(["COUNTER", "GATE", "NEW"]);
  });
});

describe("batchGet", () => {
  it("reads 150 keys (and skips missing ones) across requests of 100", async () => {
    const p = partition();
    const keys = Array.from({ length: 150 }, (_, i) => ({ pk: p, sk: `I${String(i).padStart(3, "0")}` }));
    await Promise.all(keys.map((key, i) => table.put({ ...key, n: i })));
    const items = await table.batchGet([...keys, { pk: p, sk: "MISSING" }, keys[0]!], { consistent: true });
    expect(items).toHaveLength(150);
    expect(items.map((item) => item.n).sort((a = 0, b = 0) => a - b)).toEqual(keys.map((_, i) => i));
  });
});

describe("queryPage", () => {
  const p = `Q#${Date.now().toString(36)}`;
  const group = `G#${Date.now().toString(36)}`;
  const sks = Array.from({ length: 57 }, (_, i) => `S${String(i).padStart(3, "0")}`);
  const spec = { keyCondition: "#pk = :pk", names: { "#pk": "pk" }, values: { ":pk": p }, consistent: true };

  beforeAll(async () => {
    await Promise.all(
      sks.map((sk, i) => table.put({ pk: p, sk, group, rank: `R${String(56 - i).padStart(3, "0")}`, n: i })),
    );
  });

  async function walk(query: Parameters<typeof table.queryPage>[0], limit: number): Promise<Thing[][]> {
    const pages: Thing[][] = [];
    let cursor: string | undefined;
    do {
      const page = await table.queryPage(query, { limit, cursor });
      expect(page.items.length).toBeLessThanOrEqual(limit);
      pages.push(page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && pages.length < 100);
    return pages;
  }

  it("walks every page in order with no duplicates and no gaps", async () => {
    const pages = await walk(spec, 10);
    expect(pages.slice(0, 5).map((page) => page.length)).toEqual([10, 10, 10, 10, 10]);
    expect(pages.flat().map((item) => item.sk)).toEqual(sks);
  });

  it("walks backwards, on an index, and with a filter", async () => {
    expect((await walk({ ...spec, forward: false }, 25)).flat().map((item) => item.sk)).toEqual([...sks].reverse());
    const byGroup = { index: "byGroup", keyCondition: "#g = :g", names: { "#g": "group" }, values: { ":g": group } };
    expect((await walk(byGroup, 7)).flat().map((item) => item.sk)).toEqual([...sks].reverse());
    const even = { ...spec, filter: "n BETWEEN :lo AND :hi", values: { ":pk": p, ":lo": 10, ":hi": 29 } };
    const filtered = await walk(even, 6);
    expect(filtered.flat().map((item) => item.n)).toEqual(Array.from({ length: 20 }, (_, i) => i + 10));
  });

  it("answers a tampered or foreign cursor with a 400 problem, never a 500", async () => {
    const first = await table.queryPage(spec, { limit: 5 });
    const cursor = first.nextCursor!;
    const tampered = `${cursor.slice(0, 10)}${cursor[10] === "A" ? "B" : "A"}${cursor.slice(11)}`;
    await expect(table.queryPage(spec, { limit: 5, cursor: tampered })).rejects.toBeInstanceOf(HttpProblem);
    const other = { ...spec, values: { ":pk": `${p}-other` } };
    await expect(table.queryPage(other, { limit: 5, cursor })).rejects.toMatchObject({ status: 400 });
    await expect(table.queryPage({ ...spec, forward: false }, { limit: 5, cursor })).rejects.toMatchObject({
      status: 400,
    });

    const list = httpHandler({
      query: v.object({ ...pageQuery.entries }),
      handler: ({ query }) => table.queryPage(spec, query),
    });
    const answer = async (query: Record<string, string>) =>
      list(apiEvent({ httpMethod: "GET", queryStringParameters: query }), lambdaContext());
    const ok = await answer({ limit: "5", cursor });
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body).items.map((item: Thing) => item.sk)).toEqual(sks.slice(5, 10));
    for (const bad of [tampered, cursor.slice(0, -3), "%%%", "eyJrIjp7fX0"]) {
      const refused = await answer({ cursor: bad });
      expect(refused.statusCode).toBe(400);
      expect(JSON.parse(refused.body).errors).toEqual([{ path: "query.cursor", message: expect.any(String) }]);
    }
  });
});
