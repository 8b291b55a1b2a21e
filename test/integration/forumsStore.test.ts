import { randomUUID } from "node:crypto";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Forum, Leader, Post, Thread } from "../../services/forums/api.js";
import { handler as createForum } from "../../services/forums/routes/createForum.js";
import { handler as createPost } from "../../services/forums/routes/createPost.js";
import { handler as createThread } from "../../services/forums/routes/createThread.js";
import { handler as getForum } from "../../services/forums/routes/getForum.js";
import { handler as getThread } from "../../services/forums/routes/getThread.js";
import { handler as leaderboard } from "../../services/forums/routes/leaderboard.js";
import { handler as listForums } from "../../services/forums/routes/listForums.js";
import { handler as listPosts } from "../../services/forums/routes/listPosts.js";
import { handler as listThreads } from "../../services/forums/routes/listThreads.js";
import forums from "../../services/forums/service.js";
import { AUTHOR_CACHE_TTL_MS } from "../../services/forums/store/authors.js";
import { keys, RANK_SHARDS, rankKey, shardOf } from "../../services/forums/store/keys.js";
import { resetAwsClients, useAwsClients } from "../../shared/aws/index.js";
import { apiEvent, lambdaContext } from "../support/apiEvents.js";
import { emfWrittenBy, sumOf } from "../support/emf.js";
import { useEmulators } from "../support/emulators.js";
import { useLinks } from "../support/links.js";
import { provisioned } from "../support/provisioned.js";

/**
 * The forums routes over the wire: each handler called as Lambda would call it, with the real SDK against DynamoDB
 * Local and the table provisioned from the service definition (its three indexes, two of them KEYS_ONLY). The author
 * directory and the leaderboard counts are written here as the forums consumers write them; everything is checked
 * through a client of its own, the post order also on the table's stream (what the outbox publisher reads).
 */
