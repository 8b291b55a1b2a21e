import { cancellationCodes } from "./cancellationCodes.js";

/**
 * Whether `error` means "a condition was false" (and not any other failure). Without `index`: a
 * `ConditionalCheckFailedException`, or a cancelled transaction in which some item's condition failed. With
 * `index`: a cancelled transaction in which the condition of the item at `index` failed.
 *
 * The table's methods already answer yes/no ({@link Table.put} → `false`, {@link Table.transact} → `failed`); this
 * is for code that catches what they rethrow.
 *
 * @example
 * ```ts
 * try { await send(command); } catch (error) { if (!isConditionFailure(error)) throw error; }
 * isConditionFailure(cancelled, 1); // the second item's condition failed
 * ```
 */
export function isConditionFailure(error: unknown, index?: number): boolean {
  const codes = cancellationCodes(error);
  if (index !== undefined) return codes?.[index] === "ConditionalCheckFailed";
  if (codes) return codes.includes("ConditionalCheckFailed");
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}
