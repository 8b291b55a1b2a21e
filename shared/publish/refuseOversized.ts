import { PublishError } from "./errors.js";
import type { BatchEntry } from "./sendWithRetry.js";

/**
 * Throws one {@link PublishError} naming every entry `reason` refuses, before anything is sent: an entry that
 * can never be accepted would otherwise be found out after the others had gone, leaving half a batch published.
 *
 * @example
 * ```ts
 * refuseEntries(entries, (entry) => (entry.size > 1024 ? { code: "EntryTooLarge", message: "over 1 KB" } : undefined));
 * ```
 */
export function refuseEntries<E extends BatchEntry>(
  entries: readonly E[],
  reason: (entry: E) => { readonly code: string; readonly message: string } | undefined,
): void {
  const refused = entries.flatMap((entry) => {
    const why = reason(entry);
    return why ? [{ eventId: entry.eventId, type: entry.type, code: why.code, message: why.message }] : [];
  });
  if (refused.length > 0) throw new PublishError(refused, []);
}

/**
 * Throws before anything is sent when an entry is bigger than the service accepts for one entry: no chunking
 * can make it fit, and sending the others first would publish half a batch.
 *
 * @example
 * ```ts
 * refuseOversized(entries, limits.kinesis.maxEntryBytes);
 * ```
 */
export function refuseOversized(entries: readonly BatchEntry[], maxEntryBytes: number): void {
  refuseEntries(entries, (entry) =>
    entry.size > maxEntryBytes
      ? { code: "EntryTooLarge", message: `${entry.size} bytes, more than the ${maxEntryBytes} one entry may have` }
      : undefined,
  );
}
