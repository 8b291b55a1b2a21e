import { ownedBy } from "../../../shared/http/owner.js";
import { conflict } from "../../../shared/http/problem.js";
import { routeHandler } from "../../../shared/http/routeHandler.js";
import { type Image, updateProductRoute } from "../api.js";
import { readProduct, toProduct, updateProduct } from "../store/catalog.js";
import { imagesFor } from "../store/media.js";

/** Concurrent updates of one product: re-read and re-apply this many times before answering 409. */
const ATTEMPTS = 3;

/**
 * `PATCH /products/{productId}`: its seller only (404 when there is none, then 403). Only the fields whose value
 * changes are written, under optimistic concurrency on the product's version, and named in
 * `products.ProductUpdated` (committed with the update); `imageMediaIds` must be the seller's own ready media.
 */
export const handler = routeHandler(updateProductRoute, {
  handler: async ({ path, body, auth }) => {
    const productId = path.productId;
    const { imageMediaIds, ...fields } = body;
    let images: Image[] | undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = ownedBy(await readProduct(productId), auth.userId, {
        owner: (product) => product.sellerId,
        what: "product",
        id: productId,
      });
      // Checked once, after the 404 and 403 of the product itself.
      if (imageMediaIds !== undefined) images ??= await imagesFor(imageMediaIds, auth.userId);
      const outcome = await updateProduct(current, { ...fields, ...(images ? { images } : {}) });
      if (outcome.status !== "stale") return toProduct(outcome.item);
    }
    throw conflict("the product changed while this update was applied; read it and try again");
  },
});
