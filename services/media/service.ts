import { MediaProcessed } from "../../events/media.js";
import { defineService } from "../../shared/topology/defineService.js";

/**
 * Uploads, processing and the CDN. Declared here as the producer of `media.MediaProcessed`, so the topic the users
 * service subscribes to exists; its routes, table, bucket and worker arrive with the media service itself.
 */
export default defineService({
  name: "media",
  basePath: "/media",
  tables: {},
  routes: [],
  publishes: [MediaProcessed],
  consumers: [],
});
