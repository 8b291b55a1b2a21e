import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Forum, Leader, Post, Thread } from "../../services/forums/api.js";
import { type DevServer, startDev } from "../support/devServer.js";
import {
  type Account,
  eventually,
  flip,
  forumsClient,
  ISO_TIME,
  type Page,
  slow,
  URL_SAFE_ID,
  uid,
} from "../support/forumsClient.js";
import { cognitoLocalSigningKey, expiredClaims, resign, strangerKey, withForeignPayload } from "../support/tokens.js";

/**
 * The forums rows of the HTTP contract (api-contract.md, "Conventions" and "forums"), end to end through the gateway
 * of a real `npm run dev`, as a consumer uses them: every route and listed error, the orders (forums newest first,
 * threads by latest activity, posts in the order accepted), cursors, the leaderboard, and a rename reaching old
 * posts. The events, the post stream and the counters under duplicate delivery, crashes and replay are in
 * forumsEvents.test.ts.
 */

let dev: DevServer;
beforeAll(async () => {
  dev = await startDev();
}, 90_000);
afterAll(async () => {
  await dev?.stop();
});

const {
  call,
  expectOk,
  expectProblem,
  signUp,
  createForumReply,
  createForum,
  createThreadReply,
  createThread,
  postPath,
  createPost,
  getForum,
  getThread,
  walk,
  threadsOf,
  postsOf,
  leaderboard,
  rename,
} = forumsClient(() => dev);

/** Counters are eventually consistent: generous deadlines, never a timed assertion. */
const SETTLE_MS = 45_000;

let owner: Account;
let author: Account;
beforeAll(async () => {
  [owner, author] = await Promise.all([signUp("Owner"), signUp("Author")]);
});

const forumOf = (name: string, description: string | null, by: Account): Forum => ({
  forumId: expect.stringMatching(URL_SAFE_ID),
  name,
  description,
  ownerId: by.userId,
  threadCount: 0,
  postCount: 0,
  createdAt: expect.stringMatching(ISO_TIME),
});

/** `authorName` is the author's current displayName, or null while the directory has not seen them yet (api.ts). */
const nameOf = (by: Account) => expect.toSatisfy((n: unknown) => n === null || n === by.displayName);

const threadOf = (forumId: string, title: string, body: string, by: Account): Thread => ({
  threadId: expect.stringMatching(URL_SAFE_ID),
  forumId,
  authorId: by.userId,
  authorName: nameOf(by),
  title,
  body,
  postCount: 0,
  lastPostAt: null,
  createdAt: expect.stringMatching(ISO_TIME),
});

const postOf = (forumId: string, threadId: string, body: string, by: Account): Post => ({
  postId: expect.stringMatching(URL_SAFE_ID),
  threadId,
  forumId,
  authorId: by.userId,
  authorName: nameOf(by),
  body,
  createdAt: expect.stringMatching(ISO_TIME),
});

/** Tokens a protected route must refuse with 401: none, garbage, another key's signature, expired, a forged payload. */
async function badTokens(account: Account): Promise<Record<string, string | undefined>> {
  const local = await cognitoLocalSigningKey();
  return {
    missing: undefined,
    garbage: "not-a-jwt",
    "signed by a stranger key": await resign(account.token, await strangerKey()),
    expired: await resign(account.token, local, expiredClaims(account.token)),
    "payload swapped under the signature": withForeignPayload(account.token, { sub: randomUUID() }),
  };
}

/**
 * The forum list once it shows a forum created after whatever was tried (the list is cached briefly at the edge,
 * `s-maxage`): a sentinel makes "nothing was created" checkable without a timed assertion.
 */
async function forumsAfterSentinel(): Promise<Forum[]> {
  const sentinel = await createForum(owner, uid("Sentinel"));
  const everything = () => walk<Forum>("/forums", "limit=100").then((pages) => pages.flatMap((p) => p.items));
  const listed = await eventually(everything, (all) => all.some((f) => f.forumId === sentinel.forumId), 15_000, 250);
  expect(listed.map((f) => f.forumId)).toContain(sentinel.forumId);
  return listed;
}

