import { routeHandler } from "../../../shared/http/routeHandler.js";
import { createProductRoute } from "../api.js";
import { createProduct, toProduct } from "../store/catalog.js";
import { imagesFor } from "../store/media.js";

/**
 * `POST /products`: the caller is the seller; `imageMediaIds` must be their own ready media (403 otherwise). The
 * product, its image marks and `products.ProductCreated` commit together; an `idempotency-key` makes a repeat safe.
 */
export const handler = routeHandler(createProductRoute, {
  handler: async ({ body, auth }) => {
    const { imageMediaIds = [], description = null, ...fields } = body;
    const images = await imagesFor(imageMediaIds, auth.userId);
    return toProduct(await createProduct(auth.userId, { ...fields, description }, images));
  },
});
