import { routeHandler } from "../../../shared/http/routeHandler.js";
import { listProductsRoute } from "../api.js";
import { listProducts } from "../store/catalog.js";

/**
 * `GET /products`: newest first over every product, or one `?category`; each page merges the feed's shards (see
 * `store/keys.ts`), and a cursor of another query, or a changed one, is a 400.
 */
export const handler = routeHandler(listProductsRoute, {
  handler: ({ query }) => listProducts(query),
});
