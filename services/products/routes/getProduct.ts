import { notFound } from "../../../shared/http/problem.js";
import { routeHandler } from "../../../shared/http/routeHandler.js";
import { getProductRoute } from "../api.js";
import { findProduct, toProduct } from "../store/catalog.js";

/**
 * `GET /products/{productId}`: through the origin cache (a burst of reads of one product, or of one that does not
 * exist, reaches the table once per 2 s); the route's `cache` adds the etag, `cache-control` and the 304.
 */
export const handler = routeHandler(getProductRoute, {
  handler: async ({ path }) => {
    const item = await findProduct(path.productId);
    if (!item) throw notFound(`product ${path.productId} does not exist`);
    return toProduct(item);
  },
});