/** The forum's threads once they show one started after whatever was tried (see {@link forumsAfterSentinel}). */
async function threadsAfterSentinel(forumId: string): Promise<Thread[]> {
  const sentinel = await createThread(owner, forumId, uid("Sentinel"), "s");
  const listed = await eventually(
    () => threadsOf(forumId),
    (all) => all.some((t) => t.threadId === sentinel.threadId),
    15_000,
    250,
  );
  expect(listed.map((t) => t.threadId)).toContain(sentinel.threadId);
  return listed;
}

describe("POST /forums, GET /forums/{forumId}", () => {
  test("201 Forum (name trimmed, description null when left out); GET 200 the same Forum", async () => {
    const before = Date.now();
    const created = await createForum(owner, "  Gardening  ", "Plants and soil");
    expect(created).toEqual(forumOf("Gardening", "Plants and soil", owner));
    expect(Date.parse(created.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(created.createdAt)).toBeLessThanOrEqual(Date.now() + 1000);
    expect(expectOk(await getForum(created.forumId))).toEqual(created);

    const bare = await createForum(owner, "x");
    expect(bare).toEqual(forumOf("x", null, owner));
    expect(bare.forumId).not.toBe(created.forumId);
    // The bounds themselves are accepted: name 80, description 500 (and an empty description).
    const longest = await createForum(author, "n".repeat(80), "d".repeat(500));
    expect(longest).toEqual(forumOf("n".repeat(80), "d".repeat(500), author));
    expect(await createForum(author, "empty description", "")).toEqual(forumOf("empty description", "", author));
  });

  test("a repeat with the same idempotency-key answers the first Forum and creates nothing more", async () => {
    const key = randomUUID();
    const name = uid("Idem");
    const first = await createForumReply(owner.token, { name }, { "idempotency-key": key });
    const again = await createForumReply(owner.token, { name }, { "idempotency-key": key });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body).toEqual(first.body);
    const named = (await forumsAfterSentinel()).filter((f) => f.name === name);
    expect(named).toEqual([first.body]);
  });

  test.each([
    { name: "name empty", json: { name: "" }, paths: ["body.name"] },
    { name: "name blank", json: { name: "    " }, paths: ["body.name"] },
    { name: "name of 81", json: { name: "n".repeat(81) }, paths: ["body.name"] },
    { name: "no name", json: { description: "d" }, paths: ["body.name"] },
    { name: "description of 501", json: { name: "ok", description: "d".repeat(501) }, paths: ["body.description"] },
    {
      name: "name of 81 and description of 501",
      json: { name: "n".repeat(81), description: "d".repeat(501) },
      paths: ["body.name", "body.description"],
    },
    {
      name: "both of the wrong type",
      json: { name: 42, description: ["d"] },
      paths: ["body.name", "body.description"],
    },
    {
      name: "name null, description a number",
      json: { name: null, description: 5 },
      paths: ["body.name", "body.description"],
    },
  ])("POST /forums 400 listing every violated field: $name", async ({ json, paths }) => {
    const name = uid("never");
    expectProblem(await createForumReply(owner.token, json), "validation", paths);
    expect((await forumsAfterSentinel()).some((f) => f.name === name)).toBe(false);
  });

  test("POST /forums 400 for a body that is no object of name and description, or not JSON", async () => {
    for (const json of [[], "a forum", 7, null, { name: "ok", ownerId: owner.userId }])
      expectProblem(await createForumReply(owner.token, json), ["validation", "bad-request"]);
    const broken = await call("POST", "/forums", { token: owner.token, raw: '{"name": "oops"' });
    expectProblem(broken, ["malformed-json", "bad-request"]);
  });

  test("POST /forums 401 for a missing, malformed, forged or expired token; nothing created", async () => {
    const name = uid("Unauth");
    for (const [what, token] of Object.entries(await badTokens(owner))) {
      const reply = await call("POST", "/forums", { json: { name }, ...(token ? { token } : {}) });
      expect(reply.status, `${what}: ${reply.text}`).toBe(401);
      expectProblem(reply, "unauthorized");
    }
    expect((await forumsAfterSentinel()).some((f) => f.name === name)).toBe(false);
  });

  test("GET /forums/{unknown} 404 problem", async () => {
    expectProblem(await getForum(uid("nope")), "not-found");
    expectProblem(await getForum("AAAAAAAAAAAAAAAAAAAAAA"), "not-found");
  });
});

