import { PublishError, type PublishFailure } from "./errors.js";
import type { BatchEntry } from "./sendWithRetry.js";

/**
 * Throws a {@link PublishError} when any entry is left failed, naming the ones that did get out.
 *
 * @example
 * ```ts
 * throwIfFailed(entries, await sendWithRetry(entries, sender));
 * ```
 */
export function throwIfFailed(entries: readonly BatchEntry[], failures: readonly PublishFailure[]): void {
  if (failures.length === 0) return;
  const failed = new Set(failures.map((failure) => failure.eventId));
  throw new PublishError(
    failures,
    entries.filter((entry) => !failed.has(entry.eventId)).map((entry) => entry.eventId),
  );
}
