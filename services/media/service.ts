import { MediaProcessed } from "../../events/media.js";
import { defineService } from "../../shared/topology/defineService.js";

/**
 * Uploads, processing and the CDN. Declared here as the producer of `media.MediaProcessed`, so the topic the users
 * service subscribes to exists and the owner of its table and outbox; its routes, bucket and worker arrive with the media service itself.
 */
export default defineService({
  name: "media",
  basePath: "/media",
  // Its own data, and the outbox every event it publishes leaves through (single-table design, string keys).
  tables: { MediaTable: { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt" } },
  routes: [],
  publishes: [MediaProcessed],
  consumers: [],
});
