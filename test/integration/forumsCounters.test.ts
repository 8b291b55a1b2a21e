import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  type _Record as KinesisRecord,
  PutRecordCommand,
} from "@aws-sdk/client-kinesis";
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { KinesisStreamBatchResponse } from "aws-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { PostCreated, ThreadCreated } from "../../events/forums.js";
import { UserProfileUpdated, UserRegistered } from "../../events/users.js";
import { eventBridgeEvent, kinesisEvent } from "../../local/lambdaEvents.js";
import { replayForums } from "../../scripts/replay-forums.js";
import { handler as authorsHandler } from "../../services/forums/consumers/authors.js";
import { handler as postsHandler } from "../../services/forums/consumers/posts.js";
import { handler as threadsHandler } from "../../services/forums/consumers/threads.js";
import forums from "../../services/forums/service.js";
import { POSTS_COUNTER, postCheckpoint, replayTotals, writeReplayed } from "../../services/forums/store/counters.js";
import { keys } from "../../services/forums/store/keys.js";
import { leaderboard } from "../../services/forums/store/leaderboard.js";
import { resetAwsClients, useAwsClients } from "../../shared/aws/index.js";
import { logger } from "../../shared/logging/index.js";
import { lambdaContext } from "../support/apiEvents.js";
import { useEmulators } from "../support/emulators.js";
import { useLinks } from "../support/links.js";
import { provisioned } from "../support/provisioned.js";
import { interceptCommand, type StreamReader, streamReader } from "../support/streams.js";

/**
 * The forums counters end to end on the emulators: `PostCreated` records are put on the real stream (kinesalite, the
 * shards the local runtime gives it), read back per shard with GetRecords and handed to the consumer as the Lambda
 * event the mapping builds; the bus consumers get the event a rule delivers. Deliveries are replayed the ways
 * Lambda replays them, faults are injected into the consumer's own client, and everything is read back from
 * DynamoDB Local through a client without faults. The replay script runs against the same stream and table.
 */
