import { describe, expect, it, onTestFinished } from "vitest";
import { linkEnv, resetResourceCache } from "../../shared/config.js";
import {
  allOf,
  conditionInput,
  isConditionFailure,
  type TableRef,
  tableOf,
  updateInput,
} from "../../shared/data/index.js";

const here: TableRef = { name: "users-test" };
const other: TableRef = { name: "outbox-test" };

function cancelled(...codes: string[]): Error {
  return Object.assign(new Error("Transaction cancelled"), {
    name: "TransactionCanceledException",
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

describe("update expressions", () => {
  it("puts every attribute name behind a placeholder, reserved words included", () => {
    expect(
      updateInput({ set: { state: "active", userId: "u1" }, remove: ["leaseExpiresAt"], add: { posts: 1 } }),
    ).toEqual({
      UpdateExpression: "SET #set0 = :set0, #set1 = :set1 REMOVE #rm0 ADD #add0 :add0",
      ExpressionAttributeNames: { "#set0": "state", "#set1": "userId", "#rm0": "leaseExpiresAt", "#add0": "posts" },
      ExpressionAttributeValues: { ":set0": "active", ":set1": "u1", ":add0": 1 },
    });
  });

  it("skips undefined values, keeps null, and leaves out empty placeholder maps", () => {
    expect(updateInput({ set: { bio: null, avatar: undefined } })).toEqual({
      UpdateExpression: "SET #set0 = :set0",
      ExpressionAttributeNames: { "#set0": "bio" },
      ExpressionAttributeValues: { ":set0": null },
    });
    expect(updateInput({ remove: ["a"] })).toEqual({
      UpdateExpression: "REMOVE #rm0",
      ExpressionAttributeNames: { "#rm0": "a" },
    });
  });

  it("joins the condition's placeholders with its own", () => {
    const input = updateInput(
      { set: { state: "active" } },
      { expression: "#claim = :claim", names: { "#claim": "claimId" }, values: { ":claim": "c1" } },
    );
    expect(input).toMatchObject({
      ConditionExpression: "#claim = :claim",
      ExpressionAttributeNames: { "#set0": "state", "#claim": "claimId" },
      ExpressionAttributeValues: { ":set0": "active", ":claim": "c1" },
    });
  });

  it("refuses a spec that changes nothing and a placeholder given two meanings", () => {
    expect(() => updateInput({})).toThrow(TypeError);
    expect(() => updateInput({ set: { a: undefined } })).toThrow(TypeError);
    expect(() => updateInput({ set: { a: 1 } }, { expression: ":set0 > 0", values: { ":set0": 2 } })).toThrow(/:set0/);
  });

  it("writes a condition as request fields, and nothing without one", () => {
    expect(conditionInput(undefined)).toEqual({});
    expect(conditionInput({ expression: "attribute_not_exists(pk)" })).toEqual({
      ConditionExpression: "attribute_not_exists(pk)",
    });
    expect(conditionInput({ expression: "a = :a", names: {}, values: { ":a": 1 } })).toEqual({
      ConditionExpression: "a = :a",
      ExpressionAttributeValues: { ":a": 1 },
    });
  });

  it("joins conditions with AND", () => {
    expect(allOf()).toBeUndefined();
    expect(allOf(undefined, { expression: "a = :a" })).toEqual({ expression: "a = :a" });
    expect(
      allOf({ expression: "#v = :v", names: { "#v": "version" }, values: { ":v": 1 } }, { expression: "b OR c" }),
    ).toEqual({ expression: "(#v = :v) AND (b OR c)", names: { "#v": "version" }, values: { ":v": 1 } });
  });
});

describe("transaction items", () => {
  it("are built in order, on this table unless an item names another", () => {
    Object.assign(process.env, linkEnv("UsersTable", { name: here.name }));
    resetResourceCache();
    onTestFinished(() => {
      delete process.env.SST_RESOURCE_UsersTable;
      resetResourceCache();
    });
    const users = tableOf("UsersTable", { partitionKey: "pk", sortKey: "sk" });
    const items = users.transactItems([
      { put: { item: { pk: "A", sk: "B" }, condition: { expression: "attribute_not_exists(pk)" } } },
      { update: { key: { pk: "C", sk: "D" }, spec: { add: { n: 1 } } } },
      { delete: { key: { pk: "E", sk: "F" }, table: other } },
      { check: { key: { pk: "G", sk: "H" }, condition: { expression: "x = :x", values: { ":x": 1 } } } },
      { put: { item: { id: "o1" }, table: other } },
    ]);
    expect(items).toEqual([
      { Put: { TableName: here.name, Item: { pk: "A", sk: "B" }, ConditionExpression: "attribute_not_exists(pk)" } },
      {
        Update: {
          TableName: here.name,
          Key: { pk: "C", sk: "D" },
          UpdateExpression: "ADD #add0 :add0",
          ExpressionAttributeNames: { "#add0": "n" },
          ExpressionAttributeValues: { ":add0": 1 },
        },
      },
      { Delete: { TableName: other.name, Key: { pk: "E", sk: "F" } } },
      {
        ConditionCheck: {
          TableName: here.name,
          Key: { pk: "G", sk: "H" },
          ConditionExpression: "x = :x",
          ExpressionAttributeValues: { ":x": 1 },
        },
      },
      { Put: { TableName: other.name, Item: { id: "o1" } } },
    ]);
  });

  it("read the table's name only when used, not when the accessor is made", () => {
    const later = tableOf("NotLinkedYet", { partitionKey: "pk" });
    expect(() => later.name).toThrow(/NotLinkedYet/);
    expect(() => tableOf("", { partitionKey: "pk" })).toThrow(TypeError);
    expect(() => tableOf("X", { partitionKey: "" })).toThrow(TypeError);
  });
});

describe("isConditionFailure", () => {
  const plain = Object.assign(new Error("The conditional request failed"), {
    name: "ConditionalCheckFailedException",
  });

  it("recognizes a failed condition, and nothing else", () => {
    expect(isConditionFailure(plain)).toBe(true);
    expect(isConditionFailure(cancelled("None", "ConditionalCheckFailed"))).toBe(true);
    expect(isConditionFailure(cancelled("None", "TransactionConflict"))).toBe(false);
    expect(isConditionFailure(Object.assign(new Error("slow down"), { name: "ThrottlingException" }))).toBe(false);
    expect(isConditionFailure("ConditionalCheckFailedException")).toBe(false);
    expect(isConditionFailure(undefined)).toBe(false);
  });

  it("with an index, looks at that item of a cancelled transaction only", () => {
    const error = cancelled("None", "ConditionalCheckFailed");
    expect(isConditionFailure(error, 1)).toBe(true);
    expect(isConditionFailure(error, 0)).toBe(false);
    expect(isConditionFailure(error, 2)).toBe(false);
    expect(isConditionFailure(plain, 0)).toBe(false);
  });
});
