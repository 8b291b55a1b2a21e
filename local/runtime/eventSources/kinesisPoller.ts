import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
} from "@aws-sdk/client-kinesis";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { matchesPattern } from "../../eventbridge/matchPattern.js";
import { kinesisEvent } from "../../lambdaEvents.js";
import type { InvocationOutcome } from "../Sandbox.js";
import { kinesisFailureRecord } from "./failureRecords.js";
import type { KinesisCheckpoints } from "./kinesisCheckpoints.js";
import { batchItemFailures } from "./sqsPoller.js";
import { envelopeTraceHeader } from "./traceParent.js";
import { type EventSource, type Invoke, sleep, stopSignal } from "./types.js";

export interface KinesisPollerOptions {
  readonly name: string;
  readonly kinesis: KinesisClient;
  readonly sqs: SQSClient;
  readonly streamName: string;
  readonly streamArn: string;
  readonly fn: string;
  readonly functionArn: string;
  readonly invoke: Invoke;
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  /** Retry attempts of a failing batch (MaximumRetryAttempts). */
  readonly retries: number;
  readonly bisectOnError: boolean;
  /** The event filter (FilterCriteria), on the record with `data` decoded from JSON. */
  readonly filterPattern?: Record<string, unknown>;
  /** The on-failure destination's queue URL. */
  readonly onFailureUrl: string;
  readonly checkpoints: KinesisCheckpoints;
  /** How often an idle shard is read; Lambda reads each shard about once a second. Default 250 ms. */
  readonly pollIntervalMs?: number;
  /** Backoff before a retry; default 500 ms, doubled per attempt. */
  readonly retryBaseDelayMs?: number;
  readonly log?: (line: string) => void;
}

type Failed = Extract<InvocationOutcome, { ok: false }>;

/**
 * Lambda's Kinesis event source mapping ("Using Lambda with Kinesis Data Streams"), one poller per shard so
 * each shard's order is kept: reads from TRIM_HORIZON (or after the checkpoint), drops records the filter does
 * not match (they count as processed), invokes with up to `batchSize` records, and on error retries with
 * bisection: a failing batch is split in two and each half retried (splitting does not use up a retry);
 * a single failing record is retried `retries` times. `batchItemFailures` resumes from the lowest reported
 * sequence number. What still fails goes to the on-failure destination as the Kinesis batch record (where
 * the records are, not the records), and the shard moves on. The checkpoint follows every finished batch.
 */
export class KinesisPoller implements EventSource {
  private readonly abort = stopSignal();
  private readonly loops: Promise<void>[] = [];
  private started?: Promise<void>;
  healthy = true;

  constructor(private readonly options: KinesisPollerOptions) {
    this.started = this.start().catch((error: unknown) => {
      this.healthy = false;
      this.options.log?.(`${this.name}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  get name(): string {
    return this.options.name;
  }

  private async start(): Promise<void> {
    const out = await this.options.kinesis.send(new DescribeStreamCommand({ StreamName: this.options.streamName }));
    for (const shard of out.StreamDescription?.Shards ?? []) this.loops.push(this.pollShard(shard.ShardId!));
  }

  private key(shardId: string): string {
    return `${this.options.fn}|${this.options.streamArn}|${shardId}`;
  }

  private async iterator(shardId: string): Promise<string> {
    const after = this.options.checkpoints.get(this.key(shardId));
    const out = await this.options.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.options.streamName,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber: after }
          : { ShardIteratorType: "TRIM_HORIZON" }),
      }),
    );
    return out.ShardIterator!;
  }

  private async pollShard(shardId: string): Promise<void> {
    const { signal } = this.abort;
    let iterator: string | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        iterator ??= await this.iterator(shardId);
        const out = await this.options.kinesis.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: this.options.batchSize }),
        );
        iterator = out.NextShardIterator;
        const records = out.Records ?? [];
        failures = 0;
        this.healthy = true;
        if (records.length === 0) {
          await sleep(this.options.pollIntervalMs ?? 250, signal);
          continue;
        }
        const selected = records.filter((record) => this.matches(record));
        if (selected.length > 0) await this.handle(shardId, selected, 0);
        if (signal.aborted) return; // unfinished: not checkpointed, read again next time
        this.options.checkpoints.set(this.key(shardId), records.at(-1)!.SequenceNumber!);
        if (!iterator) return; // the shard was closed
      } catch (error) {
        if (signal.aborted) return;
        iterator = undefined; // an expired iterator is fetched again from the checkpoint
        failures++;
        this.healthy = failures < 5;
        this.options.log?.(`${this.name} ${shardId}: ${error instanceof Error ? error.message : String(error)}`);
        await sleep(Math.min(5_000, 200 * 2 ** failures), signal);
      }
    }
  }

  private matches(record: KinesisRecord): boolean {
    const pattern = this.options.filterPattern;
    if (!pattern || Object.keys(pattern).length === 0) return true;
    const text = Buffer.from(record.Data ?? new Uint8Array()).toString("utf8");
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = text; // not JSON: a pattern on `data` fields cannot match it
    }
    return matchesPattern(pattern, { partitionKey: record.PartitionKey, sequenceNumber: record.SequenceNumber, data });
  }

  /** One batch, with its retries, bisections and failure destination; resolves when the shard may move on. */
  private async handle(shardId: string, records: KinesisRecord[], attempt: number): Promise<void> {
    if (this.abort.signal.aborted) return;
    const traceHeader = envelopeTraceHeader(Buffer.from(records[0]!.Data ?? new Uint8Array()).toString("utf8"));
    const { outcome } = await this.options.invoke(
      this.options.fn,
      kinesisEvent(records, this.options.streamArn, shardId),
      traceHeader,
    );
    if (outcome.ok) {
      const reported = batchItemFailures(outcome.value);
      if (!reported) return;
      const index = records.findIndex((r) => reported.includes(r.SequenceNumber ?? ""));
      // An unknown sequence number fails the whole batch ("Reporting batch item failures").
      const rest = index === -1 ? records : records.slice(index);
      return this.retry(shardId, rest, attempt, undefined);
    }
    this.options.log?.(
      `${this.name}: ${this.options.fn} failed on ${records.length} record(s): ${outcome.error.errorMessage}`,
    );
    if (this.options.bisectOnError && records.length > 1) {
      const half = Math.ceil(records.length / 2);
      await this.handle(shardId, records.slice(0, half), attempt);
      await this.handle(shardId, records.slice(half), attempt);
      return;
    }
    return this.retry(shardId, records, attempt, outcome);
  }

  private async retry(shardId: string, records: KinesisRecord[], attempt: number, outcome: Failed | undefined) {
    if (attempt < this.options.retries) {
      await sleep((this.options.retryBaseDelayMs ?? 500) * 2 ** attempt, this.abort.signal);
      return this.handle(shardId, records, attempt + 1);
    }
    const record = kinesisFailureRecord({
      functionArn: this.options.functionArn,
      streamArn: this.options.streamArn,
      shardId,
      records: records.map((r) => ({
        sequenceNumber: r.SequenceNumber ?? "",
        arrivedAt: r.ApproximateArrivalTimestamp ?? new Date(),
      })),
      invokeCount: attempt + 1,
      outcome,
    });
    await this.options.sqs.send(
      new SendMessageCommand({ QueueUrl: this.options.onFailureUrl, MessageBody: JSON.stringify(record) }),
    );
    this.options.log?.(`${this.name}: ${records.length} record(s) sent to the on-failure destination`);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.started?.catch(() => undefined);
    await Promise.allSettled(this.loops);
  }
}
