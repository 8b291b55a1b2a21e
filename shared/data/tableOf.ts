import type { TableDefinition } from "../topology/defineService.js";
import { Table, type TableOptions } from "./Table.js";

/**
 * The typed accessor of one of the service's tables: `resourceName` is the linked resource (its physical name is
 * read on first use, not at import), `definition` the table's entry in `service.ts`. Create it once per module.
 *
 * @example
 * ```ts
 * import users from "./service.js";
 * export const usersTable = tableOf<UsersItem>("UsersTable", users.tables.UsersTable);
 * // tests: tableOf("UsersTable", definition, { client: DynamoDBDocumentClient.from(new DynamoDBClient(config)) })
 * ```
 */
export function tableOf<Item extends object = Record<string, unknown>>(
  resourceName: string,
  definition: TableDefinition,
  options: TableOptions = {},
): Table<Item> {
  return new Table<Item>(resourceName, definition, options);
}