const emulators = useEmulators();
const prefix = `forums-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const link = useLinks();

const observedTable = new DynamoDBClient(emulators.clientConfig("dynamodb"));
const observer = DynamoDBDocumentClient.from(observedTable);
const streams = new DynamoDBStreamsClient(emulators.clientConfig("dynamodb"));
const handlerTable = new DynamoDBClient(emulators.clientConfig("dynamodb"));
let table = "";

beforeAll(async () => {
  const resources = await provisioned(emulators, [forums], prefix);
  const { ForumsTable } = resources;
  if (!ForumsTable) throw new Error(`provisioned only ${Object.keys(resources).join(", ")}`);
  table = ForumsTable.name!;
  link({ ForumsTable });
  useAwsClients({
    dynamo: DynamoDBDocumentClient.from(handlerTable, { marshallOptions: { removeUndefinedValues: true } }),
  });
});

afterAll(() => {
  resetAwsClients();
  observedTable.destroy();
  handlerTable.destroy();
  streams.destroy();
});

// ---------------------------------------------------------------------------------------------------------------
// Calling the handlers

type Handler = (
  event: APIGatewayProxyEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;
// biome-ignore lint/suspicious/noExplicitAny: the assertions walk the JSON the routes answer
type Json = Record<string, any>;

interface Answer {
  readonly status: number;
  readonly body: Json;
  readonly headers: Record<string, string>;
}

async function call(
  handler: Handler,
  request: {
    method: "GET" | "POST";
    resource: string;
    path: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
    rawBody?: string;
    userId?: string;
    headers?: Record<string, string>;
    /** What the invocation has left before its timeout (default: the context's 10 s). */
    timeLeftMs?: number;
  },
): Promise<Answer> {
  const path = request.resource.replace(/\{(\w+)\}/g, (_, name: string) => request.path[name] ?? "");
  const result = await handler(
    apiEvent({
      httpMethod: request.method,
      resource: request.resource,
      path: `/forums${path === "/" ? "" : path}`,
      headers: { "content-type": "application/json", ...request.headers },
      body: request.rawBody ?? (request.body === undefined ? null : JSON.stringify(request.body)),
      pathParameters: Object.keys(request.path).length ? request.path : null,
      queryStringParameters: request.query ?? null,
      ...(request.userId ? { claims: { sub: request.userId, token_use: "access" } } : {}),
    }),
    request.timeLeftMs === undefined
      ? lambdaContext()
      : { ...lambdaContext(), getRemainingTimeInMillis: () => request.timeLeftMs ?? 0 },
  );
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined, headers };
}

const user = () => `user-${randomUUID().slice(0, 8)}`;

const api = {
  createForum: (userId: string | undefined, body: unknown, headers?: Record<string, string>) =>
    call(createForum, { method: "POST", resource: "/", path: {}, body, ...(userId ? { userId } : {}), headers }),
  listForums: (query: Record<string, string> = {}) =>
    call(listForums, { method: "GET", resource: "/", path: {}, query }),
  getForum: (forumId: string) => call(getForum, { method: "GET", resource: "/{forumId}", path: { forumId } }),
  leaderboard: (query: Record<string, string> = {}) =>
    call(leaderboard, { method: "GET", resource: "/leaderboard", path: {}, query }),
  createThread: (userId: string | undefined, forumId: string, body: unknown) =>
    call(createThread, {
      method: "POST",
      resource: "/{forumId}/threads",
      path: { forumId },
      body,
      ...(userId ? { userId } : {}),
    }),
  listThreads: (forumId: string, query: Record<string, string> = {}) =>
    call(listThreads, { method: "GET", resource: "/{forumId}/threads", path: { forumId }, query }),
  getThread: (forumId: string, threadId: string) =>
    call(getThread, { method: "GET", resource: "/{forumId}/threads/{threadId}", path: { forumId, threadId } }),
  createPost: (
    userId: string | undefined,
    forumId: string,
    threadId: string,
    body: unknown,
    headers?: Record<string, string>,
    timeLeftMs?: number,
  ) =>
    call(createPost, {
      method: "POST",
      resource: "/{forumId}/threads/{threadId}/posts",
      path: { forumId, threadId },
      body,
      ...(userId ? { userId } : {}),
      ...(timeLeftMs === undefined ? {} : { timeLeftMs }),
      headers,
    }),
  listPosts: (forumId: string, threadId: string, query: Record<string, string> = {}) =>
    call(listPosts, {
      method: "GET",
      resource: "/{forumId}/threads/{threadId}/posts",
      path: { forumId, threadId },
      query,
    }),
};

async function newForum(ownerId = user(), name = "Woodworking"): Promise<Forum> {
  const answer = await api.createForum(ownerId, { name, description: "Joints, finishes and tools" });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body as Forum;
}

async function newThread(forumId: string, authorId = user(), title = "Dovetails by hand"): Promise<Thread> {
  const answer = await api.createThread(authorId, forumId, { title, body: "Which saw do you use?" });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body as Thread;
}

async function newPost(
  forumId: string,
  threadId: string,
  authorId = user(),
  body = "A Japanese pull saw.",
): Promise<Post> {
  const answer = await api.createPost(authorId, forumId, threadId, { body });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body as Post;
}

/** Every page of a list, following `nextCursor` to the end. */
async function walk<T>(list: (query: Record<string, string>) => Promise<Answer>, limit: number): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const answer = await list({ limit: String(limit), ...(cursor ? { cursor } : {}) });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    pages.push(answer.body.items as T[]);
    cursor = (answer.body.nextCursor as string | null) ?? undefined;
    if (pages.length > 200) throw new Error("the pages never end");
  } while (cursor);
  return pages;
}

// ---------------------------------------------------------------------------------------------------------------
// The table, as the consumers write it and as the publisher reads it

/** The directory entry the `authors` consumer writes from `users.UserRegistered` / `UserProfileUpdated`. */
async function directory(userId: string, displayName: string): Promise<void> {
  await observer.send(new PutCommand({ TableName: table, Item: { ...keys.author(userId), userId, displayName } }));
}

/** An author's post count as the `postCreated` consumer keeps it, in its rank partition. */
async function rank(userId: string, posts: number): Promise<void> {
  await observer.send(
    new PutCommand({
      TableName: table,
      Item: {
        ...keys.authorPosts(userId),
        userId,
        posts,
        rankPk: keys.rank(shardOf(userId, RANK_SHARDS)),
        rankSk: rankKey(posts, userId),
      },
    }),
  );
}

async function itemAt(key: { pk: string; sk: string }): Promise<Json | undefined> {
  return (await observer.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
}

/** The outbox items of one order key, as envelopes. */
async function outboxOf(orderKey: string): Promise<Json[]> {
  const { Items = [] } = await observer.send(
    new QueryCommand({
      TableName: table,
      ConsistentRead: true,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": `OUTBOX#${orderKey}` },
    }),
  );
  return Items.map((item) => JSON.parse(String(item.envelope)));
}

