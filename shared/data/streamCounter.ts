import { createHash } from "node:crypto";
import type { Table } from "./Table.js";
import type { Condition, Key, TransactItem } from "./types.js";

/**
 * Counting a stream exactly once, per shard: the one mechanism behind every counter fed by a Kinesis stream (the
 * products view ranking, the forums post counters and leaderboard).
 *
 * **One writer per shard.** The event source mapping runs one invocation at a time per shard, in its order (a
 * reshard finishes a parent before its children start), so a shard's checkpoint has one writer at a time, and a
 * batch becomes one write per counter key it touches, whatever its traffic.
 *
 * **Exactly once.** A shard's checkpoint holds the sequence number of the last record counted and the fingerprints
 * of the last {@link RECENT_IDS} events counted. A batch is split, in shard order, into chunks that fit one
 * TransactWriteItems each; a chunk commits its counts and moves the checkpoint to its last record **in the same
 * transaction**, under the condition that the checkpoint is still where the chunk starts. So a record is either
 * counted and behind the checkpoint, or not counted and ahead of it, never in between:
 * - records at or behind the checkpoint are skipped: a redelivered batch, an overlapping one, a bisected retry (the
 *   first half, then the whole) count nothing twice;
 * - a chunk whose checkpoint condition fails was counted meanwhile: the checkpoint is read again and the batch
 *   planned again from it;
 * - a failure half-way leaves the chunks before it counted and the checkpoint after them; the batch is reported
 *   failed from the first record not counted, and the retry goes on from there;
 * - an event delivered twice with the same id (a producer's retried put: two records, one event) is counted once if
 *   the second copy comes within {@link RECENT_IDS} records of the first. The decision depends only on the records
 *   before it in the shard, never on where a batch starts, so every way of batching counts the same (and a replay
 *   of the whole shard through {@link planChunks} counts exactly what the live counter did).
 *
 * The counts themselves are the caller's: {@link StreamCounterOptions.commit} writes a chunk's counts with the
 * checkpoint item it is handed, and says whether the checkpoint had moved.
 */

/** Kinesis sequence numbers are decimal strings of up to 129 digits (`0|([1-9]\d{0,128})`, the API reference). */
export const SEQUENCE_WIDTH = 129;

/** How many counted events' fingerprints a checkpoint keeps, to drop an event seen again with the same id. */
export const RECENT_IDS = 1_000;

/**
 * A sequence number as a fixed-width string, so that string order is number order (in memory and in DynamoDB).
 *
 * @example
 * ```ts
 * sequenceKey("42") < sequenceKey("100"); // true
 * ```
 */
export const sequenceKey = (sequenceNumber: string): string => sequenceNumber.padStart(SEQUENCE_WIDTH, "0");

/**
 * An event id as 12 base64url characters (72 bits of its SHA-256): the checkpoint is rewritten with every chunk,
 * and its write costs one unit per KB, so 1,000 of these (12 KB) rather than ids of up to 128 characters. A false
 * match among 1,000 needs about 2^62 events.
 *
 * @example
 * ```ts
 * fingerprint("01J9Z3…"); // "q1w2e3r4t5y6"
 * ```
 */
export const fingerprint = (eventId: string): string =>
  createHash("sha256").update(eventId).digest("base64url").slice(0, 12);

/** What the counter needs of a record: where it stands in its shard and which event it carries. */
export interface CountedRecord {
  readonly sequenceNumber: string;
  readonly eventId: string;
}

/** How far a shard is counted: the last record's sequence key (none before the first chunk) and recent events. */
export interface Checkpoint {
  readonly sequence?: string;
  /** Fingerprints of the last {@link RECENT_IDS} events counted, oldest first. */
  readonly recent: readonly string[];
}

