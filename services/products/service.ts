import { ProductCreated, ProductDeleted, ProductUpdated, ProductViewed } from "../../events/products.js";
import { defineService } from "../../shared/topology/defineService.js";

/**
 * The product catalogue. Declared here as the producer of its events, so their transports (the bus, the click
 * stream) exist and the owner of its table and outbox; its routes, cache and consumers arrive with the products service itself.
 */
export default defineService({
  name: "products",
  basePath: "/products",
  // Its own data, and the outbox every event it publishes leaves through (single-table design, string keys).
  tables: { ProductsTable: { partitionKey: "pk", sortKey: "sk", ttl: "expiresAt" } },
  routes: [],
  publishes: [ProductCreated, ProductUpdated, ProductDeleted, ProductViewed],
  consumers: [],
});
