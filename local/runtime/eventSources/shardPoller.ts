import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { matchesPattern } from "../../eventbridge/matchPattern.js";
import type { InvocationOutcome } from "../Sandbox.js";
import { type StreamBatchInfoKey, streamFailureRecord } from "./failureRecords.js";
import type { ShardCheckpoints } from "./shardCheckpoints.js";
import { batchItemFailures } from "./sqsPoller.js";
import { EVENT_SOURCE_DEFAULTS, type EventSource, type Invoke, sleep, stopSignal } from "./types.js";

/** One shard as the stream describes it; a child (after a split or a roll-over) names its parent. */
export interface ShardInfo {
  readonly shardId: string;
  readonly parentShardId?: string;
}

/** A shard as Kinesis and DynamoDB Streams both describe it. */
export const shardInfo = (shard: { readonly ShardId?: string; readonly ParentShardId?: string }): ShardInfo => ({
  shardId: shard.ShardId ?? "",
  ...(shard.ParentShardId ? { parentShardId: shard.ParentShardId } : {}),
});

/**
 * What differs between Kinesis and DynamoDB Streams: how shards are listed and read, and what the function sees.
 * Everything else (lineage, batching, filtering, retries, bisection, checkpoints, the on-failure record) is
 * {@link ShardPoller}'s.
 */
export interface ShardSource<R> {
  /** The name of the batch info in the on-failure record. */
  readonly batchInfo: StreamBatchInfoKey;
  /**
   * How coarse `arrivedAt` may be, in ms (DynamoDB Local floors a record's creation time to the minute): a
   * record's age is counted from no later than it was first read, nor than `arrivedAt` plus this.
   */
  readonly arrivalPrecisionMs: number;
  /** Every shard of the stream, parents before children; called again to discover new shards. */
  describe(): Promise<readonly ShardInfo[]>;
  /** An iterator at TRIM_HORIZON, or just after `after` (the checkpoint). */
  iterator(shardId: string, after: string | undefined): Promise<string>;
  /** Up to `limit` records; `next` is absent once a closed shard is read to its end. */
  read(iterator: string, limit: number): Promise<{ readonly records: readonly R[]; readonly next?: string }>;
  sequenceNumber(record: R): string;
  arrivedAt(record: R): Date;
  /** What the mapping's filter (FilterCriteria) is applied to. */
  filterView(record: R): unknown;
  /** The Lambda event for a batch of one shard's records. */
  event(records: readonly R[], shardId: string): unknown;
}

export interface ShardPollerOptions<R> {
  readonly name: string;
  readonly source: ShardSource<R>;
  readonly sqs: SQSClient;
  /** Names the mapping's position in the checkpoints and the batch info. */
  readonly streamArn: string;
  readonly fn: string;
  readonly functionArn: string;
  readonly invoke: Invoke;
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  /** Retry attempts of a failing batch (MaximumRetryAttempts); `-1` retries until the records are too old. */
  readonly retries: number;
  /** MaximumRecordAgeInSeconds: a failing batch whose oldest record is older is given up; omitted or -1 = never. */
  readonly maxRecordAgeSeconds?: number;
  readonly bisectOnError: boolean;
  /** The event filter (FilterCriteria), on the source's {@link ShardSource.filterView} of each record. */
  readonly filterPattern?: Record<string, unknown>;
  /** The on-failure destination's queue URL. */
  readonly onFailureUrl: string;
  readonly checkpoints: ShardCheckpoints;
  /** How often an idle shard is read; Lambda reads each shard about once a second. Default 250 ms. */
  readonly pollIntervalMs?: number;
  /** Backoff before a retry; default 500 ms, doubled per attempt up to 64 times the base. */
  readonly retryBaseDelayMs?: number;
  /** How often the stream is described again for new shards (a finished shard triggers it at once); 10 s. */
  readonly discoveryIntervalMs?: number;
  readonly log?: (line: string) => void;
}

type Failed = Extract<InvocationOutcome, { ok: false }>;
/** A record in hand, with when this poller first read it. */
interface Held<R> {
  readonly record: R;
  readonly readAt: number;
}

