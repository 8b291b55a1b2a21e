import { defineMetrics } from "../../shared/metrics/defineMetrics.js";

/** The products service's business metrics (`emitMetric(productsMetrics, …)`), charted on its dashboard. */
export const productsMetrics = defineMetrics({
  ProductsCreated: { unit: "Count", description: "products created: the product and its event committed" },
  ProductViewsCounted: {
    unit: "Count",
    description:
      "views counted into popularity, once each: the chunk's transaction with the shard's checkpoint committed",
  },
});
