import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ForumCreated, PostCreated, ThreadCreated } from "../../events/forums.js";
import { UserProfileUpdated } from "../../events/users.js";
import type { ServiceMap } from "../../local/devtools/index.js";
import type { Forum, Leader, Post, Thread } from "../../services/forums/api.js";
import { type Envelope, envelopeSchema } from "../../shared/events/envelope.js";
import { eventSource } from "../../shared/events/resources.js";
import { type DevServer, startDev } from "../support/devServer.js";
import {
  type Account,
  eventually,
  forumsClient,
  ISO_TIME,
  ioBytes,
  killProcess,
  putOnBus,
  putRecordsAgain,
  type Reply,
  runReplay,
  type StreamRecord,
  sandboxPids,
  sleep,
  streamRecords,
  uid,
  wipePostCounters,
} from "../support/forumsClient.js";
import { createQueue } from "../support/transportWiring.js";
import {
  callsIn,
  linksSeenBothWays,
  outline,
  type TraceDocument,
  traceEntries,
  type XrayReader,
  xrayReader,
} from "../support/xray.js";

/**
 * The forums service's asynchronous side through a real `npm run dev`, as an operator sees it: 30 concurrent posts
 * in one order on the list and on the post stream (Kinesis, read back with the SDK), the counters fed by the
 * stream and the bus exact under duplicate delivery (records put again on the stream, events put again on the bus,
 * as the publisher puts them), under a consumer sandbox killed mid-batch (its `node` process, by pid: the local
 * runtime has no operator hook for it), and rebuilt by `npm run forums:replay` after they were wiped; and the
 * forums events captured from the local EventBridge bus.
 */

let dev: DevServer;
let sqs: SQSClient;
let bus: EventBridgeClient;
let kinesis: KinesisClient;
let dynamo: DynamoDBClient;

const {
  call,
  expectOk,
  signUp,
  createForum,
  createThread,
  createPost,
  postStats,
  getForum,
  getThread,
  postsOf,
  leaderboard,
  rename,
  devJson,
} = forumsClient(() => dev);

/** Counters are eventually consistent: generous deadlines, never a timed assertion. */
const SETTLE_MS = 60_000;
/** After a sentinel is counted: long enough for the batch window (1 s), pollers, retries and the read caches (5 s). */
const QUIET_MS = 8_000;

const POST_FN = "ForumsPostCreated";

interface BusEvent {
  readonly source: string;
  readonly "detail-type": string;
  readonly detail: Envelope<string, Record<string, unknown>>;
}

/** Everything the capture queue received so far (each message deleted once read); `until` long-polls for more. */
function mailbox(queueUrl: string) {
  const received: BusEvent[] = [];
  const poll = async () => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length > 0) {
      received.push(...Messages.map((m: Message) => JSON.parse(m.Body!) as BusEvent));
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    return received;
  };
  return {
    until: (done: (events: readonly BusEvent[]) => boolean, timeoutMs = 30_000) => eventually(poll, done, timeoutMs, 0),
  };
}
let captured: ReturnType<typeof mailbox>;

beforeAll(async () => {
  dev = await startDev();
  sqs = new SQSClient(dev.clientConfig("sqs"));
  bus = new EventBridgeClient(dev.clientConfig("eventbridge"));
  kinesis = new KinesisClient({ ...dev.clientConfig("kinesis"), requestHandler: new NodeHttpHandler() });
  dynamo = new DynamoDBClient(dev.clientConfig("dynamodb"));
  // A capture of the forums and users events on the bus, from the start.
  const queue = await createQueue(sqs, "forums-events");
  const rule = uid("forums-events");
  const busName = dev.resources.Bus!.name!;
  await bus.send(
    new PutRuleCommand({
      Name: rule,
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: [eventSource(ForumCreated), eventSource(UserProfileUpdated)] }),
    }),
  );
  const out = await bus.send(
    new PutTargetsCommand({ Rule: rule, EventBusName: busName, Targets: [{ Id: "capture", Arn: queue.arn }] }),
  );
  expect(out.FailedEntryCount ?? 0).toBe(0);
  captured = mailbox(queue.url);
}, 90_000);

