import { routeHandler } from "../../../shared/http/index.js";
import { popularProductsRoute } from "../api.js";
import { popularProducts } from "../store/popularity.js";

/** `GET /products/popular`: the most viewed products, most viewed first (`?limit`, 1 to 50, default 20). */
export const handler = routeHandler(popularProductsRoute, {
  handler: async ({ query }) => ({ items: await popularProducts(query.limit) }),
});