/**
 * Lambda's event source mapping for a stream ("Using Lambda with Kinesis Data Streams", "… with DynamoDB"):
 * one loop per shard, so each shard's order is kept, and shard lineage respected: a child shard is read only once
 * its parent is read to its end (a parent no longer in the stream was trimmed). Each loop reads from TRIM_HORIZON
 * (or after the checkpoint), drops records the filter does not match (they count as processed), invokes with up
 * to `batchSize` records, and on error retries with bisection: a failing batch is split in two and each half
 * retried (splitting does not use up a retry); a single failing record is retried `retries` times (`-1`: until
 * it is older than `maxRecordAgeSeconds`). `batchItemFailures` resumes from the lowest reported sequence number.
 * What still fails goes to the on-failure destination as the batch record (where the records are, not the
 * records), and the shard moves on. The checkpoint follows every finished batch.
 */
export class ShardPoller<R> implements EventSource {
  private readonly abort = stopSignal();
  private readonly loops: Promise<unknown>[] = [];
  private readonly running: Promise<void>;
  /** Ends the current nap of the discovery loop; `nudged` when it came while not napping. */
  private nudge: (() => void) | undefined;
  private nudged = false;
  healthy = true;

  constructor(private readonly options: ShardPollerOptions<R>) {
    this.running = this.run();
  }

  get name(): string {
    return this.options.name;
  }

  private get source(): ShardSource<R> {
    return this.options.source;
  }

  /** Discovers shards and starts each one's loop when its parent is finished. */
  private async run(): Promise<void> {
    const { signal } = this.abort;
    const started = new Set<string>();
    const finished = new Set<string>();
    let described = false;
    let failures = 0;
    while (!signal.aborted) {
      let wait = this.options.discoveryIntervalMs ?? 10_000;
      try {
        const shards = await this.source.describe();
        described = true;
        failures = 0;
        const known = new Set(shards.map((shard) => shard.shardId));
        for (const { shardId, parentShardId } of shards) {
          if (started.has(shardId)) continue;
          if (parentShardId && known.has(parentShardId) && !finished.has(parentShardId)) continue;
          started.add(shardId);
          const loop = this.pollShard(shardId).then((closed) => {
            if (!closed) return;
            finished.add(shardId);
            this.wake(); // its children may start now
          });
          this.loops.push(loop);
        }
      } catch (error) {
        if (signal.aborted) return;
        failures++;
        this.healthy = described && failures < 5;
        this.options.log?.(`${this.name}: ${error instanceof Error ? error.message : String(error)}`);
        wait = Math.min(wait, 200 * 2 ** failures);
      }
      await this.nap(wait);
    }
  }

  /** Describes the stream again now (a shard finished: its children may start). */
  private wake(): void {
    this.nudged = true;
    this.nudge?.();
  }

  /** Sleeps until the next discovery, a {@link wake}, or the stop. */
  private async nap(ms: number): Promise<void> {
    const { signal } = this.abort;
    const early = new AbortController();
    const end = () => early.abort();
    if (this.nudged) end();
    this.nudge = end;
    signal.addEventListener("abort", end, { once: true });
    try {
      await sleep(ms, early.signal);
    } finally {
      signal.removeEventListener("abort", end);
      this.nudge = undefined;
      this.nudged = false;
    }
  }

  private key(shardId: string): string {
    return `${this.options.fn}|${this.options.streamArn}|${shardId}`;
  }

