import { defineMetrics } from "../../shared/metrics/defineMetrics.js";

/** The forums service's business metrics (`emitMetric(forumsMetrics, …)`), charted on its dashboard. */
export const forumsMetrics = defineMetrics({
  PostsCreated: { unit: "Count", description: "posts accepted: the post took its number in the thread's order" },
});