afterAll(async () => {
  for (const client of [sqs, bus, kinesis, dynamo]) client?.destroy();
  await dev?.stop();
}, 30_000);

const streamName = () => dev.resources.ForumsPostCreatedStream!.name!;

/** The thread's PostCreated records on the stream, first delivery of each event, in stream order. */
async function postRecordsOf(threadId: string): Promise<{ firsts: StreamRecord[]; all: StreamRecord[] }> {
  const all = (await streamRecords(kinesis, streamName())).filter(
    (r) => r.envelope.type === PostCreated.type && r.envelope.data?.threadId === threadId,
  );
  const seen = new Set<string>();
  const firsts = all.filter((r) => !seen.has(r.envelope.id) && seen.add(r.envelope.id));
  return { firsts, all };
}

const countsOf = (board: readonly Leader[], accounts: readonly Account[]) =>
  accounts.map((a) => board.find((l) => l.userId === a.userId)?.posts);

/** Polls until the forum's counters are `want`; logs how long it took; returns the forum as read then. */
async function forumSettles(forumId: string, want: { postCount: number; threadCount: number }, what: string) {
  const began = Date.now();
  const reply = await eventually(
    () => getForum(forumId),
    (r) => r.body.postCount === want.postCount && r.body.threadCount === want.threadCount,
    SETTLE_MS,
    250,
  );
  console.log(
    `[counters] ${what}: forum at postCount ${reply.body.postCount}, threadCount ${reply.body.threadCount} after ${Date.now() - began} ms`,
  );
  return expectOk(reply);
}

async function leaderboardSettles(accounts: readonly Account[], want: readonly number[], what: string) {
  const began = Date.now();
  const board = await eventually(
    () => leaderboard(50),
    (b) => countsOf(b, accounts).join() === want.join(),
    SETTLE_MS,
    250,
  );
  console.log(`[counters] ${what}: leaderboard ${countsOf(board, accounts).join("/")} after ${Date.now() - began} ms`);
  return board;
}

/**
 * The forums consumers' DLQs (`Forums…Dlq`, from `/_dev/resources`), read with the SQS SDK: each must be empty
 * (nothing given up). (`GET /_dev/queues` of the contract would show the same; this run's runtime answers it 404.)
 */