  /** Reads one shard until it is closed and read to its end (true) or the poller stops (false). */
  private async pollShard(shardId: string): Promise<boolean> {
    const { signal } = this.abort;
    let iterator: string | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        iterator ??= await this.source.iterator(shardId, this.options.checkpoints.get(this.key(shardId)));
        const { records, next } = await this.source.read(iterator, this.options.batchSize);
        iterator = next;
        failures = 0;
        this.healthy = true;
        if (records.length > 0) {
          const readAt = Date.now();
          const selected = records.filter((record) => this.matches(record)).map((record) => ({ record, readAt }));
          if (selected.length > 0) await this.handle(shardId, selected, 0);
          if (signal.aborted) return false; // unfinished: not checkpointed, read again next time
          this.options.checkpoints.set(this.key(shardId), this.source.sequenceNumber(records.at(-1)!));
        }
        if (!iterator) return true; // the shard was closed, and all of it is handled
        if (records.length === 0)
          await sleep(this.options.pollIntervalMs ?? EVENT_SOURCE_DEFAULTS.shardPollIntervalMs, signal);
      } catch (error) {
        if (signal.aborted) return false;
        iterator = undefined; // an expired iterator is fetched again from the checkpoint
        failures++;
        this.healthy = failures < 5;
        this.options.log?.(`${this.name} ${shardId}: ${error instanceof Error ? error.message : String(error)}`);
        await sleep(Math.min(5_000, 200 * 2 ** failures), signal);
      }
    }
    return false;
  }

  private matches(record: R): boolean {
    const pattern = this.options.filterPattern;
    if (!pattern || Object.keys(pattern).length === 0) return true;
    return matchesPattern(pattern, this.source.filterView(record));
  }

  /** One batch, with its retries, bisections and failure destination; resolves when the shard may move on. */
  private async handle(shardId: string, batch: Held<R>[], attempt: number): Promise<void> {
    if (this.abort.signal.aborted) return;
    const records = batch.map((held) => held.record);
    // Lambda starts a new trace for a stream batch: each record's producer is linked from the handler's own code.
    const { outcome } = await this.options.invoke(this.options.fn, this.source.event(records, shardId));
    if (outcome.ok) {
      const reported = batchItemFailures(outcome.value);
      if (!reported) return;
      const index = records.findIndex((record) => reported.includes(this.source.sequenceNumber(record)));
      // An unknown sequence number fails the whole batch ("Reporting batch item failures").
      const rest = index === -1 ? batch : batch.slice(index);
      return this.retry(shardId, rest, attempt, undefined);
    }
    this.options.log?.(
      `${this.name}: ${this.options.fn} failed on ${records.length} record(s): ${outcome.error.errorMessage}`,
    );
    if (this.options.bisectOnError && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      await this.handle(shardId, batch.slice(0, half), attempt);
      await this.handle(shardId, batch.slice(half), attempt);
      return;
    }
    return this.retry(shardId, batch, attempt, outcome);
  }

  private async retry(shardId: string, batch: Held<R>[], attempt: number, outcome: Failed | undefined) {
    const { retries } = this.options;
    const tooOld = this.tooOld(batch[0]!);
    if (!tooOld && (retries < 0 || attempt < retries)) {
      const base = this.options.retryBaseDelayMs ?? 500;
      await sleep(base * 2 ** Math.min(attempt, 6), this.abort.signal);
      return this.handle(shardId, batch, attempt + 1);
    }
    const record = streamFailureRecord({
      batchInfo: this.source.batchInfo,
      functionArn: this.options.functionArn,
      streamArn: this.options.streamArn,
      shardId,
      records: batch.map(({ record }) => ({
        sequenceNumber: this.source.sequenceNumber(record),
        arrivedAt: this.source.arrivedAt(record),
      })),
      invokeCount: attempt + 1,
      outcome,
      condition: tooOld ? "RecordAgeExceeded" : "RetryAttemptsExhausted",
    });
    await this.options.sqs.send(
      new SendMessageCommand({ QueueUrl: this.options.onFailureUrl, MessageBody: JSON.stringify(record) }),
    );
    this.options.log?.(`${this.name}: ${batch.length} record(s) sent to the on-failure destination`);
  }

  /** Whether a record is older than the mapping's maximum record age. */
  private tooOld({ record, readAt }: Held<R>): boolean {
    const max = this.options.maxRecordAgeSeconds;
    if (max === undefined || max < 0) return false;
    const createdAt = Math.min(readAt, this.source.arrivedAt(record).getTime() + this.source.arrivalPrecisionMs);
    return Date.now() - createdAt > max * 1000;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    await Promise.allSettled(this.loops);
  }
}