const emulators = useEmulators();
const prefix = `forums-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const link = useLinks();

const observedTable = new DynamoDBClient(emulators.clientConfig("dynamodb"));
const observer = DynamoDBDocumentClient.from(observedTable);
const kinesis = new KinesisClient(emulators.clientConfig("kinesis"));
let table = "";
let streamName = "";
let streamArn = "";
let stream: StreamReader;
let shards: StreamReader["shards"] = [];

beforeAll(async () => {
  const resources = await provisioned(emulators, [forums], prefix);
  const { ForumsTable, ForumsPostCreatedStream: postStream, ForumsPostCreatedDlq: dlq } = resources;
  if (!ForumsTable || !postStream || !dlq) throw new Error(`provisioned only ${Object.keys(resources).join(", ")}`);
  table = ForumsTable.name!;
  streamName = postStream.name!;
  streamArn = postStream.arn!;
  link({ ForumsTable, ForumsPostCreatedStream: postStream, FailureQueue: dlq });

  stream = await streamReader(kinesis, streamName);
  shards = stream.shards;
});

afterAll(() => {
  observedTable.destroy();
  kinesis.destroy();
});

let clients: { dynamo: DynamoDBClient; kinesis: KinesisClient };
vi.spyOn(logger, "info").mockImplementation(() => {});
vi.spyOn(logger, "error").mockImplementation(() => {});
vi.spyOn(logger, "warn").mockImplementation(() => {});

beforeEach(() => {
  clients = {
    dynamo: new DynamoDBClient(emulators.clientConfig("dynamodb")),
    kinesis: new KinesisClient(emulators.clientConfig("kinesis")),
  };
  useAwsClients({
    dynamo: DynamoDBDocumentClient.from(clients.dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    kinesis: clients.kinesis,
  });
});

afterEach(() => {
  resetAwsClients();
  for (const client of Object.values(clients)) client.destroy();
});

const intercept = (command: string, failing: number[] = []) => interceptCommand(clients.dynamo, command, failing);

const newId = () => randomUUID().replaceAll("-", "").slice(0, 20);

/** A thread id whose posts land on `shardId`. */
function threadOn(shardId: string): string {
  for (;;) {
    const id = newId();
    if (stream.shardOfKey(id) === shardId) return id;
  }
}

/** A forum and its threads, as the routes store them (written directly: the tests choose threads' shards). */
async function createForum(threadIds: readonly string[]): Promise<string> {
  const forumId = newId();
  const at = new Date().toISOString();
  await observer.send(
    new PutCommand({
      TableName: table,
      Item: {
        ...keys.forum(forumId),
        forumId,
        name: "F",
        ownerId: "owner",
        threadCount: 0,
        postCount: 0,
        createdAt: at,
      },
    }),
  );
  for (const threadId of threadIds)
    await observer.send(
      new PutCommand({
        TableName: table,
        Item: { ...keys.thread(forumId, threadId), threadId, forumId, authorId: "owner", title: "T", createdAt: at },
      }),
    );
  return forumId;
}

function envelope<D>(type: string, data: D, id = randomUUID()) {
  return { id, type, version: 1, time: new Date().toISOString(), producer: "forums", correlationId: "c-1", data };
}

/** Puts one PostCreated per author on the stream, keyed by the thread. */
async function post(forumId: string, threadId: string, authorIds: readonly string[]): Promise<void> {
  for (const authorId of authorIds) {
    const data = { postId: newId(), threadId, forumId, authorId, createdAt: new Date().toISOString() };
    await kinesis.send(
      new PutRecordCommand({
        StreamName: streamName,
        PartitionKey: threadId,
        Data: Buffer.from(JSON.stringify(envelope(PostCreated.type, data))),
      }),
    );
  }
}

const readNew = () => stream.readNew();
const readShard = (shardId: string) => stream.readShard(shardId);
const putAgain = (record: KinesisRecord) => stream.putAgain(record);

/** One invocation of the post counter on `records` of `shardId`; the records reported failed. */
async function deliver(shardId: string, records: readonly KinesisRecord[]): Promise<string[]> {
  const response = (await postsHandler(
    kinesisEvent(records, streamArn, shardId),
    lambdaContext(),
  )) as KinesisStreamBatchResponse;
  return response.batchItemFailures.map((failure) => failure.itemIdentifier);
}

async function deliverAll(read: Map<string, KinesisRecord[]>): Promise<void> {
  for (const [shardId, records] of read) expect(await deliver(shardId, records)).toEqual([]);
}

async function items(keyList: readonly { pk: string; sk: string }[]): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  for (let start = 0; start < keyList.length; start += 100) {
    const out = await observer.send(
      new BatchGetCommand({
        RequestItems: { [table]: { Keys: keyList.slice(start, start + 100), ConsistentRead: true } },
      }),
    );
    found.push(...(out.Responses?.[table] ?? []));
  }
  return found;
}

/** Each forum's `postCount` and `threadCount`. */
async function forumCounts(forumIds: readonly string[]): Promise<Record<string, { posts: unknown; threads: unknown }>> {
  const found = await items(forumIds.map(keys.forum));
  return Object.fromEntries(
    forumIds.map((id) => {
      const item = found.find((f) => f.forumId === id);
      return [id, { posts: item?.postCount, threads: item?.threadCount }];
    }),
  );
}

/** Each author's posts on the leaderboard (0 when absent). */
async function authorPosts(userIds: readonly string[]): Promise<Record<string, number>> {
  const found = await items(userIds.map(keys.authorPosts));
  return Object.fromEntries(userIds.map((id) => [id, (found.find((a) => a.userId === id)?.posts as number) ?? 0]));
}

const authors = (n: number) => Array.from({ length: n }, () => `u${newId()}`);

describe("the post counter", () => {
  it("counts a batch with one transaction per shard: one write per forum and per author", async () => {
    const [a, b] = [threadOn(shards[0]!.id), threadOn(shards[1]!.id)];
    const forumId = await createForum([a, b]);
    const [u1, u2] = authors(2);
    await post(forumId, a, [u1!, u1!, u2!]);
    await post(forumId, b, [u1!, u2!]);
    const transactions = intercept("TransactWriteItemsCommand");
    await deliverAll(await readNew());
    expect(transactions.calls).toBe(2);
    expect((await forumCounts([forumId]))[forumId]!.posts).toBe(5);
    expect(await authorPosts([u1!, u2!])).toEqual({ [u1!]: 3, [u2!]: 2 });
  });

  it("counts nothing twice: the same batch again, the same event put twice, a bisected retry", async () => {
    const shard = shards[0]!.id;
    const thread = threadOn(shard);
    const forumId = await createForum([thread]);
    const [u1, u2] = authors(2);
    await post(forumId, thread, [u1!, u2!, u1!, u2!, u1!, u1!]);
    const records = await readShard(shard);
    // Bisected: the first half, then the whole batch (Lambda's BisectBatchOnFunctionError), then the whole again.
    expect(await deliver(shard, records.slice(0, 3))).toEqual([]);
    expect(await deliver(shard, records)).toEqual([]);
    expect(await deliver(shard, records)).toEqual([]);
    expect((await forumCounts([forumId]))[forumId]!.posts).toBe(6);
    expect(await authorPosts([u1!, u2!])).toEqual({ [u1!]: 4, [u2!]: 2 });

    // A producer's retried put: a second record of an event already counted, and one delivered with its copy.
    await putAgain(records[0]!);
    await post(forumId, thread, [u2!]);
    const next = await readShard(shard);
    await putAgain(next[1]!);
    const withCopy = [...next, ...(await readShard(shard))];
    expect(withCopy).toHaveLength(3);
    expect(await deliver(shard, withCopy)).toEqual([]);
    expect((await forumCounts([forumId]))[forumId]!.posts).toBe(7);
    expect(await authorPosts([u1!, u2!])).toEqual({ [u1!]: 4, [u2!]: 3 });
  });

  it("fails half-way with the chunks before counted, and the retry from the reported record counts exactly", async () => {
    const shard = shards[1]!.id;
    const threads = [threadOn(shard), threadOn(shard), threadOn(shard)];
    const forumIds = [
      await createForum([threads[0]!]),
      await createForum([threads[1]!]),
      await createForum([threads[2]!]),
    ];
    // 120 authors over 3 forums: 123 keys, more than one transaction's 99: two chunks.
    const people = authors(120);
    for (const [i, threadId] of threads.entries())
      await post(forumIds[i]!, threadId, people.slice(i * 40, i * 40 + 40));
    const records = await readShard(shard);
    const transactions = intercept("TransactWriteItemsCommand", [2]);
    const failed = await deliver(shard, records);
    expect(transactions.calls).toBe(2);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(records.length);
    expect(failed[0]).toBe(records[records.length - failed.length]!.SequenceNumber);
    const counted = await forumCounts(forumIds);
    expect(Object.values(counted).reduce((sum, c) => sum + (c.posts as number), 0)).toBe(
      records.length - failed.length,
    );

    // Lambda retries from the reported record; a bisected retry may deliver the whole batch again as well.
    expect(await deliver(shard, records.slice(records.length - failed.length))).toEqual([]);
    expect(await deliver(shard, records)).toEqual([]);
    expect(Object.values(await forumCounts(forumIds)).map((c) => c.posts)).toEqual([40, 40, 40]);
    expect(Object.values(await authorPosts(people))).toEqual(people.map(() => 1));
  });
});

describe("the leaderboard", () => {
  it("ranks authors by their posts, most first, merged over every rank partition", async () => {
    const thread = threadOn(shards[0]!.id);
    const forumId = await createForum([thread]);
    const [top, second, third] = authors(3);
    await post(forumId, thread, [
      ...Array<string>(60).fill(top!),
      ...Array<string>(50).fill(second!),
      ...Array<string>(45).fill(third!),
    ]);
    await deliverAll(await readNew());
    const leaders = await leaderboard(3);
    expect(leaders.map(({ userId, posts }) => [userId, posts])).toEqual([
      [top, 60],
      [second, 50],
      [third, 45],
    ]);
    const all = await leaderboard(50);
    const counts = all.map((leader) => leader.posts);
    expect(counts).toEqual([...counts].sort((x, y) => y - x));
  });
});

/** The event a bus rule delivers for `envelope`. */
const busEvent = (detail: ReturnType<typeof envelope<unknown>>) =>
  eventBridgeEvent(
    { Source: "summit.test", DetailType: detail.type, Detail: JSON.stringify(detail) },
    { id: randomUUID(), account: "000000000000", region: "us-east-1" },
  );

describe("the thread counter", () => {
  it("counts a thread into its forum once, however often it is delivered, and seeds its activity key", async () => {
    const threadId = newId();
    const forumId = await createForum([threadId]);
    const created = envelope(ThreadCreated.type, {
      threadId,
      forumId,
      authorId: "owner",
      title: "T",
      createdAt: "2026-01-01T00:00:00.000Z",
    });
    await threadsHandler(busEvent(created), lambdaContext());
    await threadsHandler(busEvent(created), lambdaContext());
    await threadsHandler(busEvent({ ...created, id: randomUUID() }), lambdaContext()); // same thread, new event id
    expect((await forumCounts([forumId]))[forumId]!.threads).toBe(1);
    const [thread] = await items([keys.thread(forumId, threadId)]);
    expect(thread).toMatchObject({
      activityPk: keys.activity(forumId),
      activitySk: `2026-01-01T00:00:00.000Z#${threadId}`,
    });
  });
});

