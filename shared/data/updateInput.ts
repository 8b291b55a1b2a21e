import { conditionInput } from "./conditionInput.js";
import type { ExpressionInput } from "./placeholders.js";
import type { Condition, UpdateSpec } from "./types.js";

export interface UpdateInput extends ExpressionInput {
  UpdateExpression: string;
}

/**
 * An update spec (and its condition) as request fields. Every attribute name goes through a placeholder
 * (`#set0`, `#rm0`, `#add0`), so reserved words need no care; `set` values that are `undefined` are skipped.
 *
 * @example
 * ```ts
 * updateInput({ set: { state: "active" }, remove: ["leaseExpiresAt"] });
 * // { UpdateExpression: "SET #set0 = :set0 REMOVE #rm0", ExpressionAttributeNames: { "#set0": "state", "#rm0": "leaseExpiresAt" }, ... }
 * ```
 */
export function updateInput(spec: UpdateSpec, condition?: Condition): UpdateInput {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const clauses: string[] = [];
  const clause = (keyword: string, parts: string[]): void => {
    if (parts.length > 0) clauses.push(`${keyword} ${parts.join(", ")}`);
  };

  const sets = Object.entries(spec.set ?? {}).filter(([, value]) => value !== undefined);
  clause(
    "SET",
    sets.map(([attribute, value], i) => {
      names[`#set${i}`] = attribute;
      values[`:set${i}`] = value;
      return `#set${i} = :set${i}`;
    }),
  );
  clause(
    "REMOVE",
    (spec.remove ?? []).map((attribute, i) => {
      names[`#rm${i}`] = attribute;
      return `#rm${i}`;
    }),
  );
  clause(
    "ADD",
    Object.entries(spec.add ?? {}).map(([attribute, amount], i) => {
      names[`#add${i}`] = attribute;
      values[`:add${i}`] = amount;
      return `#add${i} :add${i}`;
    }),
  );
  if (clauses.length === 0) throw new TypeError("update: the spec changes nothing");

  return { UpdateExpression: clauses.join(" "), ...conditionInput(condition, { names, values }) };
}
