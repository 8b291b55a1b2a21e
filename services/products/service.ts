import { ProductCreated, ProductDeleted, ProductUpdated, ProductViewed } from "../../events/products.js";
import { defineService } from "../../shared/topology/defineService.js";

/**
 * The product catalogue. Declared here as the producer of its events, so their transports (the bus, the click
 * stream) exist; its routes, table, cache and consumers arrive with the products service itself.
 */
export default defineService({
  name: "products",
  basePath: "/products",
  tables: {},
  routes: [],
  publishes: [ProductCreated, ProductUpdated, ProductDeleted, ProductViewed],
  consumers: [],
});
