import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteItemCommand, type DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { expect } from "vitest";
import type { Forum, Leader, Post, Thread } from "../../services/forums/api.js";
import type { EventContract } from "../../shared/events/defineEvent.js";
import type { Envelope } from "../../shared/events/envelope.js";
import { eventSource } from "../../shared/events/resources.js";
import type { DevServer } from "./devServer.js";
import { type Account, type CallOptions, type Page, productsClient, type Reply, sleep } from "./productsClient.js";

/**
 * A consumer's and an operator's view of the forums API through a real `npm run dev` (the e2e suites
 * `test/e2e/forums*.test.ts`): the products client's request helper and checks (never a 5xx, problem shapes,
 * accounts from `/users/signup` + `/users/signin`), the forums routes, and the operator's tools: the post stream
 * read from TRIM_HORIZON, events put again on the stream and the bus as the publisher puts them, the forums table
 * through the SDK, the sandboxes of a function by pid, and `npm run forums:replay` spawned against the dev server.
 */

export {
  type Account,
  eventually,
  ISO_TIME,
  type Page,
  type Reply,
  sleep,
  slow,
  URL_SAFE_ID,
  uid,
} from "./productsClient.js";

/** Tampered-cursor cases of a list: one base64url character replaced at `at` (never the last: padding bits). */
export const flip = (cursor: string, at: number): string => {
  const i = Math.min(Math.max(0, at), cursor.length - 2);
  const c = cursor[i] === "A" ? "B" : "A";
  return `${cursor.slice(0, i)}${c}${cursor.slice(i + 1)}`;
};

export function forumsClient(dev: () => DevServer) {
  const products = productsClient(dev);
  const { call, expectOk } = products;

  const createForumReply = (token: string, json: unknown, headers: Record<string, string> = {}) =>
    call<Forum>("POST", "/forums", { token, json, headers });

  async function createForum(account: Account, name: string, description?: string): Promise<Forum> {
    return expectOk(
      await createForumReply(account.token, { name, ...(description === undefined ? {} : { description }) }),
      201,
    );
  }

  const createThreadReply = (token: string, forumId: string, json: unknown, headers: Record<string, string> = {}) =>
    call<Thread>("POST", `/forums/${forumId}/threads`, { token, json, headers });

  async function createThread(account: Account, forumId: string, title: string, body = "The first words.") {
    return expectOk(await createThreadReply(account.token, forumId, { title, body }), 201);
  }

  const postPath = (forumId: string, threadId: string) => `/forums/${forumId}/threads/${threadId}/posts`;

  /** Counts what the post route answered across a suite: 201s, and the 409s it documents (retried). */
  const postStats = { created: 0, conflicts: 0 };

  /**
   * A post as a client sends it: a 409 (the thread took too many posts at once; api.ts, store/posts.ts) is retried
   * after its `retry-after`; anything else but a 201 fails. No idempotency key: the idempotency layer stores a 4xx
   * as the key's answer (shared/http/idempotency.ts), so a retry under the same key would get the 409 again.
   */
  async function createPost(account: Account, forumId: string, threadId: string, body: string): Promise<Post> {
    for (let attempt = 1; ; attempt++) {
      const reply = await call<Post>("POST", postPath(forumId, threadId), { token: account.token, json: { body } });
      if (reply.status === 409 && attempt < 10) {
        products.expectProblem(reply, "conflict");
        const after = Number(reply.headers.get("retry-after"));
        expect(after, "a 409 of the post route carries retry-after").toBeGreaterThan(0);
        postStats.conflicts++;
        await sleep(after * 1000);
        continue;
      }
      const post = expectOk(reply, 201);
      postStats.created++;
      return post;
    }
  }

  const getForum = (forumId: string) => call<Forum>("GET", `/forums/${forumId}`);
  const getThread = (forumId: string, threadId: string) =>
    call<Thread>("GET", `/forums/${forumId}/threads/${threadId}`);

  /** Walks a list's pages from the first to `nextCursor: null`; returns every page. */
  async function walk<T>(path: string, query = "", maxPages = 200): Promise<Page<T>[]> {
    const pages: Page<T>[] = [];
    let cursor: string | null = null;
    do {
      const q: string = [query, cursor === null ? "" : `cursor=${encodeURIComponent(cursor)}`]
        .filter(Boolean)
        .join("&");
      const page: Page<T> = expectOk(await call<Page<T>>("GET", q ? `${path}?${q}` : path));
      expect(page).toEqual({
        items: expect.any(Array),
        nextCursor: page.nextCursor === null ? null : expect.any(String),
      });
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor !== null && pages.length < maxPages);
    expect(cursor, `more than ${maxPages} pages of ${path}?${query}`).toBeNull();
    return pages;
  }

  const all = async <T>(path: string, query = "limit=100") => (await walk<T>(path, query)).flatMap((p) => p.items);
  const threadsOf = (forumId: string, query = "limit=100") => all<Thread>(`/forums/${forumId}/threads`, query);
  const postsOf = (forumId: string, threadId: string, query = "limit=100") =>
    all<Post>(postPath(forumId, threadId), query);

  const leaderboard = async (limit = 50) =>
    expectOk(await call<{ items: Leader[] }>("GET", `/forums/leaderboard?limit=${limit}`)).items;

  /** `PATCH /users/me` with a new displayName; returns the reply (its correlation id, if sent). */
  async function rename(account: Account, displayName: string, headers: Record<string, string> = {}) {
    const reply = await call<{ displayName: string; updatedAt: string }>("PATCH", "/users/me", {
      token: account.token,
      json: { displayName },
      headers,
    });
    expect(expectOk(reply).displayName).toBe(displayName);
    return reply;
  }

  return {
    ...products,
    call: call as <T = unknown>(method: string, path: string, options?: CallOptions) => Promise<Reply<T>>,
    createForumReply,
    createForum,
    createThreadReply,
    createThread,
    postPath,
    postStats,
    createPost,
    getForum,
    getThread,
    walk,
    threadsOf,
    postsOf,
    leaderboard,
    rename,
  };
}