async function expectForumsDlqsEmpty() {
  const dlqs = Object.entries(dev.resources).filter(([name]) => /^Forums.*Dlq$/.test(name));
  expect(dlqs.map(([name]) => name)).toEqual(expect.arrayContaining(["ForumsPostCreatedDlq"]));
  for (const [name, queue] of dlqs) {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.url!,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    expect({ name, ...Attributes }).toEqual({
      name,
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
  }
}

/** The scene the counter tests share: one forum, one thread, three authors of 10 posts each. */
const scene = {} as {
  owner: Account;
  authors: Account[];
  forum: Forum;
  thread: Thread;
  posts: Post[];
  originals: StreamRecord[];
  expected: { postCount: number; threadCount: number; perAuthor: number[] };
};

describe("30 concurrent posts to one thread", () => {
  test("all accepted, listed in one order with no gap or duplicate, the same order as on the stream; counters exact", {
    timeout: 180_000,
  }, async () => {
    const [owner, ...authors] = await Promise.all([signUp("Owner"), signUp("Ann"), signUp("Bob"), signUp("Cy")]);
    const forum = await createForum(owner!, uid("Busy"));
    const thread = await createThread(owner!, forum.forumId, uid("Hot"), "Everyone at once");
    const conflictsBefore = postStats.conflicts;
    const began = Date.now();
    const posts = await Promise.all(
      Array.from({ length: 30 }, (_, i) => createPost(authors[i % 3]!, forum.forumId, thread.threadId, `post #${i}`)),
    );
    console.log(
      `[posts] 30 concurrent posts accepted in ${Date.now() - began} ms (${postStats.conflicts - conflictsBefore} 409s retried)`,
    );
    expect(new Set(posts.map((p) => p.postId)).size).toBe(30);
    for (const [i, post] of posts.entries())
      expect(post).toEqual({
        postId: expect.any(String),
        threadId: thread.threadId,
        forumId: forum.forumId,
        authorId: authors[i % 3]!.userId,
        authorName: expect.toSatisfy((n: unknown) => n === null || n === authors[i % 3]!.displayName),
        body: `post #${i}`,
        createdAt: expect.stringMatching(ISO_TIME),
      });

    // The list: every accepted post once, oldest first; pages of 7 walk the same order.
    const listed = await postsOf(forum.forumId, thread.threadId);
    const ids = listed.map((p) => p.postId);
    expect(ids).toHaveLength(30);
    expect(new Set(ids)).toEqual(new Set(posts.map((p) => p.postId)));
    const times = listed.map((p) => p.createdAt);
    expect(times).toEqual([...times].sort());
    expect((await postsOf(forum.forumId, thread.threadId, "limit=7")).map((p) => p.postId)).toEqual(ids);
    for (const post of listed)
      expect(post).toEqual({ ...posts.find((p) => p.postId === post.postId)!, authorName: post.authorName });

    // The thread's own counters: exact at once.
    const read = expectOk(await getThread(forum.forumId, thread.threadId));
    expect([read.postCount, read.lastPostAt]).toEqual([30, listed.at(-1)!.createdAt]);

    // The stream: each post's PostCreated, on the thread's partition key, in the list's order.
    const { firsts, all } = await eventually(
      () => postRecordsOf(thread.threadId),
      (r) => r.firsts.length >= 30,
      30_000,
      500,
    );
    console.log(`[stream] ${all.length} PostCreated records of the thread (${firsts.length} distinct events)`);
    expect(firsts.map((r) => r.envelope.data.postId)).toEqual(ids);
    expect(new Set(firsts.map((r) => r.shardId)).size).toBe(1);
    for (const [i, record] of firsts.entries()) {
      expect(record.partitionKey).toBe(thread.threadId);
      v.parse(envelopeSchema, record.envelope);
      expect(record.envelope).toMatchObject({ type: PostCreated.type, version: 1, producer: "forums" });
      expect(v.parse(PostCreated.schema, record.envelope.data)).toEqual({
        postId: listed[i]!.postId,
        threadId: thread.threadId,
        forumId: forum.forumId,
        authorId: listed[i]!.authorId,
        createdAt: listed[i]!.createdAt,
      });
    }

    // The counters fed by the events settle exactly.
    const settled = await forumSettles(forum.forumId, { postCount: 30, threadCount: 1 }, "30 concurrent posts");
    expect(settled).toEqual({ ...forum, postCount: 30, threadCount: 1 });
    const board = await leaderboardSettles(authors, [10, 10, 10], "30 concurrent posts");
    expect(countsOf(board, authors)).toEqual([10, 10, 10]);
    Object.assign(scene, {
      owner,
      authors,
      forum,
      thread,
      posts: listed,
      originals: firsts,
      expected: { postCount: 30, threadCount: 1, perAuthor: [10, 10, 10] },
    });
  });
});

describe("duplicate delivery into every counter consumer", () => {
  test("PostCreated put again on the stream, ThreadCreated and UserProfileUpdated put again on the bus: counters, leaderboard and names unchanged", {
    timeout: 240_000,
  }, async () => {
    const { forum, thread, authors, originals } = scene;
    expect(originals, "needs the 30 concurrent posts").toHaveLength(30);
    const [ann, bob] = authors;

    // Ann renames twice: the bus carries both UserProfileUpdated, and the directory ends at the second name.
    const [first, second] = [uid("Ann1"), uid("Ann2")];
    await rename(ann!, first);
    await sleep(50); // the two updates have distinct times
    await rename(ann!, second);
    const renames = (events: readonly BusEvent[]) =>
      events.filter((e) => e.detail.type === UserProfileUpdated.type && e.detail.data.userId === ann!.userId);
    const threadCreated = (events: readonly BusEvent[]) =>
      events.filter((e) => e.detail.type === ThreadCreated.type && e.detail.data.threadId === thread.threadId);
    const events = await captured.until((all) => renames(all).length >= 2 && threadCreated(all).length >= 1);
    const [older, newer] = [...renames(events)].sort((a, b) =>
      String(a.detail.data.updatedAt).localeCompare(String(b.detail.data.updatedAt)),
    );
    expect([older?.detail.data.displayName, newer?.detail.data.displayName]).toEqual([first, second]);
    const annNames = async () =>
      (await postsOf(forum.forumId, thread.threadId))
        .filter((p) => p.authorId === ann!.userId)
        .map((p) => p.authorName);
    const named = await eventually(annNames, (names) => names.every((n) => n === second), SETTLE_MS, 250);
    expect(new Set(named)).toEqual(new Set([second]));

    // Every record delivered twice more (duplicates within one batch), the bus events again (the rename's older
    // event after its newer one: a late redelivery), then a real post behind them on the same shard.
    await putRecordsAgain(kinesis, streamName(), [...originals, ...originals]);
    const busName = dev.resources.Bus!.name!;
    await putOnBus(bus, busName, [
      { contract: ThreadCreated, envelope: threadCreated(events)[0]!.detail },
      { contract: ThreadCreated, envelope: threadCreated(events)[0]!.detail },
      { contract: UserProfileUpdated, envelope: older!.detail },
      { contract: UserProfileUpdated, envelope: newer!.detail },
      { contract: UserProfileUpdated, envelope: older!.detail },
    ]);
    await createPost(bob!, forum.forumId, thread.threadId, "the sentinel");
    // A real thread after the ThreadCreated duplicates: once it is counted, so are they (or they were dropped).
    await createThread(scene.owner, forum.forumId, uid("Sentinel"), "after the duplicates");
    const expected = { postCount: 31, threadCount: 2, perAuthor: [10, 11, 10] };
    await forumSettles(forum.forumId, expected, "duplicates + sentinels");
    await leaderboardSettles(authors, expected.perAuthor, "duplicates + sentinels");

    // Redelivered once more, long after being counted (duplicates across batches).
    await putRecordsAgain(kinesis, streamName(), originals);
    await putOnBus(bus, busName, [
      { contract: ThreadCreated, envelope: threadCreated(events)[0]!.detail },
      { contract: UserProfileUpdated, envelope: older!.detail },
    ]);
    await sleep(QUIET_MS);
    const { all } = await postRecordsOf(thread.threadId);
    console.log(`[stream] the thread's PostCreated records now: ${all.length} (31 events)`);
    expect(all.length).toBeGreaterThanOrEqual(31 + 3 * 30);

    const settled = expectOk(await getForum(forum.forumId));
    expect({ postCount: settled.postCount, threadCount: settled.threadCount }).toEqual({
      postCount: expected.postCount,
      threadCount: expected.threadCount,
    });
    const board = await leaderboard(50);
    expect(countsOf(board, authors)).toEqual(expected.perAuthor);
    expect(board.find((l) => l.userId === ann!.userId)?.displayName).toBe(second);
    expect(new Set(await annNames())).toEqual(new Set([second]));
    expect(expectOk(await getThread(forum.forumId, thread.threadId)).postCount).toBe(31);
    await expectForumsDlqsEmpty();
    scene.expected = expected;
  });
});

describe("a post counter killed mid-batch", () => {
  test("its sandbox's node process SIGKILLed while it holds a batch (starting, then running it); after recovery the counts are exact", {
    timeout: 300_000,
  }, async () => {
    const { forum, authors } = scene;
    expect(scene.expected.postCount, "needs the earlier scenes").toBe(31);
    const thread = await createThread(authors[2]!, forum.forumId, uid("Crash"), "while the counter dies");
    const output = dev.output().length;
    const reported = () =>
      dev
        .output()
        .slice(output)
        .split("\n")
        .filter((line) => line.includes(`${POST_FN} failed on`));
    const posts: Post[] = [];
    const burst = (n: number, label: string) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          createPost(authors[i % 3]!, forum.forumId, thread.threadId, `${label} #${i}`),
        ),
      ).then((made) => posts.push(...made));

    // Phase A: the warm sandbox killed while idle (not counted), then every NEW sandbox of the post counter killed
    // as soon as it shows up, twice. The pool starts a sandbox only for an invocation waiting on it, so these kills
    // land while the invocation holds the batch (the sandbox starting).
    const warmBefore = sandboxPids(dev, POST_FN);
    for (const pid of warmBefore) killProcess(pid);
    const killedA: number[] = [];
    let stopA = false;
    const killerA = (async () => {
      while (!stopA && killedA.length < 2) {
        for (const pid of sandboxPids(dev, POST_FN))
          if (!warmBefore.includes(pid) && !killedA.includes(pid) && killedA.length < 2 && killProcess(pid))
            killedA.push(pid);
        await sleep(20);
      }
    })();
    const phaseA = burst(20, "crash A");
    const twice = await eventually(
      async () => killedA.length,
      (n) => n >= 2,
      60_000,
      100,
    );
    stopA = true;
    await Promise.all([killerA, phaseA]);
    expect(twice).toBe(2);
    const startingKills = await eventually(
      async () => reported().length,
      (n) => n >= 2,
      10_000,
      200,
    );
    expect(startingKills, reported().join("\n")).toBeGreaterThanOrEqual(2);

    // Phase B: a warm sandbox (started over 4 s ago, idle) killed the moment it starts working on a batch (its I/O
    // moves: the invocation's message, then its AWS calls), until the runtime reports an invocation that died while
    // running: up to 5 tries.
    const killedB: number[] = [];
    const firstSeen = new Map<number, number>();
    let midRun = false;
    for (let attempt = 0; attempt < 5 && !midRun; attempt++) {
      const warm = await eventually(
        async () => {
          const now = Date.now();
          const pids = sandboxPids(dev, POST_FN);
          for (const pid of pids) if (!firstSeen.has(pid)) firstSeen.set(pid, now);
          return pids.filter((pid) => now - firstSeen.get(pid)! > 4_000);
        },
        (pids) => pids.length > 0,
        30_000,
        200,
      );
      expect(warm.length, "a warm post counter sandbox").toBeGreaterThan(0);
      const before = new Map(warm.map((pid) => [pid, ioBytes(pid)]));
      const sent = burst(6, `crash B${attempt}`);
      const deadline = Date.now() + 10_000;
      watch: while (Date.now() < deadline) {
        for (const [pid, ticks] of before) {
          const now = ioBytes(pid);
          if (now === undefined)
            before.delete(pid); // gone (the pool discarded it)
          else if (ticks !== undefined && now > ticks) {
            if (killProcess(pid)) killedB.push(pid);
            break watch;
          }
        }
        if (before.size === 0) break;
        await sleep(2);
      }
      await sent;
      // The runtime's own report of the invocation: killed while it ran.
      const lines = await eventually(
        async () => reported(),
        (ls) => ls.some((l) => l.includes("during the invocation")),
        5_000,
        200,
      );
      midRun = lines.some((l) => l.includes("during the invocation"));
    }
    const lines = reported();
    console.log(
      `[crash] killed ${POST_FN} sandboxes while starting with a batch: pids ${killedA.join(", ")}; ` +
        `while running one: pids ${killedB.join(", ")}; the runtime reported:\n  ${lines.join("\n  ")}`,
    );
    expect(midRun, `no kill landed while the handler ran:\n${lines.join("\n")}`).toBe(true);

    // After recovery: every post counted exactly once.
    const tally = authors.map((a) => posts.filter((p) => p.authorId === a.userId).length);
    const expected = {
      postCount: scene.expected.postCount + posts.length,
      threadCount: scene.expected.threadCount + 1,
      perAuthor: scene.expected.perAuthor.map((n, i) => n + tally[i]!),
    };
    await forumSettles(forum.forumId, expected, `after the crashes (${posts.length} posts)`);
    await leaderboardSettles(authors, expected.perAuthor, "after the crashes");
    await sleep(QUIET_MS);
    const settled = expectOk(await getForum(forum.forumId));
    expect([settled.postCount, settled.threadCount]).toEqual([expected.postCount, expected.threadCount]);
    expect(countsOf(await leaderboard(50), authors)).toEqual(expected.perAuthor);
    expect(expectOk(await getThread(forum.forumId, thread.threadId)).postCount).toBe(posts.length);
    await expectForumsDlqsEmpty();
    scene.expected = expected;
  });
});

