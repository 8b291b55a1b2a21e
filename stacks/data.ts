import { homeRegion, isMultiRegion, replicaRegions, type TableNode, type Topology } from "../shared/topology/index.js";

export type Tables = Record<string, sst.aws.Dynamo>;

/** Every key named by the table and its indexes; DynamoDB only declares attributes that are keys. */
function keyFields(table: TableNode): Record<string, "string"> {
  const keys = [table.partitionKey, table.sortKey];
  for (const index of Object.values(table.indexes ?? {})) keys.push(index.partitionKey, index.sortKey);
  return Object.fromEntries(keys.filter((k): k is string => Boolean(k)).map((k) => [k, "string" as const]));
}

/**
 * A global table's physical name, the same in every region: a secondary region's stage finds its replica by it.
 *
 * @example
 * ```ts
 * globalTableName("summit", "production", "UsersTable"); // "summit-production-UsersTable"
 * ```
 */
export const globalTableName = (app: string, stage: string, table: string): string => `${app}-${stage}-${table}`;

/**
 * One DynamoDB table per topology table (database federation: each belongs to exactly one service). With several
 * regions, the home region's stage declares each as a global table with a replica in every other region, under a
 * name every region knows (`globalTableName`); a secondary region's stage uses its replica instead of creating one.
 */
export function createTables(topology: Topology, region: string = homeRegion(topology) ?? ""): Tables {
  const tables: Tables = {};
  const replicas = replicaRegions(topology, region);
  const secondary = isMultiRegion(topology) && region !== homeRegion(topology);
  for (const table of topology.tables) {
    const physical = globalTableName($app.name, $app.stage, table.name);
    if (secondary) {
      tables[table.name] = sst.aws.Dynamo.get(table.name, physical);
      continue;
    }
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
      ...(replicas.length > 0
        ? {
            transform: {
              table: (args: aws.dynamodb.TableArgs) => {
                args.name = physical;
                args.replicas = replicas.map((regionName) => ({ regionName, pointInTimeRecovery: true }));
              },
            },
          }
        : {}),
    });
  }
  return tables;
}
