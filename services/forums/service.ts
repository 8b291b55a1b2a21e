import { ForumCreated, PostCreated, ThreadCreated } from "../../events/forums.js";
import { defineService } from "../../shared/topology/defineService.js";

/**
 * Forums, threads and posts. Declared here as the producer of its events, so the transports the users service reads
 * from (the bus rule, the post stream) exist; its routes, table and consumers arrive with the forums service itself.
 */
export default defineService({
  name: "forums",
  basePath: "/forums",
  tables: {},
  routes: [],
  publishes: [ForumCreated, ThreadCreated, PostCreated],
  consumers: [],
});
