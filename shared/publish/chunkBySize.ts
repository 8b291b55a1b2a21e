import type { ChunkLimits } from "./limits.js";

/** Anything with a size in bytes, as the service counts it. */
export interface Sized {
  readonly size: number;
}

/**
 * Splits `entries`, in order, into the fewest consecutive chunks that each hold at most `maxCount` entries and
 * `maxBytes` bytes. Entries bigger than `maxEntryBytes` must have been refused before (they fit no chunk).
 *
 * @example
 * ```ts
 * chunkBySize(entries, limits.eventBridge); // [[…10 entries], [… ≤ 256 KB], …]
 * ```
 */
export function chunkBySize<E extends Sized>(entries: readonly E[], chunkLimits: ChunkLimits): E[][] {
  const chunks: E[][] = [];
  let current: E[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (current.length > 0 && (current.length === chunkLimits.maxCount || bytes + entry.size > chunkLimits.maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Bytes of `text` in UTF-8, the unit every quota is stated in.
 *
 * @example
 * ```ts
 * utf8Bytes("é"); // 2
 * ```
 */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
