import { describe, expect, it } from "vitest";
import users from "../../services/users/service.js";
import { IDEMPOTENCY_TABLE, idempotencyTableProblems } from "../../shared/data/index.js";

describe("idempotencyTableProblems", () => {
  it("passes the layout the store writes, and the users table", () => {
    expect(idempotencyTableProblems("Table", IDEMPOTENCY_TABLE)).toEqual([]);
    expect(idempotencyTableProblems("UsersTable", users.tables.UsersTable)).toEqual([]);
  });

  it("names a table without the TTL", () => {
    expect(idempotencyTableProblems("ThreadsTable", { partitionKey: "pk", sortKey: "sk" })).toEqual([
      'ThreadsTable keeps idempotency records, which need the TTL attribute "expiresAt", but it has none',
    ]);
    expect(idempotencyTableProblems("ThreadsTable", { partitionKey: "pk", sortKey: "sk", ttl: "ttl" })).toEqual([
      'ThreadsTable keeps idempotency records, which need the TTL attribute "expiresAt", but it is "ttl"',
    ]);
  });

  it("names wrong or missing keys", () => {
    expect(idempotencyTableProblems("ProductsTable", { partitionKey: "id", ttl: "expiresAt" })).toEqual([
      'ProductsTable keeps idempotency records, which need the partition key "pk", but it is "id"',
      'ProductsTable keeps idempotency records, which need the sort key "sk", but it has none',
    ]);
  });
});
