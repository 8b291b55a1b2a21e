import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type _Record as StreamRecord,
} from "@aws-sdk/client-dynamodb-streams";
import { dynamodbStreamEvent } from "../../lambdaEvents.js";
import { ShardPoller, type ShardPollerOptions, type ShardSource, shardInfo } from "./shardPoller.js";

export interface DynamoStreamPollerOptions extends Omit<ShardPollerOptions<StreamRecord>, "source"> {
  readonly streams: DynamoDBStreamsClient;
  /** The table's LatestStreamArn. */
  readonly streamArn: string;
  /** The region the Lambda records name (`awsRegion`). */
  readonly region: string;
  /** The event filter (FilterCriteria), on the record as the function receives it (`eventName`, `dynamodb.Keys`…). */
  readonly filterPattern?: Record<string, unknown>;
}

/** GetRecords returns at most 1,000 records per call. */
const MAX_RECORDS_PER_READ = 1_000;

/**
 * Lambda's DynamoDB event source mapping ("Using AWS Lambda with Amazon DynamoDB"), on the shared
 * {@link ShardPoller}: the table's stream read shard by shard, children after their parents, with batches,
 * bisection, retries until `maxRecordAgeSeconds` when `retries` is `-1`, the `DDBStreamBatchInfo` on-failure
 * record and checkpoints. As in Lambda, each batch starts a new trace; the outbox publisher links each record to the
 * request named in its envelope (`NewImage.envelope`, JSON text with a `traceHeader`).
 */
export class DynamoStreamPoller extends ShardPoller<StreamRecord> {
  constructor(options: DynamoStreamPollerOptions) {
    super({ ...options, source: dynamoStreamSource(options) });
  }
}

function dynamoStreamSource({ streams, streamArn, region }: DynamoStreamPollerOptions): ShardSource<StreamRecord> {
  const lambdaRecord = (record: StreamRecord) => dynamodbStreamEvent([record], streamArn, region).Records[0];
  const shardIterator = async (shardId: string, after: string | undefined) => {
    const out = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: after }
          : { ShardIteratorType: "TRIM_HORIZON" }),
      }),
    );
    return out.ShardIterator!;
  };
  return {
    batchInfo: "DDBStreamBatchInfo",
    // DynamoDB Local floors ApproximateCreationDateTime to the minute (DynamoDB itself to the second or better).
    arrivalPrecisionMs: 60_000,
    async describe() {
      const shards: Shard[] = [];
      let start: string | undefined;
      do {
        const out = await streams.send(
          new DescribeStreamCommand({ StreamArn: streamArn, ...(start ? { ExclusiveStartShardId: start } : {}) }),
        );
        shards.push(...(out.StreamDescription?.Shards ?? []));
        start = out.StreamDescription?.LastEvaluatedShardId;
      } while (start);
      return shards.map(shardInfo);
    },
    async iterator(shardId, after) {
      try {
        return await shardIterator(shardId, after);
      } catch (error) {
        // The checkpoint is older than the stream keeps (24 h): what is left starts at the trim horizon.
        if (after && (error as { name?: string }).name === "TrimmedDataAccessException")
          return shardIterator(shardId, undefined);
        throw error;
      }
    },
    async read(iterator, limit) {
      const out = await streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(limit, MAX_RECORDS_PER_READ) }),
      );
      return { records: out.Records ?? [], ...(out.NextShardIterator ? { next: out.NextShardIterator } : {}) };
    },
    sequenceNumber: (record) => record.dynamodb?.SequenceNumber ?? "",
    arrivedAt: (record) => record.dynamodb?.ApproximateCreationDateTime ?? new Date(),
    filterView: lambdaRecord,
    event: (records) => dynamodbStreamEvent(records, streamArn, region),
  };
}
