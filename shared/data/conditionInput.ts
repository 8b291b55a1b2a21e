import { type ExpressionInput, mergePlaceholders } from "./placeholders.js";
import type { Condition } from "./types.js";

/**
 * A condition as request fields (`ConditionExpression` and its placeholders), together with the placeholders the
 * request's other expressions use (`also`: an update's own); nothing when there are neither.
 *
 * @example
 * ```ts
 * new PutCommand({ TableName, Item, ...conditionInput({ expression: "attribute_not_exists(pk)" }) });
 * ```
 */
export function conditionInput(
  condition: Condition | undefined,
  also: Pick<Condition, "names" | "values"> = {},
): ExpressionInput {
  const input: ExpressionInput = condition ? { ConditionExpression: condition.expression } : {};
  const names = mergePlaceholders([also.names, condition?.names]);
  const values = mergePlaceholders([also.values, condition?.values]);
  if (names) input.ExpressionAttributeNames = names;
  if (values) input.ExpressionAttributeValues = values;
  return input;
}