/**
 * The event ids of the outbox inserts under `OUTBOX#<orderKey>`, in the order the table's stream delivers them (what
 * the publisher sends, one at a time, in shard order), and the shards they came from.
 */
async function streamedOutbox(orderKey: string): Promise<{ eventIds: string[]; shards: Set<string> }> {
  const { Table } = await observedTable.send(new DescribeTableCommand({ TableName: table }));
  const StreamArn = Table?.LatestStreamArn;
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn }));
  const eventIds: string[] = [];
  const shards = new Set<string>();
  for (const { ShardId } of StreamDescription?.Shards ?? []) {
    const start = new GetShardIteratorCommand({ StreamArn, ShardId, ShardIteratorType: "TRIM_HORIZON" });
    let iterator = (await streams.send(start)).ShardIterator;
    for (let reads = 0; iterator && reads < 1_000; reads++) {
      const { Records = [], NextShardIterator } = await streams.send(
        new GetRecordsCommand({ ShardIterator: iterator }),
      );
      for (const record of Records) {
        const image = record.dynamodb?.NewImage;
        if (record.eventName !== "INSERT" || image?.pk?.S !== `OUTBOX#${orderKey}`) continue;
        eventIds.push(image.eventId?.S ?? "");
        shards.add(ShardId ?? "");
      }
      if (Records.length === 0) break;
      iterator = NextShardIterator;
    }
  }
  return { eventIds, shards };
}

// ---------------------------------------------------------------------------------------------------------------