/** Consecutive records of one shard, as one transaction counts them. */
export interface CountChunk<R extends CountedRecord> {
  /** The chunk's first record: where a retry resumes when the chunk fails. */
  readonly first: string;
  /** The chunk's last record: where the checkpoint moves when it commits. */
  readonly last: string;
  /** The records to count (duplicates left out), in shard order. */
  readonly records: readonly R[];
  /** The distinct counter keys the records touch (at most the plan's `maxKeys`). */
  readonly keys: ReadonlySet<string>;
  /** The checkpoint's fingerprints once the chunk is counted. */
  readonly recent: readonly string[];
  /** Records of the chunk dropped as an event already counted. */
  readonly duplicates: number;
}

/** How records are grouped into transactions. */
export interface ChunkPlan<R> {
  /** The counter keys a record writes (any stable strings: one transaction item each, as the caller counts them). */
  readonly keysOf: (record: R) => readonly string[];
  /** Keys one chunk may touch (what one transaction holds beside the checkpoint); `Infinity` for one chunk. */
  readonly maxKeys: number;
}

/**
 * The chunks that count `records` (one shard's, in its order) after `checkpoint`: records at or behind it are
 * left out, an event whose fingerprint is among the last {@link RECENT_IDS} counted is a duplicate, and a chunk
 * closes before a record that would bring it more than `maxKeys` keys. Pure: the same records and checkpoint give
 * the same chunks.
 *
 * @example
 * ```ts
 * const [chunk] = planChunks(records, { recent: [] }, { keysOf: (r) => [r.productId], maxKeys: 49 });
 * chunk.records.length; // what the chunk counts
 * ```
 */
export function planChunks<R extends CountedRecord>(
  records: readonly R[],
  checkpoint: Checkpoint,
  plan: ChunkPlan<R>,
): CountChunk<R>[] {
  const recent = [...checkpoint.recent];
  const seen = new Set(recent);
  const chunks: CountChunk<R>[] = [];
  type Open = { first: string; last: string; records: R[]; keys: Set<string>; duplicates: number };
  let open: Open | undefined;
  const close = () => {
    if (open) chunks.push({ ...open, recent: [...recent] });
    open = undefined;
  };

  for (const record of records) {
    if (checkpoint.sequence !== undefined && sequenceKey(record.sequenceNumber) <= checkpoint.sequence) continue;
    const id = fingerprint(record.eventId);
    const duplicate = seen.has(id);
    const keys = duplicate ? [] : plan.keysOf(record);
    if (open && open.keys.size + keys.filter((key) => !open!.keys.has(key)).length > plan.maxKeys) close();
    open ??= { first: record.sequenceNumber, last: record.sequenceNumber, records: [], keys: new Set(), duplicates: 0 };
    open.last = record.sequenceNumber;
    if (duplicate) {
      open.duplicates++;
      continue;
    }
    open.records.push(record);
    for (const key of keys) open.keys.add(key);
    recent.push(id);
    seen.add(id);
    // A sliding window of the last RECENT_IDS events, whatever the batches: ids are unique in it.
    if (recent.length > RECENT_IDS) seen.delete(recent.shift()!);
  }
  close();
  return chunks;
}

interface CheckpointItem {
  readonly shardId: string;
  readonly sequence: string;
  readonly recent?: string[];
}

/**
 * How far a shard is counted, read consistently (the counter goes on from exactly there).
 *
 * @example
 * ```ts
 * const checkpoint = await readCheckpoint(productsTable, keys.viewShard(shardId)); // { sequence: "000…4961", recent: [...] }
 * ```
 */
export async function readCheckpoint(table: Table<object>, key: Key): Promise<Checkpoint> {
  const item = await table.get<CheckpointItem>(key, { consistent: true });
  return item ? { sequence: item.sequence, recent: item.recent ?? [] } : { recent: [] };
}

/**
 * The transaction item that moves a shard's checkpoint (`key`) to `to` with `recent`, if it is still at `after`
 * (a sequence key; `undefined`: there is no checkpoint yet).
 *
 * @example
 * ```ts
 * const move = checkpointWrite(key, shardId, { last: chunk.last, recent: chunk.recent }, checkpoint.sequence);
 * ```
 */