describe("the author directory", () => {
  const nameOf = async (userId: string) => (await items([keys.author(userId)]))[0]?.displayName;

  it("keeps the newest name: an older profile event, or a late registration, never overwrites it", async () => {
    const userId = `u${newId()}`;
    const registered = envelope(UserRegistered.type, {
      userId,
      email: "ada@example.com",
      displayName: "Ada",
      createdAt: "2026-01-01T00:00:00.000Z",
    });
    const renamed = (displayName: string, updatedAt: string) =>
      envelope(UserProfileUpdated.type, { userId, displayName, avatar: null, changed: ["displayName"], updatedAt });
    const newer = renamed("Ada L.", "2026-01-03T00:00:00.000Z");
    const older = renamed("Ada Lovelace", "2026-01-02T00:00:00.000Z");

    await authorsHandler(busEvent(registered), lambdaContext());
    expect(await nameOf(userId)).toBe("Ada");
    await authorsHandler(busEvent(newer), lambdaContext());
    expect(await nameOf(userId)).toBe("Ada L.");
    await authorsHandler(busEvent(older), lambdaContext()); // late
    await authorsHandler(busEvent(registered), lambdaContext()); // delivered again
    await authorsHandler(busEvent(newer), lambdaContext());
    expect(await nameOf(userId)).toBe("Ada L.");

    // Out of order from the start: the rename first, then its registration.
    const other = `u${newId()}`;
    await authorsHandler(busEvent({ ...newer, data: { ...newer.data, userId: other } }), lambdaContext());
    await authorsHandler(busEvent({ ...registered, data: { ...registered.data, userId: other } }), lambdaContext());
    expect(await nameOf(other)).toBe("Ada L.");
  });
});

