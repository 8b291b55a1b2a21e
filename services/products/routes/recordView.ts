import { ProductViewed } from "../../../events/products.js";
import { notFound, routeHandler } from "../../../shared/http/index.js";
import { publish } from "../../../shared/publish/index.js";
import { recordViewRoute } from "../api.js";
import { findProduct } from "../store/catalog.js";

/**
 * `POST /products/{productId}/views`: 202, and one record on the click-stream, counted later in batches
 * (`consumers/views.ts`). A click-stream leaves straight from here, not through the outbox: the record is the fact
 * itself, and an outbox item per view would put the stream's rate on the table (`leavesThroughOutbox`). The product
 * is looked up through the catalogue's read cache, so a burst of views costs no table read per view, also for an
 * unknown product (404).
 */
export const handler = routeHandler(recordViewRoute, {
  handler: async ({ path }) => {
    const { productId } = path;
    if (!(await findProduct(productId))) throw notFound(`product ${productId} does not exist`);
    await publish(ProductViewed, { productId, viewerId: null, viewedAt: new Date().toISOString() });
    return { status: 202 };
  },
});
