import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, DynamoDBDocumentClient, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { linkEnv, resetResourceCache } from "../../shared/config.js";
import { tableOf } from "../../shared/data/index.js";

/**
 * The error paths DynamoDB Local cannot be made to produce (unprocessed keys, conflicting transactions), with the
 * SDK stubbed. Everything else of the data layer is tested over the wire (test/integration/data.test.ts).
 */
const documentClient = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } }),
);
const ddb = mockClient(documentClient);
const TableName = "retries-test";
const table = tableOf(
  "RetriesTable",
  { partitionKey: "pk" },
  { client: documentClient, retry: { baseMs: 1, capMs: 2 } },
);

function cancelled(...codes: string[]): Error {
  return Object.assign(new Error(`Transaction cancelled [${codes.join(", ")}]`), {
    name: "TransactionCanceledException",
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

beforeAll(() => {
  Object.assign(process.env, linkEnv("RetriesTable", { name: TableName }));
  resetResourceCache();
});
afterAll(() => {
  delete process.env.SST_RESOURCE_RetriesTable;
  resetResourceCache();
});
beforeEach(() => ddb.reset());

describe("batchGet's unprocessed keys", () => {
  it("asks again for the unprocessed keys only, until all are read", async () => {
    const keys = [{ pk: "a" }, { pk: "b" }, { pk: "c" }];
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [TableName]: [{ pk: "a" }] },
        UnprocessedKeys: { [TableName]: { Keys: keys.slice(1) } },
      })
      .resolvesOnce({
        Responses: { [TableName]: [{ pk: "b" }] },
        UnprocessedKeys: { [TableName]: { Keys: [{ pk: "c" }] } },
      })
      .resolvesOnce({ Responses: { [TableName]: [{ pk: "c" }] }, UnprocessedKeys: {} });
    const items = await table.batchGet(keys);
    expect(items.map((item) => item.pk).sort()).toEqual(["a", "b", "c"]);
    const asked = ddb.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems?.[TableName]?.Keys);
    expect(asked).toEqual([keys, keys.slice(1), [{ pk: "c" }]]);
  });

  it("gives up after the bounded attempts with an error", async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: {}, UnprocessedKeys: { [TableName]: { Keys: [{ pk: "a" }] } } });
    await expect(table.batchGet([{ pk: "a" }])).rejects.toThrow(/1 keys of retries-test still unprocessed after 5/);
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(5);
  });

  it("asks 100 keys a request, each key once", async () => {
    ddb.on(BatchGetCommand).callsFake((input) => ({ Responses: { [TableName]: input.RequestItems[TableName].Keys } }));
    const keys = Array.from({ length: 250 }, (_, i) => ({ pk: `k${i}` }));
    const items = await table.batchGet([...keys, ...keys.slice(0, 10)]);
    expect(items).toHaveLength(250);
    const sizes = ddb
      .commandCalls(BatchGetCommand)
      .map((call) => call.args[0].input.RequestItems?.[TableName]?.Keys?.length);
    expect(sizes).toEqual([100, 100, 50]);
    expect(await table.batchGet([])).toEqual([]);
  });
});

describe("transactions cancelled by conflicts", () => {
  const items = [{ put: { item: { pk: "a" } } }, { update: { key: { pk: "b" }, spec: { add: { n: 1 } } } }];

  it("are retried, and a later success commits", async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled("TransactionConflict", "None"))
      .rejectsOnce(cancelled("None", "TransactionConflict"))
      .resolves({});
    expect(await table.transact(items)).toEqual({ committed: true });
    const calls = ddb.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(3);
    const tokens = calls.map((call) => call.args[0].input.ClientRequestToken);
    expect(new Set(tokens).size).toBe(3);
  });

  it("are thrown after the bounded attempts", async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled("TransactionConflict", "None"));
    await expect(table.transact(items)).rejects.toMatchObject({ name: "TransactionCanceledException" });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(5);
  });

  it("answer with the failed indexes when a condition failed too, without retrying", async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled("ConditionalCheckFailed", "TransactionConflict"));
    expect(await table.transact(items)).toEqual({ committed: false, failed: [0] });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it("throw any other cancellation or error at once", async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled("None", "ValidationError"));
    await expect(table.transact(items)).rejects.toThrow(/ValidationError/);
    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(Object.assign(new Error("slow down"), { name: "ThrottlingException" }));
    await expect(table.countOnce({ marker: { pk: "m" }, counter: { pk: "c" }, increments: { n: 1 } })).rejects.toThrow(
      "slow down",
    );
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});