describe("npm run forums:replay", () => {
  it("rebuilds wiped counters and checkpoints exactly, a second run changes nothing, and live counting goes on", async () => {
    const thread = threadOn(shards[0]!.id);
    const other = threadOn(shards[1]!.id);
    const forumId = await createForum([thread, other]);
    const [u1, u2] = authors(2);
    await post(forumId, thread, [u1!, u1!, u2!]);
    await post(forumId, other, [u2!]);
    const delivered = await readNew();
    await deliverAll(delivered);
    // A duplicate event in the history: the replay drops it as the live counter did.
    await putAgain(delivered.get(shards[0]!.id)![0]!);
    await deliverAll(await readNew());
    expect((await forumCounts([forumId]))[forumId]!.posts).toBe(4);

    // Everything the stream counted so far, as the live counter left it.
    const scan = async () => {
      const forumsIds = new Set<string>();
      const userIds = new Set<string>();
      for (const shard of shards) {
        const { ShardIterator } = await kinesis.send(
          new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.id, ShardIteratorType: "TRIM_HORIZON" }),
        );
        const out = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 10_000 }));
        for (const record of out.Records ?? []) {
          const data = JSON.parse(Buffer.from(record.Data!).toString("utf8")).data;
          forumsIds.add(data.forumId);
          userIds.add(data.authorId);
        }
      }
      const checkpoints = await items(shards.map((s) => keys.streamCheckpoint(POSTS_COUNTER, s.id)));
      return {
        forums: await forumCounts([...forumsIds]),
        authors: await authorPosts([...userIds]),
        leaders: await leaderboard(50),
        checkpoints: checkpoints.map(({ sequence, recent }) => ({ sequence, recent })),
      };
    };
    const before = await scan();

    // Wiped: every forum's postCount, every author's posts, every checkpoint.
    for (const forum of Object.keys(before.forums))
      await observer.send(
        new UpdateCommand({ TableName: table, Key: keys.forum(forum), UpdateExpression: "REMOVE postCount" }),
      );
    for (const userId of Object.keys(before.authors))
      await observer.send(new DeleteCommand({ TableName: table, Key: keys.authorPosts(userId) }));
    for (const shard of shards)
      await observer.send(new DeleteCommand({ TableName: table, Key: keys.streamCheckpoint(POSTS_COUNTER, shard.id) }));
    expect((await forumCounts([forumId]))[forumId]!.posts).toBeUndefined();

    const summary = await replayForums({ streamName });
    expect(summary.duplicates).toBeGreaterThanOrEqual(1);
    expect(await scan()).toEqual(before);
    await replayForums({ streamName });
    expect(await scan()).toEqual(before);

    // Live counting goes on after it: an old batch delivered again counts nothing, a new post counts once.
    expect(await deliver(shards[0]!.id, delivered.get(shards[0]!.id)!)).toEqual([]);
    const stale = (await postCheckpoint(shards[0]!.id)).sequence;
    await post(forumId, thread, [u1!]);
    await deliverAll(await readNew());
    expect((await forumCounts([forumId]))[forumId]!.posts).toBe(5);
    // A replay whose view of the live counter is stale writes nothing: its fence fails, and it must read on.
    const stalePost = {
      sequenceNumber: stale!.replace(/^0+/, ""),
      eventId: "stale",
      postId: "p",
      threadId: thread,
      createdAt: "",
    };
    const staleReplay = replayTotals([{ shardId: shards[0]!.id, records: [{ ...stalePost, forumId, authorId: u1! }] }]);
    const stalled = await writeReplayed(staleReplay, new Map([[shards[0]!.id, stale]]), new Set());
    expect(stalled).toMatchObject({ outcome: "moved", written: [] });
    expect((await forumCounts([forumId]))[forumId]!.posts).toBe(5);
    expect(await authorPosts([u1!, u2!])).toEqual({ [u1!]: 3, [u2!]: 2 });
    // A replay with the live counter ahead of nothing: it writes the same as the live counter has.
    const live = await scan();
    await replayForums({ streamName });
    expect(await scan()).toEqual(live);
  });
});