export function checkpointWrite(
  key: Key,
  shardId: string,
  to: { readonly last: string; readonly recent: readonly string[] },
  after: string | undefined,
): TransactItem {
  return {
    update: {
      key,
      spec: { set: { shardId, sequence: sequenceKey(to.last), recent: [...to.recent] } },
      condition: checkpointAt(after),
    },
  };
}

/**
 * The condition that a checkpoint item is still at `after` (a sequence key), or, for `undefined`, that there is none.
 *
 * @example
 * ```ts
 * const fence: TransactItem = { check: { key, condition: checkpointAt(checkpoint.sequence) } };
 * ```
 */
export const checkpointAt = (after: string | undefined): Condition =>
  after === undefined
    ? { expression: "attribute_not_exists(pk)" }
    : { expression: "#sequence = :after", names: { "#sequence": "sequence" }, values: { ":after": after } };

/** How a batch was counted: all of it, or up to `retryFrom` (the first record not counted) and why not further. */
export type Counted = { readonly retryFrom?: undefined } | { readonly retryFrom: string; readonly error: unknown };

export interface StreamCounterOptions<R extends CountedRecord> extends ChunkPlan<R> {
  readonly table: Table<object>;
  /** The item holding one shard's checkpoint. */
  readonly checkpointKey: (shardId: string) => Key;
  /**
   * Writes `chunk`'s counts and `checkpoint` (the item that moves the shard's checkpoint past the chunk) in one
   * transaction: `"counted"` once it commits, `"moved"` when the checkpoint's condition failed (counted meanwhile).
   */
  readonly commit: (chunk: CountChunk<R>, checkpoint: TransactItem) => Promise<"counted" | "moved">;
}

/** Plans again from a fresh checkpoint at most this many times in one batch (each time something moved). */
const REPLANS = 3;

/** A shard's exactly-once counter (see the module's comment): `count` a batch, `read` where a shard stands. */
export interface StreamCounter<R extends CountedRecord> {
  readonly read: (shardId: string) => Promise<Checkpoint>;
  readonly count: (shardId: string, records: readonly R[]) => Promise<Counted>;
}

/**
 * A counter that counts one shard's batches exactly once, chunk by chunk. When a chunk fails, the chunks before it
 * are counted, the checkpoint is after them, and `retryFrom` is the chunk's first record. A failure to read the
 * checkpoint rejects; so does a checkpoint that keeps moving (another writer).
 *
 * @example
 * ```ts
 * const views = streamCounter({ table, checkpointKey: keys.viewShard, keysOf: (v) => [v.productId], maxKeys: 49, commit });
 * const counted = await views.count(shardId, records);
 * if (counted.retryFrom !== undefined) return { retryFrom: counted.retryFrom };
 * ```
 */
export function streamCounter<R extends CountedRecord>(options: StreamCounterOptions<R>): StreamCounter<R> {
  const read = (shardId: string) => readCheckpoint(options.table, options.checkpointKey(shardId));
  return {
    read,
    async count(shardId, records) {
      let checkpoint = await read(shardId);
      for (let plan = 1; ; plan++) {
        let after = checkpoint.sequence;
        let moved = false;
        for (const chunk of planChunks(records, checkpoint, options)) {
          try {
            const move = checkpointWrite(options.checkpointKey(shardId), shardId, chunk, after);
            moved = (await options.commit(chunk, move)) === "moved";
          } catch (error) {
            return { retryFrom: chunk.first, error };
          }
          if (moved) break;
          after = sequenceKey(chunk.last);
        }
        if (!moved) return {};
        if (plan >= REPLANS) throw new Error(`${shardId}: the stream checkpoint kept moving under the counter`);
        checkpoint = await read(shardId);
      }
    },
  };
}