describe("GET /forums: pages with a cursor to the end", () => {
  let mine: Forum[];
  beforeAll(async () => {
    const lister = await signUp("Lister");
    mine = [];
    for (let i = 0; i < 9; i++) mine.push(await createForum(lister, uid(`Listed${i}`)));
  });

  const ids = (forums: readonly Forum[]) => forums.map((f) => f.forumId);
  const newestFirst = (a: Forum, b: Forum) => {
    const [x, y] = [`${a.createdAt}#${a.forumId}`, `${b.createdAt}#${b.forumId}`];
    return x === y ? 0 : x < y ? 1 : -1;
  };

  test(
    "every page size walks one list, newest first, no duplicate, no gap, nextCursor null at the end",
    slow,
    async () => {
      // The list is cached at the edge for a moment (s-maxage): read until it holds every forum of the test.
      const everything = await eventually(
        () => walk<Forum>("/forums", "limit=100").then((pages) => pages.flatMap((p) => p.items)),
        (all) => mine.every((m) => all.some((f) => f.forumId === m.forumId)),
        15_000,
        250,
      );
      expect(ids(everything.filter((f) => mine.some((m) => m.forumId === f.forumId)))).toEqual(
        ids([...mine].sort(newestFirst)),
      );
      expect(ids(everything)).toEqual(ids([...everything].sort(newestFirst)));
      for (const limit of [1, 2, 4, 20]) {
        const pages = await eventually(
          () => walk<Forum>("/forums", `limit=${limit}`),
          (ps) => ps.flatMap((p) => p.items).length >= everything.length,
          15_000,
          250,
        );
        for (const page of pages.slice(0, -1)) expect(page.items, `limit=${limit}`).toHaveLength(limit);
        expect(pages.at(-1)!.items.length).toBeLessThanOrEqual(limit);
        const walked = pages.flatMap((p) => p.items);
        expect(new Set(ids(walked)).size, `limit=${limit}: duplicates`).toBe(walked.length);
        expect(ids(walked), `limit=${limit}`).toEqual(ids(everything));
        // DynamoDB-style pages: the last full page may still carry a cursor to an empty one (shared/data/queryPage.ts).
        expect(pages.length).toBeGreaterThanOrEqual(Math.max(1, Math.ceil(everything.length / limit)));
        expect(pages.length).toBeLessThanOrEqual(Math.ceil(everything.length / limit) + 1);
      }
      // Default page: 20 at most, the head of the list.
      const first = expectOk(
        await eventually(
          () => call<Page<Forum>>("GET", "/forums"),
          (r) => r.body.items?.[0]?.forumId === everything[0]!.forumId,
          15_000,
          250,
        ),
      );
      expect(ids(first.items)).toEqual(ids(everything.slice(0, 20)));
      expect(first.nextCursor === null).toBe(everything.length <= 20);
      // The forums in the list are the Forums GET answers.
      for (const forum of mine) expect(everything.find((f) => f.forumId === forum.forumId)).toEqual(forum);
    },
  );

  test.each(["0", "101", "abc", "-1", "1.5", "", "1e2"])(
    "GET /forums?limit=%s 400 lists query.limit",
    async (limit) => {
      expectProblem(await call("GET", `/forums?limit=${limit}`), "validation", ["query.limit"]);
    },
  );

  test("a tampered cursor is a 400, never a 5xx; the unchanged cursor continues", async () => {
    const cursor = expectOk(await call<Page<Forum>>("GET", "/forums?limit=2")).nextCursor!;
    expect(cursor).toEqual(expect.any(String));
    const tampered = [
      flip(cursor, 0),
      flip(cursor, Math.floor(cursor.length / 2)),
      flip(cursor, cursor.length - 3),
      cursor.slice(0, -4),
      `${cursor}A`,
      Buffer.from("garbage, not a cursor").toString("base64url"),
      Buffer.from(JSON.stringify({ k: { pk: "FORUM#x", sk: "FORUM" } })).toString("base64url"),
      "!!not*base64~~",
      "A".repeat(3000),
    ];
    for (const bad of tampered) {
      const reply = await call("GET", `/forums?limit=2&cursor=${encodeURIComponent(bad)}`);
      expect(reply.status, `${bad.slice(0, 40)}: ${reply.text}`).toBe(400);
      const problem = expectProblem(reply, ["bad-request", "validation"]);
      for (const error of problem.errors ?? []) expect(error.path).toBe("query.cursor");
    }
    expect(
      expectOk(await call<Page<Forum>>("GET", `/forums?limit=2&cursor=${encodeURIComponent(cursor)}`)).items,
    ).not.toHaveLength(0);
  });
});

