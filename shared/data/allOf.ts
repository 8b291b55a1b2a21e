import { mergePlaceholders } from "./placeholders.js";
import type { Condition } from "./types.js";

/**
 * The conditions joined with AND (each in parentheses), their placeholders merged; `undefined` when none is given.
 *
 * @example
 * ```ts
 * allOf({ expression: "#v = :v", names: { "#v": "version" }, values: { ":v": 3 } }, options.condition);
 * ```
 */
export function allOf(...conditions: readonly (Condition | undefined)[]): Condition | undefined {
  const given = conditions.filter((condition): condition is Condition => condition !== undefined);
  if (given.length === 0) return undefined;
  if (given.length === 1) return given[0];
  const names = mergePlaceholders(given.map((condition) => condition.names));
  const values = mergePlaceholders(given.map((condition) => condition.values));
  return {
    expression: given.map((condition) => `(${condition.expression})`).join(" AND "),
    ...(names ? { names } : {}),
    ...(values ? { values } : {}),
  };
}