// ---- the operator's side -----------------------------------------------------------------------------------------

/** One record of a Kinesis stream, read back from TRIM_HORIZON, with its envelope. */
export interface StreamRecord<P = Record<string, unknown>> {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly envelope: Envelope<string, P>;
}

/** Every record of `streamName` so far, each shard from TRIM_HORIZON to its tip, in shard order. */
export async function streamRecords<P = Record<string, unknown>>(
  kinesis: KinesisClient,
  streamName: string,
): Promise<StreamRecord<P>[]> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const records: StreamRecord<P>[] = [];
  for (const shard of Shards) {
    let { ShardIterator: iterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId!,
        ShardIteratorType: "TRIM_HORIZON",
      }),
    );
    for (let round = 0; iterator && round < 1000; round++) {
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of out.Records ?? []) {
        records.push({
          shardId: shard.ShardId!,
          sequenceNumber: record.SequenceNumber!,
          partitionKey: record.PartitionKey!,
          data: record.Data!,
          envelope: JSON.parse(Buffer.from(record.Data!).toString("utf8")) as Envelope<string, P>,
        });
      }
      if ((out.Records ?? []).length === 0 && (out.MillisBehindLatest ?? 0) === 0) break;
      iterator = out.NextShardIterator;
    }
  }
  return records;
}

/** Puts `records` on the stream again, byte for byte, each with its own partition key (a producer's retried put). */
export async function putRecordsAgain(
  kinesis: KinesisClient,
  streamName: string,
  records: readonly StreamRecord<unknown>[],
): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    const out = await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: records.slice(i, i + 500).map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
      }),
    );
    expect(out.FailedRecordCount ?? 0).toBe(0);
  }
}

/** Puts envelopes on the bus as the publisher does (`shared/publish/toEventBridge.ts`): source, detail-type, detail. */
export async function putOnBus(
  bus: EventBridgeClient,
  busName: string,
  events: readonly { contract: Pick<EventContract, "domain" | "type">; envelope: Envelope }[],
): Promise<void> {
  const out = await bus.send(
    new PutEventsCommand({
      Entries: events.map(({ contract, envelope }) => ({
        EventBusName: busName,
        Source: eventSource(contract),
        DetailType: contract.type,
        Detail: JSON.stringify(envelope),
      })),
    }),
  );
  expect(out.FailedEntryCount ?? 0).toBe(0);
}

