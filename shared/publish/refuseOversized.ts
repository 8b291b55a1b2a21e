import { PublishError } from "./errors.js";
import type { BatchEntry } from "./sendWithRetry.js";

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
  const tooBig = entries.filter((entry) => entry.size > maxEntryBytes);
  if (tooBig.length === 0) return;
  throw new PublishError(
    tooBig.map((entry) => ({
      eventId: entry.eventId,
      type: entry.type,
      code: "EntryTooLarge",
      message: `${entry.size} bytes, more than the ${maxEntryBytes} one entry may have`,
    })),
    [],
  );
}
