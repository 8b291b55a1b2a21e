import { ForumCreated, PostCreated, ThreadCreated } from "../../events/forums.js";
import { UserProfileUpdated, UserRegistered } from "../../events/users.js";
import { defineService } from "../../shared/topology/defineService.js";
import { forumsRoutes } from "./api.js";
import { forumsMetrics } from "./metrics.js";

/**
 * Forums, threads and posts. A thread numbers its posts in the order it accepts them, and that one order is the
 * posts list, `forums.PostCreated` on the stream (partitioned by thread) and what every consumer sees
 * (`store/posts.ts`). Counters come from its own events; author names from a directory the users events fill.
 */
export default defineService({
  name: "forums",
  basePath: "/forums",
  metrics: forumsMetrics,
  tables: {
    ForumsTable: {
      partitionKey: "pk",
      sortKey: "sk",
      ttl: "expiresAt",
      // See store/keys.ts for what each index serves. KEYS_ONLY where the items' counters or activity change often:
      // a counter update then writes nothing to the index, and a page reads the items with one batchGet.
      indexes: {
        byList: { partitionKey: "listPk", sortKey: "listSk", projection: "KEYS_ONLY" },
        byActivity: { partitionKey: "activityPk", sortKey: "activitySk", projection: "KEYS_ONLY" },
        byRank: { partitionKey: "rankPk", sortKey: "rankSk" },
      },
    },
  },
  routes: forumsRoutes,
  publishes: [ForumCreated, ThreadCreated, PostCreated],
  consumers: [
    {
      name: "threadCreated",
      events: [ThreadCreated],
      handler: "services/forums/consumers/threads.handler",
      links: ["ForumsTable"],
    },
    {
      name: "postCreated",
      events: [PostCreated],
      handler: "services/forums/consumers/posts.handler",
      batchSize: 1000,
      batchWindowSeconds: 1,
      // A batch the counters cannot commit is retried, bisected, many times before its location goes to the DLQ.
      retries: 10,
      links: ["ForumsTable"],
    },
    {
      name: "authors",
      events: [UserRegistered, UserProfileUpdated],
      handler: "services/forums/consumers/authors.handler",
      links: ["ForumsTable"],
    },
  ],
});
