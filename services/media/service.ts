import { MediaProcessed, UploadReceived } from "../../events/media.js";
import { defineService } from "../../shared/topology/defineService.js";
import { bucket } from "../../shared/topology/resources/index.js";
import { mediaRoutes } from "./api.js";
import { mediaMetrics } from "./metrics.js";

/**
 * Uploads and their processing. The bytes go straight to the private bucket through a presigned PUT; the bucket's
 * object-created notification is `media.UploadReceived` (raised by the bucket, buffered in SQS with its DLQ), the
 * worker decides what the bytes are, and `media.MediaProcessed` (through the outbox) tells the owner services.
 * Readers fetch the objects through the bucket's CDN (locally, the local S3).
 */
export default defineService({
  name: "media",
  basePath: "/media",
  metrics: mediaMetrics,
  // The media items, idempotency records and the outbox (single-table design, string keys).
  tables: { MediaTable: { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt" } },
  resources: { MediaBucket: bucket({ notifies: UploadReceived }) },
  routes: mediaRoutes,
  publishes: [MediaProcessed],
  consumers: [
    {
      name: "worker",
      events: [UploadReceived],
      handler: "services/media/consumers/worker.handler",
      // sharp decodes up to the pixel limit in memory (and Lambda's CPU grows with memory); one upload a time,
      // two retries, then the DLQ: nothing is stuck or retried forever.
      memoryMb: 1536,
      timeoutSeconds: 60,
      batchSize: 1,
      retries: 2,
      links: ["MediaTable", "MediaBucket"],
      // sharp is a native module: installed into the bundle for the function's runtime and architecture.
      nodejs: { install: ["sharp"] },
    },
  ],
});
