import * as v from "valibot";
import { defineEvent } from "../shared/events/defineEvent.js";
import { needs } from "../shared/routing/index.js";
import { id, isoTime } from "./fields.js";

const fanOut = needs({ fanOut: "many" });

export const ForumCreated = defineEvent({
  domain: "forums",
  name: "ForumCreated",
  version: 1,
  description: "A forum was opened.",
  schema: v.object({
    forumId: id,
    name: v.pipe(v.string(), v.minLength(1), v.maxLength(80)),
    ownerId: id,
    createdAt: isoTime,
  }),
  needs: fanOut,
});

export const ThreadCreated = defineEvent({
  domain: "forums",
  name: "ThreadCreated",
  version: 1,
  description: "A thread was started in a forum; counts towards the forum's threadCount and its author's stats.",
  schema: v.object({
    threadId: id,
    forumId: id,
    authorId: id,
    title: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
    createdAt: isoTime,
  }),
  needs: fanOut,
});

export const PostCreated = defineEvent({
  domain: "forums",
  name: "PostCreated",
  version: 1,
  description: "A post was accepted in a thread; counters, the leaderboard and user stats read it in order.",
  schema: v.object({ postId: id, threadId: id, forumId: id, authorId: id, createdAt: isoTime }),
  needs: needs({ fanOut: "few", ordering: "perKey", replay: true }),
  partitionKey: "threadId",
});
