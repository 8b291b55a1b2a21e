import { ownedBy } from "../../../shared/http/owner.js";
import { conflict } from "../../../shared/http/problem.js";
import { routeHandler } from "../../../shared/http/routeHandler.js";
import { deleteProductRoute } from "../api.js";
import { deleteProduct, readProduct } from "../store/catalog.js";

/** A product changing while it is deleted: re-read and try again this many times before answering 409. */
const ATTEMPTS = 3;

/**
 * `DELETE /products/{productId}`: its seller only (404 when there is none, then 403). The product goes with its view
 * count (it leaves `popular`), its image marks and `products.ProductDeleted`, in one transaction; 204.
 */
export const handler = routeHandler(deleteProductRoute, {
  handler: async ({ path, auth }) => {
    const productId = path.productId;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = ownedBy(await readProduct(productId), auth.userId, {
        owner: (product) => product.sellerId,
        what: "product",
        id: productId,
      });
      if (await deleteProduct(current)) return;
    }
    throw conflict("the product changed while it was deleted; try again");
  },
});
