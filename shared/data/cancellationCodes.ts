/**
 * The reason codes of a cancelled transaction, one per item in the order sent (`None` for an item that was fine);
 * `undefined` when `error` is not a transaction cancellation.
 *
 * @example
 * ```ts
 * cancellationCodes(error); // ["None", "ConditionalCheckFailed"]
 * ```
 */
export function cancellationCodes(error: unknown): (string | undefined)[] | undefined {
  // By name, not `instanceof`: an error from another copy of the SDK (or a test double) is the same error.
  if (!(error instanceof Error) || error.name !== "TransactionCanceledException") return undefined;
  const reasons: unknown = (error as { CancellationReasons?: unknown }).CancellationReasons;
  if (!Array.isArray(reasons)) return [];
  return reasons.map((reason: unknown) => {
    const code: unknown =
      typeof reason === "object" && reason !== null ? (reason as { Code?: unknown }).Code : undefined;
    return typeof code === "string" ? code : undefined;
  });
}
