import type { ThroughputEstimate } from "../events/defineEvent.js";

/** Kinesis Data Streams, provisioned mode, per shard ("Quotas and limits"). */
export const SHARD_LIMITS = {
  /** Writes: 1,000 records a second… */
  recordsInPerSecond: 1000,
  /** …and 1 MiB a second, whichever is reached first. */
  bytesInPerSecond: 1024 * 1024,
  /** Reads: 2 MiB a second, shared by every standard (non enhanced fan-out) consumer of the shard. */
  bytesOutPerSecond: 2 * 1024 * 1024,
} as const;

/**
 * The shards a stream needs for its peak: enough for the records written, the bytes written, and the bytes every
 * standard consumer reads (each one reads every record, whatever its filter, so the read load is bytes × consumers):
 *
 *   shards = max(⌈peak / 1,000⌉, ⌈peak · bytes / 1 MiB⌉, ⌈peak · bytes · consumers / 2 MiB⌉), and at least 1.
 *
 * Without an estimate the stream gets one shard, the smallest there is.
 *
 * @example
 * ```ts
 * shardsFor({ peakPerSecond: 120_000, recordBytes: 512 }, 1); // 120: the record count decides
 * shardsFor({ peakPerSecond: 1_000, recordBytes: 2_048 }, 1); // 2: 2 MB/s in takes two shards
 * ```
 */
export function shardsFor(estimate: ThroughputEstimate | undefined, consumers: number): number {
  if (!estimate) return 1;
  const { peakPerSecond, recordBytes } = estimate;
  if (!(peakPerSecond >= 0 && recordBytes >= 0 && consumers >= 0))
    throw new RangeError(`a throughput estimate is counts and sizes, not ${peakPerSecond}/s of ${recordBytes} B`);
  const bytesPerSecond = peakPerSecond * recordBytes;
  return Math.max(
    1,
    Math.ceil(peakPerSecond / SHARD_LIMITS.recordsInPerSecond),
    Math.ceil(bytesPerSecond / SHARD_LIMITS.bytesInPerSecond),
    Math.ceil((bytesPerSecond * consumers) / SHARD_LIMITS.bytesOutPerSecond),
  );
}

/**
 * A development stage's streams carry a developer's traffic, not the seed's: at most this many shards each, so that
 * `sst deploy --stage alice` does not rent production's capacity (120 shards ≈ 120 × $0.015 an hour, about
 * $1,300 a month, for one stream). Order per key holds at any shard count.
 */
export const DEVELOPMENT_MAX_SHARDS = 1;

/** The shards a stream gets on `stage`: its full count in production, {@link DEVELOPMENT_MAX_SHARDS} elsewhere. */
export function shardsOnStage(shards: number, stage: string): number {
  return stage === "production" ? shards : Math.min(shards, DEVELOPMENT_MAX_SHARDS);
}
