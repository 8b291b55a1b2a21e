import * as v from "valibot";
import { id, isoTime } from "../../events/fields.js";
import { pageQuery, pageQueryUpTo } from "../../shared/data/pageQuery.js";
import { defineRoute } from "../../shared/topology/defineService.js";

/**
 * The forums rows of the HTTP contract: each route's schemas, status, auth and caching, written once. The service
 * lists these routes, each handler reads its own (`routeHandler`), and the OpenAPI document is generated from them.
 */

const ROUTES = "services/forums/routes";

const text = (max: number) =>
  v.pipe(v.string(), v.minLength(1, "must not be empty"), v.maxLength(max, `must be at most ${max} characters`));
/** Trimmed first, so a blank one is refused; the pattern says so in the OpenAPI document. */
const trimmed = (max: number) =>
  v.pipe(
    v.string(),
    v.regex(/\S/, "must not be blank"),
    v.trim(),
    v.minLength(1, "must not be empty"),
    v.maxLength(max, `must be at most ${max} characters`),
  );
const count = v.pipe(v.number(), v.integer(), v.minValue(0));

export const forum = v.object({
  forumId: id,
  name: v.string(),
  description: v.nullable(v.string()),
  ownerId: id,
  threadCount: count,
  postCount: count,
  createdAt: isoTime,
});
export type Forum = v.InferOutput<typeof forum>;

/** `authorName`: the author's current `displayName`, or `null` while the author directory has not seen them. */
export const thread = v.object({
  threadId: id,
  forumId: id,
  authorId: id,
  authorName: v.nullable(v.string()),
  title: v.string(),
  body: v.string(),
  postCount: count,
  lastPostAt: v.nullable(isoTime),
  createdAt: isoTime,
});
export type Thread = v.InferOutput<typeof thread>;

export const post = v.object({
  postId: id,
  threadId: id,
  forumId: id,
  authorId: id,
  authorName: v.nullable(v.string()),
  body: v.string(),
  createdAt: isoTime,
});
export type Post = v.InferOutput<typeof post>;

export const leader = v.object({ userId: id, displayName: v.nullable(v.string()), posts: count });
export type Leader = v.InferOutput<typeof leader>;

const page = (item: v.GenericSchema) => v.object({ items: v.array(item), nextCursor: v.nullable(v.string()) });
const forumPath = v.object({ forumId: id });
const threadPath = v.object({ forumId: id, threadId: id });

/**
 * HTTP caching of the public reads (browsers `max-age`, the CDN `s-maxage`; authorized requests are never shared).
 * Forums and the leaderboard change slowly and their counters are eventually consistent anyway: 1 s + 2 s, as the
 * products reads. Thread and post lists move with every post, and a reader expects to see a post they just wrote:
 * no reuse by the browser (it revalidates, a 304 when nothing changed) and 1 s at the CDN, which still collapses a
 * burst of readers of one busy thread into one origin read a second.
 */
const slowCache = { maxAgeSeconds: 1, sMaxAgeSeconds: 2 } as const;
const liveCache = { maxAgeSeconds: 0, sMaxAgeSeconds: 1 } as const;

export const createForumRoute = defineRoute({
  method: "POST",
  path: "/",
  auth: true,
  links: ["ForumsTable"],
  handler: `${ROUTES}/createForum.handler`,
  summary: "Open a forum (the caller owns it)",
  schemas: {
    body: v.strictObject(
      {
        name: trimmed(80),
        description: v.optional(v.pipe(v.string(), v.maxLength(500, "must be at most 500 characters"))),
      },
      "must be an object with only name and description",
    ),
    response: forum,
  },
  successStatus: 201,
  errors: [400, 401],
  idempotency: { table: "ForumsTable" },
});

export const listForumsRoute = defineRoute({
  method: "GET",
  path: "/",
  auth: false,
  links: ["ForumsTable"],
  handler: `${ROUTES}/listForums.handler`,
  summary: "Forums, newest first",
  schemas: { query: pageQuery, response: page(forum) },
  cache: slowCache,
  errors: [400],
});

// A literal segment beats a parameter (API Gateway and the local gateway alike): `/leaderboard` is never a forum id.
export const leaderboardRoute = defineRoute({
  method: "GET",
  path: "/leaderboard",
  auth: false,
  links: ["ForumsTable"],
  handler: `${ROUTES}/leaderboard.handler`,
  summary: "The authors with the most posts, most posts first",
  schemas: {
    query: v.object({ limit: pageQueryUpTo(50).entries.limit }),
    response: v.object({ items: v.array(leader) }),
  },
  cache: slowCache,
  errors: [400],
});

export const getForumRoute = defineRoute({
  method: "GET",
  path: "/{forumId}",
  auth: false,
  links: ["ForumsTable"],
  handler: `${ROUTES}/getForum.handler`,
  summary: "One forum",
  schemas: { path: forumPath, response: forum },
  cache: slowCache,
  errors: [404],
});

export const createThreadRoute = defineRoute({
  method: "POST",
  path: "/{forumId}/threads",
  auth: true,
  links: ["ForumsTable"],
  handler: `${ROUTES}/createThread.handler`,
  summary: "Start a thread in a forum",
  schemas: {
    path: forumPath,
    body: v.strictObject({ title: trimmed(200), body: text(10_000) }, "must be an object with only title and body"),
    response: thread,
  },
  successStatus: 201,
  errors: [400, 401, 404],
  idempotency: { table: "ForumsTable" },
});

export const listThreadsRoute = defineRoute({
  method: "GET",
  path: "/{forumId}/threads",
  auth: false,
  links: ["ForumsTable"],
  handler: `${ROUTES}/listThreads.handler`,
  summary: "A forum's threads, most recent activity (its last post, else its start) first",
  schemas: { path: forumPath, query: pageQuery, response: page(thread) },
  cache: liveCache,
  errors: [400, 404],
});

export const getThreadRoute = defineRoute({
  method: "GET",
  path: "/{forumId}/threads/{threadId}",
  auth: false,
  links: ["ForumsTable"],
  handler: `${ROUTES}/getThread.handler`,
  summary: "One thread of a forum (a thread of another forum is a 404)",
  schemas: { path: threadPath, response: thread },
  cache: liveCache,
  errors: [404],
});

export const createPostRoute = defineRoute({
  method: "POST",
  path: "/{forumId}/threads/{threadId}/posts",
  auth: true,
  links: ["ForumsTable"],
  handler: `${ROUTES}/createPost.handler`,
  summary: "Post in a thread; the thread numbers its posts in the order it accepts them",
  schemas: {
    path: threadPath,
    body: v.strictObject({ body: text(10_000) }, "must be an object with only body"),
    response: post,
  },
  successStatus: 201,
  // 409 (with `retry-after`): the thread took so many posts at once that this one lost every attempt to be next.
  errors: [400, 401, 404, 409],
  idempotency: { table: "ForumsTable" },
});

export const listPostsRoute = defineRoute({
  method: "GET",
  path: "/{forumId}/threads/{threadId}/posts",
  auth: false,
  links: ["ForumsTable"],
  handler: `${ROUTES}/listPosts.handler`,
  summary: "A thread's posts, oldest first, in the order the thread accepted them",
  schemas: { path: threadPath, query: pageQuery, response: page(post) },
  cache: liveCache,
  errors: [400, 404],
});

export const forumsRoutes = [
  createForumRoute,
  listForumsRoute,
  leaderboardRoute,
  getForumRoute,
  createThreadRoute,
  listThreadsRoute,
  getThreadRoute,
  createPostRoute,
  listPostsRoute,
];
