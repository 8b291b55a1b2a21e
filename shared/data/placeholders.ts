/** The placeholder maps of an expression, in the shape DynamoDB takes them (absent when empty: it refuses `{}`). */
export interface ExpressionInput {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/**
 * The placeholders of several expressions that go into one request, as one map. A placeholder used twice must mean
 * the same thing both times: a clash (a caller's `:set0` against the update's own) is a programming error.
 *
 * @example
 * ```ts
 * mergePlaceholders([{ "#v": "version" }, condition.names]); // { "#v": "version", ... }
 * ```
 */
export function mergePlaceholders<V>(
  maps: readonly (Readonly<Record<string, V>> | undefined)[],
): Record<string, V> | undefined {
  let merged: Record<string, V> | undefined;
  for (const map of maps) {
    for (const [placeholder, value] of Object.entries(map ?? {})) {
      merged ??= {};
      if (placeholder in merged && !Object.is(merged[placeholder], value))
        throw new TypeError(`expression placeholder ${placeholder} is given two meanings`);
      merged[placeholder] = value;
    }
  }
  return merged;
}
