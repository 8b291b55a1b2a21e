import type { TableDefinition } from "../topology/defineService.js";

/**
 * How the HTTP idempotency records are kept in a service's table: under string keys `pk` (the route and key) and
 * `sk = "IDEMPOTENCY"`, expiring through the TTL attribute `expiresAt`. The project's key attributes are all
 * strings (the stacks and the local runtime declare them `S`), so the names are what is left to check.
 */
export const IDEMPOTENCY_TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  ttl: "expiresAt",
} as const satisfies TableDefinition;

/**
 * What is wrong with table `name` for keeping idempotency records (nothing: `[]`). For the topology checks: a
 * route that declares `idempotency: { table }` needs a table that passes.
 *
 * @example
 * ```ts
 * idempotencyTableProblems("UsersTable", { partitionKey: "pk", sortKey: "sk" });
 * // ['UsersTable keeps idempotency records, which need the TTL attribute "expiresAt", but it has none']
 * ```
 */
export function idempotencyTableProblems(name: string, definition: TableDefinition): string[] {
  const problems: string[] = [];
  const expect = (what: string, wanted: string, got: string | undefined): void => {
    if (got !== wanted)
      problems.push(
        `${name} keeps idempotency records, which need ${what} "${wanted}", but ${got ? `it is "${got}"` : "it has none"}`,
      );
  };
  expect("the partition key", IDEMPOTENCY_TABLE.partitionKey, definition.partitionKey);
  expect("the sort key", IDEMPOTENCY_TABLE.sortKey, definition.sortKey);
  expect("the TTL attribute", IDEMPOTENCY_TABLE.ttl, definition.ttl);
  return problems;
}
