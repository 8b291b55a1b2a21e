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
  // The seed writes 400 times a second on average, mostly new content, with peaks several times higher. Assumed: every
  // write is a post, sized for 3× the average: 1,200 posts/s. A record is the envelope with four ids (~520 B typical,
  // ~1.2 KB with every id and header at its longest): 1 KiB. Shards: ⌈1,200 / 1,000⌉ = 2 for the records and
  // ⌈1.17 MiB/s / 1 MiB⌉ = 2 for the bytes in; the three planned consumers read 3.5 MiB/s out, ⌈3.5 / 2⌉ = 2: 2 shards.
  throughput: { peakPerSecond: 1_200, recordBytes: 1_024 },
});