describe("threads", () => {
  let forum: Forum;
  let other: Forum;
  beforeAll(async () => {
    forum = await createForum(owner, uid("Threads"));
    other = await createForum(owner, uid("Other"));
  });

  test("POST /forums/{forumId}/threads 201 Thread; GET …/threads/{threadId} 200 the same Thread", async () => {
    const created = await createThread(author, forum.forumId, "  First thread  ", "Hello there");
    expect(created).toEqual(threadOf(forum.forumId, "First thread", "Hello there", author));
    const read = expectOk(await getThread(forum.forumId, created.threadId));
    expect(read).toEqual({ ...created, authorName: nameOf(author) });
    // The bounds: title 200, body 10,000.
    const longest = await createThread(author, forum.forumId, "t".repeat(200), "b".repeat(10_000));
    expect(longest).toEqual(threadOf(forum.forumId, "t".repeat(200), "b".repeat(10_000), author));
    // The author's name arrives from the users events.
    const named = await eventually(
      () => getThread(forum.forumId, created.threadId),
      (r) => r.body.authorName === author.displayName,
      SETTLE_MS,
      250,
    );
    expect(expectOk(named).authorName).toBe(author.displayName);
  });

  test.each([
    { name: "title empty", json: { title: "", body: "b" }, paths: ["body.title"] },
    { name: "title blank", json: { title: "   ", body: "b" }, paths: ["body.title"] },
    { name: "title of 201", json: { title: "t".repeat(201), body: "b" }, paths: ["body.title"] },
    { name: "body empty", json: { title: "t", body: "" }, paths: ["body.body"] },
    { name: "body of 10001", json: { title: "t", body: "b".repeat(10_001) }, paths: ["body.body"] },
    { name: "neither", json: {}, paths: ["body.title", "body.body"] },
    { name: "both wrong", json: { title: 1, body: false }, paths: ["body.title", "body.body"] },
    {
      name: "both too long",
      json: { title: "t".repeat(201), body: "b".repeat(10_001) },
      paths: ["body.title", "body.body"],
    },
  ])("POST …/threads 400 listing every violated field: $name", async ({ json, paths }) => {
    expectProblem(await createThreadReply(author.token, forum.forumId, json), "validation", paths);
  });

  test("POST …/threads 404 for an unknown forum (nothing written), 401 without a valid token", async () => {
    const unknown = uid("nope");
    expectProblem(await createThreadReply(author.token, unknown, { title: "t", body: "b" }), "not-found");
    expectProblem(await call("GET", `/forums/${unknown}/threads`), "not-found");
    const title = uid("Unauth");
    for (const [what, token] of Object.entries(await badTokens(author))) {
      const reply = await call("POST", `/forums/${forum.forumId}/threads`, {
        json: { title, body: "b" },
        ...(token ? { token } : {}),
      });
      expect(reply.status, `${what}: ${reply.text}`).toBe(401);
      expectProblem(reply, "unauthorized");
    }
    expect((await threadsAfterSentinel(forum.forumId)).some((t) => t.title === title)).toBe(false);
  });

  test("GET …/threads/{threadId} 404 for an unknown thread, and for a thread id under ANOTHER forum", async () => {
    const thread = await createThread(author, forum.forumId, uid("Mine"), "b");
    expectProblem(await getThread(forum.forumId, uid("nope")), "not-found");
    expectProblem(await getThread(uid("nope"), thread.threadId), "not-found");
    expectProblem(await getThread(other.forumId, thread.threadId), "not-found");
    expectProblem(await call("GET", postPath(other.forumId, thread.threadId)), "not-found");
    expectProblem(
      await call("POST", postPath(other.forumId, thread.threadId), { token: author.token, json: { body: "x" } }),
      "not-found",
    );
    expect((await threadsAfterSentinel(other.forumId)).map((t) => t.threadId)).not.toContain(thread.threadId);
    // Nothing was posted into it through the other forum.
    expect(expectOk(await getThread(forum.forumId, thread.threadId)).postCount).toBe(0);
  });

  test(
    "GET …/threads: most recent activity first; a post moves its thread to the top; cursor pages; 404",
    slow,
    async () => {
      const place = await createForum(owner, uid("Activity"));
      const a = await createThread(author, place.forumId, "A", "a");
      const b = await createThread(owner, place.forumId, "B", "b");
      const c = await createThread(author, place.forumId, "C", "c");
      const titles = (threads: readonly Thread[]) => threads.map((t) => t.title);
      const listed = await eventually(
        () => threadsOf(place.forumId),
        (threads) => titles(threads).join() === "C,B,A",
        10_000,
        250,
      );
      expect(titles(listed)).toEqual(["C", "B", "A"]);
      expect(listed[0]).toEqual({ ...c, authorName: nameOf(author) });

      const post = await createPost(owner, place.forumId, a.threadId, "bump A");
      const moved = await eventually(
        () => threadsOf(place.forumId),
        (threads) => titles(threads).join() === "A,C,B",
        10_000,
        250,
      );
      expect(titles(moved)).toEqual(["A", "C", "B"]);
      expect(moved[0]).toEqual({
        ...a,
        authorName: nameOf(author),
        postCount: 1,
        lastPostAt: post.createdAt,
      });

      await createPost(author, place.forumId, b.threadId, "bump B");
      const again = await eventually(
        () => threadsOf(place.forumId),
        (threads) => titles(threads).join() === "B,A,C",
        10_000,
        250,
      );
      expect(titles(again)).toEqual(["B", "A", "C"]);

      // One at a time, to the end: the same list.
      const pages = await walk<Thread>(`/forums/${place.forumId}/threads`, "limit=1");
      // Three pages of one, and perhaps an empty last one (a full page may carry a cursor: shared/data/queryPage.ts).
      expect(pages.length).toBeGreaterThanOrEqual(3);
      expect(pages.length).toBeLessThanOrEqual(4);
      for (const page of pages.slice(0, 3)) expect(page.items).toHaveLength(1);
      expect(titles(pages.flatMap((p) => p.items))).toEqual(["B", "A", "C"]);
      for (const limit of ["0", "101", "x"])
        expectProblem(await call("GET", `/forums/${place.forumId}/threads?limit=${limit}`), "validation", [
          "query.limit",
        ]);
      const cursor = expectOk(await call<Page<Thread>>("GET", `/forums/${place.forumId}/threads?limit=1`)).nextCursor!;
      for (const bad of [flip(cursor, Math.floor(cursor.length / 2)), cursor.slice(0, -3), "!!"]) {
        const reply = await call("GET", `/forums/${place.forumId}/threads?limit=1&cursor=${encodeURIComponent(bad)}`);
        expect(reply.status, reply.text).toBe(400);
      }
      // A cursor of another forum's list is not this one's.
      const foreign = expectOk(await call<Page<Thread>>("GET", `/forums/${forum.forumId}/threads?limit=1`)).nextCursor;
      if (foreign) {
        const reply = await call(
          "GET",
          `/forums/${place.forumId}/threads?limit=1&cursor=${encodeURIComponent(foreign)}`,
        );
        expect(reply.status, reply.text).toBe(400);
      }
      expectProblem(await call("GET", `/forums/${uid("nope")}/threads`), "not-found");
      const empty = await createForum(owner, uid("Empty"));
      expect(expectOk(await call<Page<Thread>>("GET", `/forums/${empty.forumId}/threads`))).toEqual({
        items: [],
        nextCursor: null,
      });
    },
  );
});

