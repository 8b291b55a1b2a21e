import type { TableNode, Topology } from "../shared/topology/index.js";

export type Tables = Record<string, sst.aws.Dynamo>;

/** Every key named by the table and its indexes; DynamoDB only declares attributes that are keys. */
function keyFields(table: TableNode): Record<string, "string"> {
  const keys = [table.partitionKey, table.sortKey];
  for (const index of Object.values(table.indexes ?? {})) keys.push(index.partitionKey, index.sortKey);
  return Object.fromEntries(keys.filter((k): k is string => Boolean(k)).map((k) => [k, "string" as const]));
}

/** One DynamoDB table per topology table (database federation: each belongs to exactly one service). */
export function createTables(topology: Topology): Tables {
  const tables: Tables = {};
  for (const table of topology.tables) {
    tables[table.name] = new sst.aws.Dynamo(table.name, {
      fields: keyFields(table),
      primaryIndex: { hashKey: table.partitionKey, ...(table.sortKey ? { rangeKey: table.sortKey } : {}) },
      globalIndexes: Object.fromEntries(
        Object.entries(table.indexes ?? {}).map(([name, index]) => [
          name,
          {
            hashKey: index.partitionKey,
            ...(index.sortKey ? { rangeKey: index.sortKey } : {}),
            ...(index.projection === "KEYS_ONLY" ? { projection: "keys-only" as const } : {}),
          },
        ]),
      ),
      ...(table.ttl ? { ttl: table.ttl } : {}),
      // Every table streams its changes: the outbox publisher reads its inserts (`createOutboxes`).
      stream: table.stream === "NEW_AND_OLD_IMAGES" ? "new-and-old-images" : "new-image",
      // Production data also survives a mistaken delete through the console or API, not only `sst remove`.
      deletionProtection: $app.stage === "production",
    });
  }
  return tables;
}