describe("npm run forums:replay rebuilds wiped counters", () => {
  test("counters wiped through the SDK; the replay restores every forum's postCount and the leaderboard exactly; again: unchanged", {
    timeout: 300_000,
  }, async () => {
    const { forum, authors } = scene;
    expect(scene.expected.postCount, "needs the earlier scenes").toBeGreaterThan(31);
    // A second forum, so that the replay rebuilds more than one.
    const side = await createForum(authors[0]!, uid("Side"));
    const sideThread = await createThread(authors[0]!, side.forumId, uid("Quiet"), "a few posts");
    for (let i = 0; i < 3; i++) await createPost(authors[1]!, side.forumId, sideThread.threadId, `side #${i}`);
    const expected = { ...scene.expected, perAuthor: scene.expected.perAuthor.map((n, i) => (i === 1 ? n + 3 : n)) };
    await forumSettles(side.forumId, { postCount: 3, threadCount: 1 }, "the side forum");
    await forumSettles(forum.forumId, expected, "before the wipe");
    const before = await leaderboardSettles(authors, expected.perAuthor, "before the wipe");
    const forumsBefore = await Promise.all([forum, side].map(async (f) => expectOk(await getForum(f.forumId))));

    // Wiped: the forums' postCount attributes and every author's POSTS item (the leaderboard).
    const table = dev.resources.ForumsTable!.name!;
    await wipePostCounters(
      dynamo,
      table,
      [forum.forumId, side.forumId],
      before.map((l) => l.userId),
    );
    const wiped = await eventually(
      async () => ({
        forums: await Promise.all([forum, side].map(async (f) => (await getForum(f.forumId)).body.postCount)),
        board: (await leaderboard(50)).length,
      }),
      (w) => w.forums.every((n) => n === 0) && w.board === 0,
      30_000,
      250,
    );
    expect(wiped).toEqual({ forums: [0, 0], board: 0 });

    const replayed = await runReplay(dev);
    console.log(`[replay] exit ${replayed.code} in ${replayed.ms} ms:\n${replayed.output.trim()}`);
    expect(replayed.code, replayed.output).toBe(0);
    const restoredAt = Date.now();
    const restored = await eventually(
      () => leaderboard(50),
      (b) => JSON.stringify(b) === JSON.stringify(before),
      30_000,
      250,
    );
    console.log(`[replay] leaderboard readable as before ${Date.now() - restoredAt} ms after the replay ended`);
    expect(restored).toEqual(before);
    for (const f of forumsBefore) {
      const back = await eventually(
        () => getForum(f.forumId),
        (r) => r.body.postCount === f.postCount,
        30_000,
        250,
      );
      expect(expectOk(back)).toEqual(f);
    }

    // Again: the same table.
    const again = await runReplay(dev);
    console.log(`[replay] second run: exit ${again.code} in ${again.ms} ms:\n${again.output.trim()}`);
    expect(again.code, again.output).toBe(0);
    await sleep(QUIET_MS);
    expect(await leaderboard(50)).toEqual(before);
    for (const f of forumsBefore) expect(expectOk(await getForum(f.forumId))).toEqual(f);

    // And live counting goes on from where the replay left it: one more post counts once.
    await createPost(authors[2]!, side.forumId, sideThread.threadId, "after the replay");
    await forumSettles(side.forumId, { postCount: 4, threadCount: 1 }, "a post after the replay");
    const after = await leaderboardSettles(
      authors,
      expected.perAuthor.map((n, i) => (i === 2 ? n + 1 : n)),
      "a post after the replay",
    );
    expect(countsOf(after, authors)).toEqual(expected.perAuthor.map((n, i) => (i === 2 ? n + 1 : n)));
    expect(expectOk(await getForum(forum.forumId)).postCount).toBe(expected.postCount);
  });
});