/**
 * Wipes the post counters of forums and authors in the forums table (store/keys.ts): a forum's `postCount` is an
 * attribute of its item (removed, the forum kept), an author's posts are the `AUTHOR#<userId>` / `POSTS` item
 * (deleted, which takes it off the leaderboard).
 */
export async function wipePostCounters(
  dynamo: DynamoDBClient,
  table: string,
  forumIds: readonly string[],
  userIds: readonly string[],
): Promise<void> {
  for (const forumId of forumIds)
    await dynamo.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: `FORUM#${forumId}` }, sk: { S: "FORUM" } },
        UpdateExpression: "REMOVE postCount",
        ConditionExpression: "attribute_exists(pk)",
      }),
    );
  for (const userId of userIds)
    await dynamo.send(
      new DeleteItemCommand({ TableName: table, Key: { pk: { S: `AUTHOR#${userId}` }, sk: { S: "POSTS" } } }),
    );
}

/**
 * The pids of the running sandboxes (node children of the local runtime, `local/runtime/Sandbox.ts`) of function
 * `fn` of this dev server: found by their environment (`AWS_LAMBDA_FUNCTION_NAME`, and this run's DynamoDB
 * endpoint, which tells this dev server's sandboxes from another's). Linux `/proc`.
 */
export function sandboxPids(dev: DevServer, fn: string): number[] {
  const endpoint = dev.clientConfig("dynamodb").endpoint;
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, "utf8");
    } catch {
      continue; // gone meanwhile, or not ours
    }
    const vars = environ.split("\0");
    if (vars.includes(`AWS_LAMBDA_FUNCTION_NAME=${fn}`) && vars.includes(`AWS_ENDPOINT_URL_DYNAMODB=${endpoint}`))
      pids.push(Number(entry));
  }
  return pids;
}

/**
 * The bytes a process read and wrote through system calls so far (`rchar` + `wchar`, `/proc/<pid>/io`); undefined
 * once gone. An idle sandbox does no I/O at all: it moves when an invocation arrives (the runtime's message on the
 * IPC channel) and while the handler runs (its AWS calls, its logs).
 */
export function ioBytes(pid: number): number | undefined {
  try {
    const io = readFileSync(`/proc/${pid}/io`, "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(io)?.[1] ?? Number.NaN);
    return field("rchar") + field("wchar");
  } catch {
    return undefined;
  }
}

/** SIGKILL to one process by its id; false when it was gone already. */
export function killProcess(pid: number): boolean {
  try {
    process.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

/**
 * The `local.env` of this dev server (`npm run dev` writes it to its `SUMMIT_DIR`; the harness puts that under the
 * temp directory): the one whose DynamoDB endpoint is this run's. Written from `/_dev/resources` if not found.
 */
export function summitDirOf(dev: DevServer): string {
  const endpoint = dev.clientConfig("dynamodb").endpoint;
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith("summit-e2e-")) continue;
    const file = join(tmpdir(), entry, "local.env");
    if (existsSync(file) && readFileSync(file, "utf8").split("\n").includes(`AWS_ENDPOINT_URL_DYNAMODB=${endpoint}`))
      return join(tmpdir(), entry);
  }
  const dir = mkdtempSync(join(tmpdir(), "summit-operator-"));
  writeFileSync(
    join(dir, "local.env"),
    `${Object.entries(dev.env)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n")}\n`,
  );
  return dir;
}

/**
 * Runs `npm run forums:replay -- --url <dev>` as an operator would in a shell next to `npm run dev`: the SDK
 * variables from the dev server's `local.env`, nothing linked beforehand. Resolves with its exit code and output.
 */
export async function runReplay(dev: DevServer): Promise<{ code: number | null; output: string; ms: number }> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && !/^(AWS_|SST_RESOURCE_|SUMMIT_)/.test(name)) env[name] = value;
  env.SUMMIT_DIR = summitDirOf(dev);
  const began = Date.now();
  const child: ChildProcess = spawn("npm", ["run", "forums:replay", "--", "--url", dev.url], {
    cwd: new URL("../..", import.meta.url).pathname,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  return { code, output, ms: Date.now() - began };
}
