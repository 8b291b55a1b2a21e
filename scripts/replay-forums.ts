/**
 * `npm run forums:replay`: rebuilds the forums' post counters (each forum's `postCount`) and the leaderboard (each
 * author's posts) exactly from the post stream's retained history, and resets the post counter's checkpoints so
 * that live counting goes on from where the rebuilt totals end. Idempotent: the totals are written as absolute
 * values, so a second run writes the same table. It can run while the live counter runs (see
 * `services/forums/store/counters.ts`, `writeReplayed`: every write is fenced by the checkpoints).
 *
 * The same SDK calls everywhere; only where the resource names come from differs:
 * - the cloud: `npx sst shell --stage <stage> -- npm run forums:replay` (SST links every resource,
 *   `SST_RESOURCE_ForumsTable` and `SST_RESOURCE_ForumsPostCreatedStream`, with the stage's credentials);
 * - locally, with `npm run dev` running: `npm run forums:replay` reads the SDK variables from `.summit/local.env`
 *   (`SUMMIT_DIR` moves it) and the resources from the runtime's `/_dev/resources` (`--url`, default
 *   `http://127.0.0.1:${PORT:-4000}`).
 *
 * The totals are exact only if the stream still holds every post: a stream older than its retention may have lost
 * its oldest records, and the script refuses unless `--accept-trimmed` (the totals then count the retained posts).
 *
 * @example
 * ```sh
 * npm run forums:replay
 * npm run forums:replay -- --url http://127.0.0.1:4100
 * npx sst shell --stage alice -- npm run forums:replay
 * ```
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from "@aws-sdk/client-kinesis";
import { PostCreated } from "../events/forums.js";
import {
  type PostRecord,
  postCheckpoint,
  type ReplayedKey,
  replayTotals,
  writeReplayed,
} from "../services/forums/store/counters.js";
import { kinesisClient } from "../shared/aws/kinesis.js";
import { resource } from "../shared/config.js";
import { contractRegistry, decodeEvent } from "../shared/consume/index.js";
import { sequenceKey } from "../shared/data/index.js";
import { resourceNameFor } from "../shared/events/resources.js";
import { allShards } from "./ops/replay.js";
import { linkStage } from "./ops/stage.js";

/** The linked resources the post counter uses (the function's `links` and its event source). */
export const TABLE = "ForumsTable";
export const STREAM = resourceNameFor(PostCreated);

/** Rounds of reading on when the live counter moved the checkpoints under the replay. */
const ROUNDS = 10;
const registry = contractRegistry(PostCreated);

export interface ReplaySummary {
  readonly shards: number;
  readonly records: number;
  readonly duplicates: number;
  readonly forums: number;
  readonly authors: number;
  readonly rounds: number;
  readonly missingForums: readonly string[];
}

/** One shard as the replay reads it: every valid post so far, and where the reading stands. */
interface ShardReading {
  readonly shardId: string;
  readonly posts: PostRecord[];
  /** The last record read (valid or not), to read on after it. */
  last?: string;
  invalid: number;
}

/**
 * Rebuilds the counters from the history of `streamName` (every shard, from TRIM_HORIZON), writing them into the
 * linked `ForumsTable`. Reads on and writes the rest again while the live counter moves the checkpoints.
 *
 * @example
 * ```ts
 * const summary = await replayForums({ streamName: resource(STREAM).name });
 * ```
 */