describe("the forums events on the bus", () => {
  test("ForumCreated and ThreadCreated arrive once each, valid against their contracts, with the request's correlation id", {
    timeout: 120_000,
  }, async () => {
    const owner = await signUp("Publisher");
    const correlation = (step: string) => ({ "x-correlation-id": `${step}-${randomUUID()}` });
    const name = uid("Announced");
    const created: Reply<Forum> = await call<Forum>("POST", "/forums", {
      token: owner.token,
      json: { name, description: "on the bus" },
      headers: correlation("forum"),
    });
    const forum = expectOk(created, 201);
    const started: Reply<Thread> = await call<Thread>("POST", `/forums/${forum.forumId}/threads`, {
      token: owner.token,
      json: { title: "Announced thread", body: "b" },
      headers: correlation("thread"),
    });
    const thread = expectOk(started, 201);
    const forumEvents = (events: readonly BusEvent[]) =>
      events.filter((e) => e.detail.type === ForumCreated.type && e.detail.data.forumId === forum.forumId);
    const threadEvents = (events: readonly BusEvent[]) =>
      events.filter((e) => e.detail.type === ThreadCreated.type && e.detail.data.threadId === thread.threadId);
    const began = Date.now();
    await captured.until((all) => forumEvents(all).length >= 1 && threadEvents(all).length >= 1, 30_000);
    console.log(`[events] ForumCreated and ThreadCreated captured within ${Date.now() - began} ms`);
    const all = await captured.until(() => false, 3_000); // a short drain catches a duplicate

    const expectFrame = (event: BusEvent, reply: Reply<unknown>, type: string) => {
      const envelope = v.parse(envelopeSchema, event.detail);
      expect(event.source).toBe(eventSource(ForumCreated));
      expect(event["detail-type"]).toBe(type);
      expect(envelope).toMatchObject({ type, version: 1, producer: "forums", correlationId: reply.correlationId });
    };
    expect(forumEvents(all)).toHaveLength(1);
    expectFrame(forumEvents(all)[0]!, created, ForumCreated.type);
    expect(v.parse(ForumCreated.schema, forumEvents(all)[0]!.detail.data)).toEqual({
      forumId: forum.forumId,
      name,
      ownerId: owner.userId,
      createdAt: forum.createdAt,
    });
    expect(threadEvents(all)).toHaveLength(1);
    expectFrame(threadEvents(all)[0]!, started, ThreadCreated.type);
    expect(v.parse(ThreadCreated.schema, threadEvents(all)[0]!.detail.data)).toEqual({
      threadId: thread.threadId,
      forumId: forum.forumId,
      authorId: owner.userId,
      title: "Announced thread",
      createdAt: thread.createdAt,
    });
    // PostCreated travels on the stream, not the bus.
    expect(all.filter((e) => e.detail.type === PostCreated.type)).toEqual([]);
  });
});

