import { MediaProcessed } from "../../events/media.js";
import { ProductCreated, ProductDeleted, ProductUpdated, ProductViewed } from "../../events/products.js";
import { defineService } from "../../shared/topology/defineService.js";
import { productsRoutes } from "./api.js";
import { productsMetrics } from "./metrics.js";

/**
 * The product catalogue, read about 100 times for every write: its reads are cached (the CDN, and a cache in front of
 * the table), and its click-stream (`products.ProductViewed`) is counted in batches into the popularity ranking. Keeps
 * its own copy of the media items a product may show.
 */
export default defineService({
  name: "products",
  basePath: "/products",
  metrics: productsMetrics,
  tables: {
    ProductsTable: {
      partitionKey: "pk",
      sortKey: "sk",
      ttl: "expiresAt",
      // See store/keys.ts for what each index serves and why none of their partitions runs hot.
      indexes: {
        byFeed: { partitionKey: "feedPk", sortKey: "feedSk" },
        byCategory: { partitionKey: "categoryPk", sortKey: "categorySk" },
        byViews: { partitionKey: "rankPk", sortKey: "rankSk" },
      },
    },
  },
  routes: productsRoutes,
  publishes: [ProductCreated, ProductUpdated, ProductDeleted, ProductViewed],
  consumers: [
    {
      name: "productViewed",
      events: [ProductViewed],
      handler: "services/products/consumers/views.handler",
      batchSize: 1000,
      batchWindowSeconds: 1,
      // A batch the counter cannot commit is retried, bisected, many times before its location goes to the DLQ: a
      // view is dropped only after all of them (the DLQ record says where the records are, for a replay).
      retries: 10,
      links: ["ProductsTable"],
    },
    {
      name: "mediaProcessed",
      events: [MediaProcessed],
      handler: "services/products/consumers/media.handler",
      links: ["ProductsTable"],
    },
  ],
});