export async function replayForums(options: {
  readonly streamName: string;
  readonly kinesis?: KinesisClient;
  readonly acceptTrimmed?: boolean;
  readonly log?: (line: string) => void;
}): Promise<ReplaySummary> {
  const kinesis = options.kinesis ?? kinesisClient();
  const log = options.log ?? (() => {});
  const { streamName } = options;
  await checkRetention(kinesis, streamName, options.acceptTrimmed ?? false, log);

  const readings = (await allShards(kinesis, streamName)).map(
    ({ ShardId }): ShardReading => ({ shardId: ShardId!, posts: [], invalid: 0 }),
  );
  const done = new Set<ReplayedKey>();
  const missingForums = new Set<string>();
  for (let round = 1; round <= ROUNDS; round++) {
    // Where the live counter stands first, then the history up to there (or all of it where it has not started).
    const cuts = new Map<string, string | undefined>();
    for (const { shardId } of readings) cuts.set(shardId, (await postCheckpoint(shardId)).sequence);
    for (const reading of readings) await readOn(kinesis, streamName, reading);
    const history = readings.map(({ shardId, posts }) => {
      const cut = cuts.get(shardId);
      return {
        shardId,
        records: cut === undefined ? posts : posts.filter((p) => sequenceKey(p.sequenceNumber) <= cut),
      };
    });
    const replayed = replayTotals(history);
    const result = await writeReplayed(replayed, cuts, done);
    for (const key of result.written) done.add(key);
    for (const forumId of result.missingForums) missingForums.add(forumId);
    log(`round ${round}: ${result.written.length} counters written, ${result.outcome}`);
    if (result.outcome === "written") {
      const records = history.reduce((sum, shard) => sum + shard.records.length, 0);
      return {
        shards: readings.length,
        records,
        duplicates: replayed.duplicates,
        forums: replayed.forums.size,
        authors: replayed.authors.size,
        rounds: round,
        missingForums: [...missingForums],
      };
    }
  }
  throw new Error(
    `the live counter kept moving for ${ROUNDS} rounds; run again (what is written is exact) when it is quieter`,
  );
}

/** Refuses a history that may have lost records to retention, unless told to accept it. */
async function checkRetention(
  kinesis: KinesisClient,
  streamName: string,
  acceptTrimmed: boolean,
  log: (line: string) => void,
): Promise<void> {
  const { StreamDescriptionSummary: summary } = await kinesis.send(
    new DescribeStreamSummaryCommand({ StreamName: streamName }),
  );
  const hours = summary?.RetentionPeriodHours ?? 24;
  const created = summary?.StreamCreationTimestamp?.getTime() ?? Date.now();
  if (Date.now() - created < hours * 3_600_000) return;
  const message = `${streamName} is older than its ${hours} h retention: its oldest posts may be gone`;
  if (!acceptTrimmed) throw new Error(`${message} (--accept-trimmed counts only the retained ones)`);
  log(`${message}; counting the retained ones`);
}

/** Reads `reading`'s shard on to its current end (a closed shard to its last record), keeping the valid posts. */
async function readOn(kinesis: KinesisClient, streamName: string, reading: ShardReading): Promise<void> {
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: reading.shardId,
      ...(reading.last
        ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber: reading.last }
        : { ShardIteratorType: "TRIM_HORIZON" }),
    }),
  );
  let iterator = ShardIterator;
  while (iterator) {
    const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    for (const record of out.Records ?? []) {
      reading.last = record.SequenceNumber!;
      // As the live consumer decodes it: a record that can never be valid went to its failure queue, uncounted.
      const decoded = decodeEvent(registry, Buffer.from(record.Data ?? new Uint8Array()).toString("utf8"));
      if (!decoded.ok) {
        reading.invalid++;
        continue;
      }
      const payload = decoded.payload as Omit<PostRecord, "sequenceNumber" | "eventId">;
      reading.posts.push({ sequenceNumber: record.SequenceNumber!, eventId: decoded.envelope.id, ...payload });
    }
    // At the tip: nothing returned and nothing behind (an empty answer mid-shard still has MillisBehindLatest > 0).
    if ((out.Records ?? []).length === 0 && (out.MillisBehindLatest ?? 0) === 0) break;
    iterator = out.NextShardIterator;
  }
}

async function main(args: readonly string[]): Promise<void> {
  await linkStage([TABLE, STREAM], args);
  const streamName = resource(STREAM).name!;
  console.log(`Replaying ${streamName} into ${resource(TABLE).name} from TRIM_HORIZON…`);
  const summary = await replayForums({
    streamName,
    acceptTrimmed: args.includes("--accept-trimmed"),
    log: (line) => console.log(`  ${line}`),
  });
  console.log(
    `Done: ${summary.records} posts on ${summary.shards} shards (${summary.duplicates} duplicates dropped), ` +
      `${summary.forums} forums and ${summary.authors} authors written in ${summary.rounds} round(s).`,
  );
  if (summary.missingForums.length > 0)
    console.log(`Forums not found (counted for their authors only): ${summary.missingForums.join(", ")}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error("Replay failed:", error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
