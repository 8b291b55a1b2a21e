/**
 * The service quotas the publishers chunk by, as AWS documents them. Sizes are in bytes of UTF-8.
 * 256 KB means 262,144 bytes everywhere AWS states it.
 */
export const limits = {
  /** PutEvents: at most 10 entries, and the entries' sizes (see `eventBridgeEntrySize`) at most 256 KB in total. */
  eventBridge: { maxCount: 10, maxBytes: 262_144, maxEntryBytes: 262_144 },
  /** PublishBatch: at most 10 messages; each message and the batch's sum at most 256 KB (body plus attributes). */
  sns: { maxCount: 10, maxBytes: 262_144, maxEntryBytes: 262_144 },
  /** SendMessageBatch: at most 10 messages; each message and the batch's sum at most 256 KB (body plus attributes). */
  sqs: { maxCount: 10, maxBytes: 262_144, maxEntryBytes: 262_144 },
  /** PutRecords: at most 500 records, 5 MiB per request, 1 MiB per record; partition keys count towards both. */
  kinesis: { maxCount: 500, maxBytes: 5_242_880, maxEntryBytes: 1_048_576 },
} as const;

/** SQS accepts at most 10 message attributes per message (and SNS delivers to SQS with the same cap). */
export const maxMessageAttributes = 10;

/** A Kinesis partition key is 1 to 256 Unicode characters. */
export const maxPartitionKeyLength = 256;

export interface ChunkLimits {
  readonly maxCount: number;
  readonly maxBytes: number;
  readonly maxEntryBytes: number;
}