describe("forums", () => {
  it("opens a forum (201) that reads back, and publishes forums.ForumCreated through the outbox", async () => {
    const ownerId = user();
    const answer = await api.createForum(ownerId, { name: "  Luthiers  " });
    expect(answer.status).toBe(201);
    const forum = answer.body as Forum;
    expect(forum).toEqual({
      forumId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      name: "Luthiers",
      description: null,
      ownerId,
      threadCount: 0,
      postCount: 0,
      createdAt: expect.any(String),
    });
    const read = await api.getForum(forum.forumId);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(forum);
    expect(read.headers["cache-control"]).toBe("public, max-age=1, s-maxage=2");
    const events = await outboxOf(forum.forumId);
    expect(events.map((event) => [event.type, event.data])).toEqual([
      ["forums.ForumCreated", { forumId: forum.forumId, name: "Luthiers", ownerId, createdAt: forum.createdAt }],
    ]);
  });

  it("answers 404 for an unknown forum, 401 without a token, and 400 listing every violated field", async () => {
    const missing = await api.getForum("no-such-forum");
    expect(missing.status).toBe(404);
    expect(missing.headers["content-type"]).toMatch(/^application\/problem\+json/);

    expect((await api.createForum(undefined, { name: "Anonymous" })).status).toBe(401);

    const invalid = await api.createForum(user(), { name: "", description: "x".repeat(501), extra: true });
    expect(invalid.status).toBe(400);
    expect(invalid.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const paths = (invalid.body.errors as { path: string }[]).map((error) => error.path);
    expect(paths).toEqual(expect.arrayContaining(["body.name", "body.description"]));
    expect((await api.createForum(user(), { name: "x".repeat(81) })).status).toBe(400);

    const malformed = await call(createForum, {
      method: "POST",
      resource: "/",
      path: {},
      rawBody: "{",
      userId: user(),
    });
    expect(malformed.status).toBe(400);
  });

  it("answers a repeated POST with the same idempotency-key with the first forum, and opens one", async () => {
    const ownerId = user();
    const key = randomUUID();
    const body = { name: `Once ${key}` };
    const first = await api.createForum(ownerId, body, { "idempotency-key": key });
    const again = await api.createForum(ownerId, body, { "idempotency-key": key });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
  });

  it("lists every forum newest first, over the list's shards, page by page without repeats or gaps", async () => {
    const created: Forum[] = [];
    for (let n = 0; n < 9; n++) created.push(await newForum(user(), `Forum ${n}`));
    const pages = await walk<Forum>(api.listForums, 4);
    const all = pages.flat();
    const ids = all.map((forum) => forum.forumId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const forum of created) expect(ids).toContain(forum.forumId);
    const order = all.map((forum) => `${forum.createdAt}#${forum.forumId}`);
    expect(order).toEqual([...order].sort().reverse());
    // The forums sit in several of the list's partitions: the page merged them.
    expect(new Set(created.map((forum) => shardOf(forum.forumId, 4))).size).toBeGreaterThan(1);
    expect(all.find((forum) => forum.forumId === created[0]!.forumId)).toEqual(created[0]);
  });

  it("refuses a tampered cursor and a bad limit with a 400 problem", async () => {
    const cursor = (await api.listForums({ limit: "1" })).body.nextCursor as string;
    expect(cursor).toEqual(expect.any(String));
    for (const tampered of [`${cursor.slice(0, 20)}${cursor[20] === "A" ? "B" : "A"}${cursor.slice(21)}`, "garbage"]) {
      const answer = await api.listForums({ cursor: tampered });
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([{ path: "query.cursor", message: expect.any(String) }]);
    }
    // A cursor of the forums list is no cursor of a forum's threads.
    const forum = await newForum();
    expect((await api.listThreads(forum.forumId, { cursor })).status).toBe(400);
    expect((await api.listForums({ limit: "0" })).status).toBe(400);
    expect((await api.listForums({ limit: "101" })).status).toBe(400);
  });
});

describe("threads", () => {
  it("starts a thread (201) with forums.ThreadCreated, and reads it back under its forum only", async () => {
    const forum = await newForum();
    const other = await newForum();
    const authorId = user();
    await directory(authorId, "Ada");
    const thread = await newThread(forum.forumId, authorId);
    expect(thread).toEqual({
      threadId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      forumId: forum.forumId,
      authorId,
      authorName: "Ada",
      title: "Dovetails by hand",
      body: "Which saw do you use?",
      postCount: 0,
      lastPostAt: null,
      createdAt: expect.any(String),
    });
    const read = await api.getThread(forum.forumId, thread.threadId);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(thread);
    expect(read.headers["cache-control"]).toBe("public, max-age=0, s-maxage=1");

    // The same thread id under another forum, and a thread that does not exist: 404.
    expect((await api.getThread(other.forumId, thread.threadId)).status).toBe(404);
    expect((await api.getThread(forum.forumId, "no-such-thread")).status).toBe(404);

    const events = await outboxOf(thread.threadId);
    expect(events.map((event) => [event.type, event.data])).toEqual([
      [
        "forums.ThreadCreated",
        {
          threadId: thread.threadId,
          forumId: forum.forumId,
          authorId,
          title: thread.title,
          createdAt: thread.createdAt,
        },
      ],
    ]);
  });

  it("answers 404 for a thread in an unknown forum (and writes nothing), 400 for a bad body, 401 without a token", async () => {
    const missing = await api.createThread(user(), "no-such-forum", { title: "Lost", body: "Anyone?" });
    expect(missing.status).toBe(404);
    const forum = await newForum();
    const invalid = await api.createThread(user(), forum.forumId, { title: " ", body: "", extra: 1 });
    expect(invalid.status).toBe(400);
    const paths = (invalid.body.errors as { path: string }[]).map((error) => error.path);
    expect(paths).toEqual(expect.arrayContaining(["body.title", "body.body"]));
    expect((await api.createThread(user(), forum.forumId, { title: "t".repeat(201), body: "b" })).status).toBe(400);
    expect((await api.createThread(user(), forum.forumId, { title: "t", body: "b".repeat(10_001) })).status).toBe(400);
    expect((await api.createThread(undefined, forum.forumId, { title: "t", body: "b" })).status).toBe(401);
    expect((await api.listThreads(forum.forumId)).body.items).toEqual([]);
    expect((await api.listThreads("no-such-forum")).status).toBe(404);
  });

  it("lists a forum's threads by most recent activity: a post moves its thread to the top", async () => {
    const forum = await newForum();
    const a = await newThread(forum.forumId, user(), "A");
    const b = await newThread(forum.forumId, user(), "B");
    const c = await newThread(forum.forumId, user(), "C");
    const titles = async () =>
      (await walk<Thread>((q) => api.listThreads(forum.forumId, q), 1)).flat().map((t) => t.title);
    expect(await titles()).toEqual(["C", "B", "A"]);

    const posted = await newPost(forum.forumId, a.threadId);
    expect(await titles()).toEqual(["A", "C", "B"]);
    const page = await api.listThreads(forum.forumId, { limit: "1" });
    expect(page.body.items[0]).toMatchObject({ threadId: a.threadId, postCount: 1, lastPostAt: posted.createdAt });
    await newPost(forum.forumId, b.threadId);
    expect(await titles()).toEqual(["B", "A", "C"]);
    expect(c.postCount).toBe(0);
  });
});

describe("posts", () => {
  it("accepts a post (201) with forums.PostCreated, and answers 404 for a thread of another forum", async () => {
    const forum = await newForum();
    const other = await newForum();
    const thread = await newThread(forum.forumId);
    const authorId = user();
    const post = await newPost(forum.forumId, thread.threadId, authorId, "Pull saws cut on the pull stroke.");
    expect(post).toEqual({
      postId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      threadId: thread.threadId,
      forumId: forum.forumId,
      authorId,
      authorName: null,
      body: "Pull saws cut on the pull stroke.",
      createdAt: expect.any(String),
    });
    expect(await itemAt(keys.post(thread.threadId, 1))).toMatchObject({ postId: post.postId, seq: 1 });
    const events = await outboxOf(thread.threadId);
    expect(events.filter((event) => event.type === "forums.PostCreated").map((event) => event.data)).toEqual([
      { postId: post.postId, threadId: thread.threadId, forumId: forum.forumId, authorId, createdAt: post.createdAt },
    ]);

    const elsewhere = await api.createPost(user(), other.forumId, thread.threadId, { body: "Wrong forum" });
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect((await api.listPosts(other.forumId, thread.threadId)).status).toBe(404);
    expect((await api.createPost(user(), forum.forumId, "no-such-thread", { body: "?" })).status).toBe(404);
    expect((await api.listPosts(forum.forumId, "no-such-thread")).status).toBe(404);
    // Nothing was written under the thread by the refused posts.
    expect((await api.getThread(forum.forumId, thread.threadId)).body.postCount).toBe(1);
  });

  it("answers 400 for a bad body and 401 without a token; an idempotency-key repeat posts once", async () => {
    const forum = await newForum();
    const thread = await newThread(forum.forumId);
    const invalid = await api.createPost(user(), forum.forumId, thread.threadId, { body: "", extra: 1 });
    expect(invalid.status).toBe(400);
    expect((await api.createPost(user(), forum.forumId, thread.threadId, { body: "b".repeat(10_001) })).status).toBe(
      400,
    );
    expect((await api.createPost(undefined, forum.forumId, thread.threadId, { body: "hi" })).status).toBe(401);

    const authorId = user();
    const key = randomUUID();
    const post = () =>
      api.createPost(authorId, forum.forumId, thread.threadId, { body: "once" }, { "idempotency-key": key });
    let first: Awaited<ReturnType<typeof post>> | undefined;
    let again: Awaited<ReturnType<typeof post>> | undefined;
    const once = await emfWrittenBy(async () => {
      first = await post();
    });
    const replayed = await emfWrittenBy(async () => {
      again = await post();
    });
    if (!first || !again) throw new Error("no answer");
    // Counted where the post took its number: once, and the replay nothing.
    expect(sumOf(once, "PostsCreated")).toBe(1);
    expect(sumOf(replayed, "PostsCreated")).toBe(0);
    expect(first.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect((await api.listPosts(forum.forumId, thread.threadId)).body.items).toHaveLength(1);
  });

  it("answers a thread too busy for the time the invocation has left with 409 and retry-after, never a timeout", async () => {
    const forum = await newForum();
    const thread = await newThread(forum.forumId);
    const authors = Array.from({ length: 20 }, () => user());
    // 3.05 s left, 3 s of it kept for answering: one attempt each, then the 409 instead of waiting for a turn.
    const answers = await Promise.all(
      authors.map((authorId, n) =>
        api.createPost(authorId, forum.forumId, thread.threadId, { body: `hurried ${n}` }, undefined, 3_050),
      ),
    );
    const refused = answers.filter((answer) => answer.status === 409);
    const accepted = answers.filter((answer) => answer.status === 201);
    expect(accepted.length + refused.length).toBe(authors.length);
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(answer.headers["retry-after"]).toBe("1");
      expect(answer.headers["content-type"]).toBe("application/problem+json");
    }
    // Only the accepted posts were written, numbered 1..n without a gap.
    const threadItem = await itemAt(keys.thread(forum.forumId, thread.threadId));
    expect(threadItem?.seq).toBe(accepted.length);
  });

  it("keeps one order for 30 concurrent posts: seq 1..30, the list, the outbox and the stream agree", async () => {
    const forum = await newForum();
    const thread = await newThread(forum.forumId);
    const authors = Array.from({ length: 30 }, () => user());
    let answers: Awaited<ReturnType<typeof api.createPost>>[] = [];
    const samples = await emfWrittenBy(async () => {
      answers = await Promise.all(
        authors.map((authorId, n) => api.createPost(authorId, forum.forumId, thread.threadId, { body: `post ${n}` })),
      );
    });
    expect(answers.map((answer) => answer.status)).toEqual(authors.map(() => 201));
    // Each accepted post counted once, however many attempts contention cost it.
    expect(sumOf(samples, "PostsCreated")).toBe(30);
    const accepted = new Map(answers.map((answer) => [answer.body.postId as string, answer.body as Post]));

    // Numbered 1..30, each number once, each post once.
    const stored = await Promise.all(authors.map((_, n) => itemAt(keys.post(thread.threadId, n + 1))));
    expect(stored.map((item) => item?.seq)).toEqual(authors.map((_, n) => n + 1));
    expect(new Set(stored.map((item) => item?.postId))).toEqual(new Set(accepted.keys()));
    const bySeq = stored.map((item) => String(item?.postId));

    // The list, walked with cursors, is that order, oldest first.
    const listed = (await walk<Post>((q) => api.listPosts(forum.forumId, thread.threadId, q), 7)).flat();
    expect(listed.map((post) => post.postId)).toEqual(bySeq);
    const times = listed.map((post) => post.createdAt);
    expect(times).toEqual([...times].sort());
    expect(listed[0]).toEqual(accepted.get(bySeq[0]!));

    // The thread took every post: its seq, count and last post.
    const threadItem = await itemAt(keys.thread(forum.forumId, thread.threadId));
    expect(threadItem).toMatchObject({ seq: 30, postCount: 30, lastPostAt: listed[29]!.createdAt });

    // The outbox holds one PostCreated per post, and the stream hands them to the publisher in seq order.
    const outbox = await outboxOf(thread.threadId);
    const posted = outbox.filter((event) => event.type === "forums.PostCreated");
    expect(posted).toHaveLength(30);
    const postOfEvent = new Map(posted.map((event) => [event.id as string, event.data.postId as string]));
    const streamed = await streamedOutbox(thread.threadId);
    const streamedPosts = streamed.eventIds.map((id) => postOfEvent.get(id)).filter((id) => id !== undefined);
    expect(streamedPosts).toEqual(bySeq);
    expect(streamed.shards.size).toBe(1);
  });

  it("resolves author names when read: unknown is null, and a rename reaches existing posts and threads", async () => {
    const forum = await newForum();
    const authorId = user();
    const thread = await newThread(forum.forumId, authorId);
    expect(thread.authorName).toBeNull();
    await newPost(forum.forumId, thread.threadId, authorId);
    const names = async () => [
      (await api.getThread(forum.forumId, thread.threadId)).body.authorName,
      (await api.listPosts(forum.forumId, thread.threadId)).body.items[0].authorName,
      (await api.listThreads(forum.forumId)).body.items[0].authorName,
    ];
    expect(await names()).toEqual([null, null, null]);

    await directory(authorId, "Grace");
    await new Promise((resolve) => setTimeout(resolve, AUTHOR_CACHE_TTL_MS + 100));
    expect(await names()).toEqual(["Grace", "Grace", "Grace"]);

    await directory(authorId, "Grace H.");
    await new Promise((resolve) => setTimeout(resolve, AUTHOR_CACHE_TTL_MS + 100));
    expect(await names()).toEqual(["Grace H.", "Grace H.", "Grace H."]);
    // Nothing was rewritten: the post item holds the author's id only.
    expect(await itemAt(keys.post(thread.threadId, 1))).not.toHaveProperty("authorName");
  }, 20_000);
});

describe("leaderboard", () => {
  it("lists the authors with the most posts first, over the rank shards, with their names", async () => {
    const authors = Array.from({ length: 12 }, (_, n) => ({ userId: user(), posts: 1_000 + n * 7 }));
    for (const { userId, posts } of authors) await rank(userId, posts);
    await directory(authors[11]!.userId, "Top poster");
    expect(new Set(authors.map((author) => shardOf(author.userId, RANK_SHARDS))).size).toBeGreaterThan(1);

    const answer = await api.leaderboard({ limit: "5" });
    expect(answer.status).toBe(200);
    expect(answer.headers["cache-control"]).toBe("public, max-age=1, s-maxage=2");
    const top = answer.body.items as Leader[];
    const expected = [...authors].sort((x, y) => y.posts - x.posts).slice(0, 5);
    expect(top).toEqual(
      expected.map(({ userId, posts }, n) => ({ userId, posts, displayName: n === 0 ? "Top poster" : null })),
    );
    expect(((await api.leaderboard()).body.items as Leader[]).length).toBe(12);
  });

  it("refuses a limit over 50 with a 400 problem", async () => {
    expect((await api.leaderboard({ limit: "51" })).status).toBe(400);
    expect((await api.leaderboard({ limit: "50" })).status).toBe(200);
  });
});
