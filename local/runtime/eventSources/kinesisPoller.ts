import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  type Shard,
} from "@aws-sdk/client-kinesis";
import { kinesisEvent } from "../../lambdaEvents.js";
import { ShardPoller, type ShardPollerOptions, type ShardSource, shardInfo } from "./shardPoller.js";

export interface KinesisPollerOptions extends Omit<ShardPollerOptions<KinesisRecord>, "source"> {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  /** The event filter (FilterCriteria), on the record with `data` decoded from JSON. */
  readonly filterPattern?: Record<string, unknown>;
}

/**
 * Lambda's Kinesis event source mapping ("Using Lambda with Kinesis Data Streams"), on the shared
 * {@link ShardPoller}: one loop per shard, batches, bisection, retries, the `KinesisBatchInfo` on-failure record
 * and checkpoints. Kinesis has no trace context of its own: as Lambda does, each batch starts a new trace, and the
 * consumer links each record to the producer's trace named in its envelope.
 */
export class KinesisPoller extends ShardPoller<KinesisRecord> {
  constructor(options: KinesisPollerOptions) {
    super({ ...options, source: kinesisSource(options) });
  }
}

function kinesisSource({ kinesis, streamName, streamArn }: KinesisPollerOptions): ShardSource<KinesisRecord> {
  const text = (record: KinesisRecord) => Buffer.from(record.Data ?? new Uint8Array()).toString("utf8");
  return {
    batchInfo: "KinesisBatchInfo",
    arrivalPrecisionMs: 0,
    async describe() {
      const shards: Shard[] = [];
      let more = true;
      while (more) {
        const out = await kinesis.send(
          new DescribeStreamCommand({
            StreamName: streamName,
            ...(shards.length ? { ExclusiveStartShardId: shards.at(-1)!.ShardId } : {}),
          }),
        );
        shards.push(...(out.StreamDescription?.Shards ?? []));
        more = (out.StreamDescription?.HasMoreShards ?? false) && shards.length > 0;
      }
      return shards.map(shardInfo);
    },
    async iterator(shardId, after) {
      const out = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shardId,
          ...(after
            ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber: after }
            : { ShardIteratorType: "TRIM_HORIZON" }),
        }),
      );
      return out.ShardIterator!;
    },
    async read(iterator, limit) {
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
      return { records: out.Records ?? [], ...(out.NextShardIterator ? { next: out.NextShardIterator } : {}) };
    },
    sequenceNumber: (record) => record.SequenceNumber ?? "",
    arrivedAt: (record) => record.ApproximateArrivalTimestamp ?? new Date(),
    filterView(record) {
      let data: unknown;
      try {
        data = JSON.parse(text(record));
      } catch {
        data = text(record); // not JSON: a pattern on `data` fields cannot match it
      }
      return { partitionKey: record.PartitionKey, sequenceNumber: record.SequenceNumber, data };
    },
    event: (records, shardId) => kinesisEvent(records, streamArn, shardId),
  };
}