describe("posts", () => {
  let forum: Forum;
  let thread: Thread;
  beforeAll(async () => {
    forum = await createForum(owner, uid("Posts"));
    thread = await createThread(owner, forum.forumId, uid("Talk"), "Let us talk");
  });

  test(
    "POST …/posts 201 Post; GET …/posts oldest first in the order accepted, walked with cursors; the thread counts them",
    slow,
    async () => {
      const written: Post[] = [];
      for (let i = 0; i < 7; i++) {
        const by = i % 2 === 0 ? author : owner;
        const post = await createPost(by, forum.forumId, thread.threadId, `post ${i}`);
        expect(post).toEqual(postOf(forum.forumId, thread.threadId, `post ${i}`, by));
        written.push(post);
      }
      const longest = await createPost(author, forum.forumId, thread.threadId, "p".repeat(10_000));
      expect(longest).toEqual(postOf(forum.forumId, thread.threadId, "p".repeat(10_000), author));
      written.push(longest);
      const times = written.map((p) => p.createdAt);
      expect(times).toEqual([...times].sort());

      const ids = (posts: readonly Post[]) => posts.map((p) => p.postId);
      const listed = await postsOf(forum.forumId, thread.threadId);
      expect(ids(listed)).toEqual(ids(written));
      for (const [i, post] of listed.entries())
        expect(post).toEqual({ ...written[i], authorName: expect.toSatisfy(() => true) });
      for (const limit of [1, 3, 8]) {
        const pages = await walk<Post>(postPath(forum.forumId, thread.threadId), `limit=${limit}`);
        expect(pages.length, `limit=${limit}`).toBeGreaterThanOrEqual(Math.ceil(8 / limit));
        expect(pages.length, `limit=${limit}`).toBeLessThanOrEqual(Math.ceil(8 / limit) + 1);
        for (const page of pages.slice(0, -1)) expect(page.items).toHaveLength(limit);
        expect(ids(pages.flatMap((p) => p.items)), `limit=${limit}`).toEqual(ids(written));
      }
      const head = expectOk(await call<Page<Post>>("GET", postPath(forum.forumId, thread.threadId)));
      expect(head).toEqual({ items: expect.any(Array), nextCursor: null });
      expect(ids(head.items)).toEqual(ids(written));

      // The thread's own counters come with the post, at once (store/posts.ts).
      const read = expectOk(await getThread(forum.forumId, thread.threadId));
      expect(read).toEqual({
        ...thread,
        authorName: nameOf(owner),
        postCount: 8,
        lastPostAt: longest.createdAt,
      });
      // And the names arrive: every post names its author.
      const named = await eventually(
        () => postsOf(forum.forumId, thread.threadId),
        (posts) => posts.every((p) => p.authorName !== null),
        SETTLE_MS,
        250,
      );
      for (const post of named)
        expect(post.authorName).toBe(post.authorId === author.userId ? author.displayName : owner.displayName);
    },
  );

  test("a post repeated with the same idempotency-key answers the first Post and is accepted once", async () => {
    const place = await createThread(author, forum.forumId, uid("Idem"), "b");
    const key = randomUUID();
    const send = () =>
      call<Post>("POST", postPath(forum.forumId, place.threadId), {
        token: author.token,
        json: { body: "once" },
        headers: { "idempotency-key": key },
      });
    const first = await send();
    const again = await send();
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body).toEqual(first.body);
    expect((await postsOf(forum.forumId, place.threadId)).map((p) => p.postId)).toEqual([first.body.postId]);
    expect(expectOk(await getThread(forum.forumId, place.threadId)).postCount).toBe(1);
  });

  test.each([
    { name: "body empty", json: { body: "" } },
    { name: "body of 10001", json: { body: "b".repeat(10_001) } },
    { name: "no body", json: {} },
    { name: "body a number", json: { body: 12 } },
    { name: "body null", json: { body: null } },
  ])("POST …/posts 400 lists body.body: $name", async ({ json }) => {
    const reply = await call("POST", postPath(forum.forumId, thread.threadId), { token: author.token, json });
    expectProblem(reply, "validation", ["body.body"]);
  });

  test("POST …/posts 404 for an unknown thread or forum, 401 without a valid token; GET …/posts 404", async () => {
    const before = expectOk(await getThread(forum.forumId, thread.threadId)).postCount;
    for (const path of [postPath(forum.forumId, uid("nope")), postPath(uid("nope"), thread.threadId)]) {
      expectProblem(await call("POST", path, { token: author.token, json: { body: "lost" } }), "not-found");
      expectProblem(await call("GET", path), "not-found");
    }
    for (const [what, token] of Object.entries(await badTokens(author))) {
      const reply = await call("POST", postPath(forum.forumId, thread.threadId), {
        json: { body: "anonymous" },
        ...(token ? { token } : {}),
      });
      expect(reply.status, `${what}: ${reply.text}`).toBe(401);
      expectProblem(reply, "unauthorized");
    }
    for (const limit of ["0", "101", "two"])
      expectProblem(await call("GET", `${postPath(forum.forumId, thread.threadId)}?limit=${limit}`), "validation", [
        "query.limit",
      ]);
    expect(expectOk(await getThread(forum.forumId, thread.threadId)).postCount).toBe(before);
  });
});

