import type { TransactWriteItem } from "@aws-sdk/lib-dynamodb";
import { conditionInput } from "./conditionInput.js";
import type { TableRef, TransactItem } from "./types.js";
import { updateInput } from "./updateInput.js";

/**
 * The transaction items as the document client takes them, in the same order, on `here` unless an item names its
 * own `table`.
 *
 * @example
 * ```ts
 * transactItems([{ delete: { key: { pk: "A", sk: "B" } } }], usersTable); // [{ Delete: { TableName, Key } }]
 * ```
 */
export function transactItems<Item extends object>(
  items: readonly TransactItem<Item>[],
  here: TableRef,
): TransactWriteItem[] {
  return items.map((item): TransactWriteItem => {
    if ("put" in item) {
      const { item: value, condition, table } = item.put;
      return {
        Put: { TableName: (table ?? here).name, Item: value as Record<string, unknown>, ...conditionInput(condition) },
      };
    }
    if ("update" in item) {
      const { key, spec, condition, table } = item.update;
      return { Update: { TableName: (table ?? here).name, Key: key, ...updateInput(spec, condition) } };
    }
    if ("delete" in item) {
      const { key, condition, table } = item.delete;
      return { Delete: { TableName: (table ?? here).name, Key: key, ...conditionInput(condition) } };
    }
    const { key, condition, table } = item.check;
    return {
      ConditionCheck: {
        TableName: (table ?? here).name,
        Key: key,
        ConditionExpression: condition.expression,
        ...conditionInput(condition),
      },
    };
  });
}
