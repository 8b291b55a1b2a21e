import { createHash } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
  PutRecordCommand,
} from "@aws-sdk/client-kinesis";

/**
 * A test's view of one Kinesis stream on the emulator: its shards and the hash key range each takes (a record goes
 * where the MD5 of its partition key falls), and a reading position per shard from TRIM_HORIZON, so that a test
 * reads back exactly the records put since its last read and hands them to a consumer as the mapping would.
 *
 * @example
 * ```ts
 * const stream = await streamReader(kinesis, streamName);
 * await deliver(shardId, await stream.readShard(stream.shardOfKey(threadId)));
 * ```
 */
export interface StreamReader {
  readonly shards: readonly { readonly id: string; readonly from: bigint; readonly to: bigint }[];
  /** The shard a record with partition key `key` lands on. */
  shardOfKey(key: string): string;
  /** Every record put on each shard since the last read, in shard order (shards with none left out). */
  readNew(): Promise<Map<string, KinesisRecord[]>>;
  /** The new records, all of which must be on `shardId` (there must be some). */
  readShard(shardId: string): Promise<KinesisRecord[]>;
  /** The same record's data put again: a producer's retried put (a new record, the same event id). */
  putAgain(record: KinesisRecord): Promise<void>;
}

export async function streamReader(kinesis: KinesisClient, streamName: string): Promise<StreamReader> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const shards = Shards.map((shard) => ({
    id: shard.ShardId!,
    from: BigInt(shard.HashKeyRange!.StartingHashKey!),
    to: BigInt(shard.HashKeyRange!.EndingHashKey!),
  }));
  const iterators = new Map<string, string>();
  for (const shard of shards) {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.id, ShardIteratorType: "TRIM_HORIZON" }),
    );
    iterators.set(shard.id, ShardIterator!);
  }
  const reader: StreamReader = {
    shards,
    shardOfKey(key) {
      const hash = BigInt(`0x${createHash("md5").update(key).digest("hex")}`);
      return shards.find((shard) => hash >= shard.from && hash <= shard.to)!.id;
    },
    async readNew() {
      const read = new Map<string, KinesisRecord[]>();
      for (const shard of shards) {
        const records: KinesisRecord[] = [];
        let iterator = iterators.get(shard.id)!;
        for (;;) {
          const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
          iterator = out.NextShardIterator!;
          records.push(...(out.Records ?? []));
          if ((out.Records ?? []).length === 0) break;
        }
        iterators.set(shard.id, iterator);
        if (records.length > 0) read.set(shard.id, records);
      }
      return read;
    },
    async readShard(shardId) {
      const read = await reader.readNew();
      const other = [...read.keys()].filter((id) => id !== shardId);
      if (other.length > 0) throw new Error(`records on ${other.join(", ")} too, not only on ${shardId}`);
      const records = read.get(shardId);
      if (!records) throw new Error(`no new records on ${shardId}`);
      return records;
    },
    async putAgain(record) {
      await kinesis.send(
        new PutRecordCommand({ StreamName: streamName, PartitionKey: record.PartitionKey!, Data: record.Data! }),
      );
    },
  };
  return reader;
}

type Handler = (args: { input: unknown }) => Promise<unknown>;
/** The base client's middleware stack, typed loosely (each client's stack has its own input and output types). */
type Stack = { add(middleware: (next: Handler, context: { commandName?: string }) => Handler, options: object): void };

/**
 * Watches the calls of `command` (its SDK name) on a base DynamoDB client the code under test uses; the calls
 * numbered in `failing` (1 is the first) throw before anything is sent, so the SDK does not retry them.
 *
 * @example
 * ```ts
 * const transactions = interceptCommand(clients.dynamo, "TransactWriteItemsCommand", [2]);
 * ```
 */
export function interceptCommand(
  client: DynamoDBClient,
  command: string,
  failing: readonly number[] = [],
): { calls: number; inputs: unknown[] } {
  const seen = { calls: 0, inputs: [] as unknown[] };
  (client.middlewareStack as unknown as Stack).add(
    (next: Handler, context: { commandName?: string }): Handler =>
      async (args) => {
        if (context.commandName !== command) return next(args);
        seen.calls++;
        seen.inputs.push(args.input);
        if (failing.includes(seen.calls)) throw new Error(`injected: ${command} call ${seen.calls} failed`);
        return next(args);
      },
    { step: "initialize" },
  );
  return seen;
}