describe("GET /forums/leaderboard", () => {
  test.each(["51", "0", "abc", "-3", "2.5"])("?limit=%s 400 lists query.limit", async (limit) => {
    expectProblem(await call("GET", `/forums/leaderboard?limit=${limit}`), "validation", ["query.limit"]);
  });

  test("most posts first, with each author's displayName and exact count once the counters settle", slow, async () => {
    const [gold, silver, bronze] = await Promise.all([signUp("Gold"), signUp("Silver"), signUp("Bronze")]);
    const forum = await createForum(gold, uid("Board"));
    const thread = await createThread(gold, forum.forumId, uid("Race"), "go");
    const plan: [Account, number][] = [
      [gold, 6],
      [silver, 4],
      [bronze, 2],
    ];
    for (const [who, n] of plan)
      for (let i = 0; i < n; i++) await createPost(who, forum.forumId, thread.threadId, `${who.displayName} ${i}`);
    const began = Date.now();
    const want = (items: readonly Leader[]) =>
      plan.every(([who, n]) => items.find((l) => l.userId === who.userId)?.posts === n) &&
      plan.every(([who]) => items.find((l) => l.userId === who.userId)?.displayName === who.displayName);
    const board = await eventually(() => leaderboard(50), want, SETTLE_MS, 500);
    console.log(`[leaderboard] 12 posts by 3 authors counted and named in ${Date.now() - began} ms`);
    for (const [who, n] of plan)
      expect(board.find((l) => l.userId === who.userId)).toEqual({
        userId: who.userId,
        displayName: who.displayName,
        posts: n,
      });
    const counts = board.map((l) => l.posts);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const at = (who: Account) => board.findIndex((l) => l.userId === who.userId);
    expect(at(gold)).toBeLessThan(at(silver));
    expect(at(silver)).toBeLessThan(at(bronze));
    expect(new Set(board.map((l) => l.userId)).size).toBe(board.length);
    expect(board.length).toBeLessThanOrEqual(50);
    // ?limit cuts the same order; the default is at most 20.
    const top = await leaderboard(1);
    expect(top).toEqual([board[0]]);
    const dflt = expectOk(await call<{ items: Leader[] }>("GET", "/forums/leaderboard")).items;
    expect(dflt.length).toBeLessThanOrEqual(20);
    expect(dflt.map((l) => l.posts)).toEqual(board.slice(0, dflt.length).map((l) => l.posts));
    // The forum's own counters settle to the same numbers.
    const settled = await eventually(
      () => getForum(forum.forumId),
      (r) => r.body.postCount === 12 && r.body.threadCount === 1,
      SETTLE_MS,
      500,
    );
    expect(expectOk(settled)).toEqual({ ...forum, postCount: 12, threadCount: 1 });
  });
});

