import { ForumCreated, PostCreated, ThreadCreated } from "../../events/forums.js";
import { defineService } from "../../shared/topology/defineService.js";

/**
 * Forums, threads and posts. Declared here as the producer of its events, so the transports the users service reads
 * from (the bus rule, the post stream) exist and the owner of its table and outbox; its routes and consumers arrive with the forums service itself.
 */
export default defineService({
  name: "forums",
  basePath: "/forums",
  // Its own data, and the outbox every event it publishes leaves through (single-table design, string keys).
  tables: { ForumsTable: { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt" } },
  routes: [],
  publishes: [ForumCreated, ThreadCreated, PostCreated],
  consumers: [],
});