describe("a post's trace", () => {
  let xray: XrayReader;
  beforeAll(() => {
    xray = xrayReader(dev.clientConfig("xray"));
  });
  afterAll(() => xray?.client.destroy());
  const consumers = ["ForumsPostCreated", "UsersPostCreated"];
  const ran = (documents: TraceDocument[] | undefined, name: string) =>
    traceEntries(documents ?? []).some((e) => e.kind === "segment" && e.name === name && !e.inProgress);

  test("links out to its Kinesis consumers, whose traces link back to it (via Kinesis)", {
    timeout: 90_000,
  }, async () => {
    const [owner, author] = await Promise.all([signUp("Linker"), signUp("Poster")]);
    const forum = await createForum(owner!, uid("Linked"));
    const thread = await createThread(owner!, forum.forumId, uid("Traced"));
    const reply = await call<Post>("POST", `/forums/${forum.forumId}/threads/${thread.threadId}/posts`, {
      token: author!.token,
      json: { body: "one trace across the stream" },
    });
    expectOk(reply, 201);

    const reached = async () => {
      const documents = await xray.traceDocuments(reply.traceId);
      const linked = (await xray.linkedFrom(reply.traceId)).filter((t) =>
        t.links.some((l) => l.attributes["messaging.system"] === "kinesis"),
      );
      return { documents, linked };
    };
    const { documents, linked } = await eventually(
      reached,
      (r) =>
        consumers.every((name) => r.linked.some((l) => ran(l.documents, name))) &&
        traceEntries(r.documents).some((e) => e.operation === "PutRecords" && !e.inProgress),
      SETTLE_MS,
      300,
    );
    const entries = traceEntries(documents);
    const shape = outline(entries);
    for (const name of consumers) {
      const theirs = linked.filter((l) => ran(l.documents, name));
      expect(
        theirs.length,
        `no ${name} linked from ${reply.traceId}; linked ${linked.map((t) => t.traceId).join(", ")}:\n${shape}`,
      ).toBeGreaterThan(0);
      // Each consumer's trace is its own (Lambda starts one for a stream batch) and its record's subsegment links
      // back to the post's trace, to the (sub)segment that published the record.
      for (const consumer of theirs) {
        expect(consumer.traceId).not.toBe(reply.traceId);
        const record = traceEntries(consumer.documents).find(
          (e) => e.name === `## ${PostCreated.type}` && e.links.some((l) => l.trace_id === reply.traceId),
        );
        expect(record?.links).toContainEqual({
          trace_id: reply.traceId,
          id: expect.stringMatching(/^[0-9a-f]{16}$/),
          attributes: { "messaging.system": "kinesis" },
        });
        expect(record?.annotations).toMatchObject({ eventType: PostCreated.type, producerTraceId: reply.traceId });
        const target = record?.links.find((l) => l.trace_id === reply.traceId)?.id;
        expect(
          entries.some((e) => e.id === target),
          `link target ${target} is no (sub)segment of ${reply.traceId}:\n${shape}`,
        ).toBe(true);
      }
      // …and it is not in the post's trace itself.
      expect(ran(documents, name)).toBe(false);
    }
    // The post's trace holds the publish onto the stream: the outbox publisher's segment, with its PutRecords.
    const { segment: publisher, calls } = callsIn(entries, "ForumsOutboxPublisher");
    expect(publisher, shape).toBeDefined();
    expect(calls).toContainEqual(
      expect.objectContaining({ namespace: "aws", operation: "PutRecords", error: false, fault: false }),
    );
    // `/_dev/traces/{traceId}` names the same links, both ways, as the X-Ray documents hold: the post's, and a
    // consumer's.
    for (const id of [reply.traceId, linked[0]!.traceId]) {
      const seen = await linksSeenBothWays(xray, dev.url, id);
      expect(seen.dev, id).toEqual(seen.documents);
    }
    expect((await linksSeenBothWays(xray, dev.url, linked[0]!.traceId)).dev).toContainEqual({
      traceId: reply.traceId,
      direction: "in",
      via: "kinesis",
    });

    // The map draws the hop: the stream's node (as X-Ray infers it from the PutRecords call) → each consumer, linked.
    const put = calls.find((e) => e.operation === "PutRecords");
    const inferred = (await xray.traceDocuments(reply.traceId, { inferred: true })).find(
      (d) => d.inferred === true && d.parent_id === put?.id,
    );
    expect(inferred?.origin, JSON.stringify(inferred)).toMatch(/^AWS::Kinesis/);
    const map = await devJson<ServiceMap>("/_dev/service-map");
    const streamNode = map?.nodes.find((n) => n.type.startsWith("AWS::Kinesis") && n.name === inferred?.name);
    expect(streamNode, JSON.stringify(map?.nodes)).toBeDefined();
    for (const name of consumers)
      expect(map?.edges).toContainEqual(
        expect.objectContaining({ source: streamNode!.id, target: `AWS::Lambda::Function/${name}`, linked: true }),
      );
  });
});