describe("a rename reaches old posts", () => {
  test("after PATCH /users/me, existing threads, posts and the leaderboard read the new authorName", slow, async () => {
    const writer = await signUp("Writer");
    const forum = await createForum(owner, uid("Renames"));
    const thread = await createThread(writer, forum.forumId, uid("Old"), "old words");
    const posts = [
      await createPost(writer, forum.forumId, thread.threadId, "one"),
      await createPost(owner, forum.forumId, thread.threadId, "two"),
      await createPost(writer, forum.forumId, thread.threadId, "three"),
    ];
    const seen = async () => {
      const [t, list, listedThreads, board] = await Promise.all([
        getThread(forum.forumId, thread.threadId),
        postsOf(forum.forumId, thread.threadId),
        threadsOf(forum.forumId),
        leaderboard(50),
      ]);
      return {
        thread: t.body.authorName,
        listed: listedThreads.find((x) => x.threadId === thread.threadId)?.authorName,
        posts: list.filter((p) => p.authorId === writer.userId).map((p) => p.authorName),
        others: list.filter((p) => p.authorId === owner.userId).map((p) => p.authorName),
        board: board.find((l) => l.userId === writer.userId)?.displayName,
        count: list.length,
      };
    };
    const all = (name: string) => (s: Awaited<ReturnType<typeof seen>>) =>
      s.thread === name && s.listed === name && s.board === name && s.posts.every((n) => n === name);
    const before = await eventually(seen, all(writer.displayName), SETTLE_MS, 250);
    expect(before).toEqual({
      thread: writer.displayName,
      listed: writer.displayName,
      posts: [writer.displayName, writer.displayName],
      others: [owner.displayName],
      board: writer.displayName,
      count: posts.length,
    });

    const newName = uid("Renamed");
    await rename(writer, newName);
    const began = Date.now();
    const after = await eventually(seen, all(newName), SETTLE_MS, 250);
    console.log(
      `[rename] the new authorName reached the thread, its posts and the leaderboard in ${Date.now() - began} ms`,
    );
    expect(after).toEqual({
      thread: newName,
      listed: newName,
      posts: [newName, newName],
      others: [owner.displayName],
      board: newName,
      count: posts.length,
    });
    // Nothing else about the posts changed.
    const listed = await postsOf(forum.forumId, thread.threadId);
    for (const [i, post] of listed.entries())
      expect(post).toEqual({ ...posts[i], authorName: post.authorId === writer.userId ? newName : owner.displayName });
  });
});
