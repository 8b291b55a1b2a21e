import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
  type Shard,
} from "@aws-sdk/client-kinesis";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import { matchesPattern } from "../../local/eventbridge/matchPattern.js";
import { kinesisEvent } from "../../local/lambdaEvents.js";
import { invokeFunction } from "./functions.js";

export interface ReplayOptions {
  readonly kinesis: KinesisClient;
  readonly lambda: LambdaClient;
  readonly streamName: string;
  /** The consumer's deployed name (see `deployedName`). */
  readonly functionName: string;
  /** Every retained record, or those that arrived at or after a time. */
  readonly from: "TRIM_HORIZON" | Date;
  /** The consumer's mapping batch size (the topology's), so it sees batches it was built for. */
  readonly batchSize: number;
  /** The mapping's filter (FilterCriteria pattern on `{ partitionKey, sequenceNumber, data }`), as Lambda applies it. */
  readonly filterPattern?: Record<string, unknown>;
  readonly log?: (line: string) => void;
}

export interface ReplayFailure {
  readonly shardId: string;
  /** The first record not delivered: re-run with `--from` its arrival time, once the cause is fixed. */
  readonly sequenceNumber: string;
  readonly reason: string;
}

export interface ReplaySummary {
  readonly shards: number;
  readonly read: number;
  /** Records the filter passed (the others count as processed, as the mapping counts them). */
  readonly matched: number;
  readonly delivered: number;
  readonly batches: number;
  readonly failures: readonly ReplayFailure[];
}

/** Empty reads in a row after which a shard counts as read to its tip, whatever `MillisBehindLatest` says. */
const MAX_EMPTY_READS = 5;

/** Parents before children: a key's records before a reshard are read before those after it. */
export function lineageOrder(shards: readonly Shard[]): Shard[] {
  const ids = new Set(shards.map((s) => s.ShardId));
  const done = new Set<string>();
  const ordered: Shard[] = [];
  const visit = (shard: Shard, depth: number) => {
    if (done.has(shard.ShardId!) || depth > shards.length) return;
    for (const parent of [shard.ParentShardId, shard.AdjacentParentShardId])
      if (parent && ids.has(parent)) visit(shards.find((s) => s.ShardId === parent)!, depth + 1);
    done.add(shard.ShardId!);
    ordered.push(shard);
  };
  for (const shard of shards) visit(shard, 0);
  return ordered;
}

/** Every shard of the stream, closed parents too (a reshard leaves them readable until retention drops them), in lineage order. */
export async function allShards(kinesis: KinesisClient, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  do {
    const out = await kinesis.send(
      new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }),
    );
    shards.push(...(out.Shards ?? []));
    nextToken = out.NextToken;
  } while (nextToken);
  return lineageOrder(shards);
}

function filterView(record: KinesisRecord): unknown {
  const text = Buffer.from(record.Data ?? new Uint8Array()).toString("utf8");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = text;
  }
  return { partitionKey: record.PartitionKey, sequenceNumber: record.SequenceNumber, data };
}

/** The first record of `batch` the consumer did not take: a function error fails all, a partial response names one. */
function firstFailed(batch: readonly KinesisRecord[], answer: unknown): KinesisRecord | undefined {
  const failures = (answer as { batchItemFailures?: { itemIdentifier?: string }[] } | null)?.batchItemFailures ?? [];
  const failed = new Set(failures.map((f) => f.itemIdentifier));
  return batch.find((r) => failed.has(r.SequenceNumber));
}

/**
 * Delivers a stream's retained records again to one consumer, shard by shard in lineage order, in the mapping's
 * batches and through its filter, with synchronous Lambda invocations: the same calls locally (the runtime's Lambda
 * API) and against a stage. Consumers drop events they already counted (by event id), so a replay over records
 * they saw changes nothing, and one over records they missed (a DLQ'd batch, a rebuilt table) catches them up.
 * A batch that fails stops its shard there, so a key's events are never applied out of order; the summary names
 * where, to re-run from once fixed.
 *
 * @example
 * ```ts
 * await replayStream({ kinesis, lambda, streamName, functionName, from: "TRIM_HORIZON", batchSize: 100 });
 * ```
 */
export async function replayStream(options: ReplayOptions): Promise<ReplaySummary> {
  const { kinesis, streamName, batchSize } = options;
  const log = options.log ?? (() => {});
  const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  const streamArn = summary.StreamDescriptionSummary?.StreamARN ?? streamName;
  const shards = await allShards(kinesis, streamName);
  let read = 0;
  let matched = 0;
  let delivered = 0;
  let batches = 0;
  const failures: ReplayFailure[] = [];

  const deliver = async (shardId: string, batch: KinesisRecord[]): Promise<ReplayFailure | undefined> => {
    batches++;
    const result = await invokeFunction(options.lambda, options.functionName, kinesisEvent(batch, streamArn, shardId));
    const failed = result.ok ? firstFailed(batch, result.value) : batch[0];
    if (!failed) {
      delivered += batch.length;
      return undefined;
    }
    delivered += batch.indexOf(failed);
    const reason = result.ok ? "the consumer reported it as a batch item failure" : result.error.errorMessage;
    return { shardId, sequenceNumber: failed.SequenceNumber ?? "", reason };
  };

  // Records that arrive once the replay has begun are the live mapping's: the replay ends at the stream's tip as it
  // was then, so it always ends.
  const startedAt = Date.now();
  for (const shard of shards) {
    const shardId = shard.ShardId!;
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shardId,
        ...(options.from === "TRIM_HORIZON"
          ? { ShardIteratorType: "TRIM_HORIZON" }
          : { ShardIteratorType: "AT_TIMESTAMP", Timestamp: options.from }),
      }),
    );
    let iterator = ShardIterator;
    let pending: KinesisRecord[] = [];
    let failure: ReplayFailure | undefined;
    let empty = 0;
    let atTip = false;
    while (iterator && !failure && !atTip) {
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      const all = out.Records ?? [];
      const records = all.filter((r) => (r.ApproximateArrivalTimestamp?.getTime() ?? 0) <= startedAt);
      atTip = records.length < all.length;
      read += records.length;
      for (const record of records) {
        if (options.filterPattern && !matchesPattern(options.filterPattern, filterView(record))) continue;
        matched++;
        pending.push(record);
        if (pending.length === batchSize) {
          failure = await deliver(shardId, pending);
          pending = [];
          if (failure) break;
        }
      }
      // Kinesis may answer empty reads while still behind (a gap in the shard): read on, within a bound.
      empty = records.length === 0 ? empty + 1 : 0;
      if (records.length === 0 && ((out.MillisBehindLatest ?? 0) === 0 || empty >= MAX_EMPTY_READS)) break;
      iterator = out.NextShardIterator;
    }
    if (!failure && pending.length > 0) failure = await deliver(shardId, pending);
    if (failure) {
      failures.push(failure);
      log(`${shardId}: stopped at ${failure.sequenceNumber}: ${failure.reason}`);
    } else log(`${shardId}: replayed`);
  }
  return { shards: shards.length, read, matched, delivered, batches, failures };
}
