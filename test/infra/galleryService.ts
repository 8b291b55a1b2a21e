import * as v from "valibot";
import { defineEvent } from "../../shared/events/defineEvent.js";
import { bucket, defineService, userPool } from "../../shared/topology/index.js";

/**
 * A test-only service with what the fixture services lack: the user pool (which the shop's authorized route needs)
 * and a bucket behind the CDN whose object-created notifications feed an SQS event. Its handlers reuse the fixture
 * handler files: the synth only needs them to build.
 */
export const UploadArrived = defineEvent({
  domain: "gallery",
  name: "UploadArrived",
  version: 1,
  description: "Test: an object landed in the gallery bucket (an S3 notification on a queue).",
  schema: v.object({ key: v.string() }),
  needs: {
    fanOut: "one",
    ordering: "none",
    replay: false,
    throughput: "standard",
    buffering: true,
    contentRules: false,
  },
});

export const gallery = defineService({
  name: "gallery",
  basePath: "/gallery",
  resources: { GalleryUserPool: userPool(), GalleryBucket: bucket({ notifies: UploadArrived }) },
  tables: {
    GalleryTable: {
      partitionKey: "pk",
      sortKey: "sk",
      ttl: "expiresAt",
      indexes: { byOwner: { partitionKey: "ownerId", sortKey: "createdAt" } },
    },
  },
  routes: [
    {
      method: "POST",
      path: "/",
      auth: true,
      handler: "test/fixtures/services/shop/routes/placeOrder.handler",
      summary: "Test: an authorized route of the pool's own service",
    },
  ],
  publishes: [],
  consumers: [
    {
      name: "uploadArrived",
      events: [UploadArrived],
      handler: "test/fixtures/services/ledger/consumers/record.onSqsHandler",
      batchSize: 1,
    },
  ],
});
