import { defineMetrics } from "../../shared/metrics/defineMetrics.js";

/** The media service's business metrics (`emitMetric(mediaMetrics, …)`), charted on its dashboard. */
export const mediaMetrics = defineMetrics({
  MediaReady: { unit: "Count", description: "uploads checked and thumbnailed: the item turned ready, exactly once" },
  MediaFailed: { unit: "Count", description: "uploads refused or given up on: the item turned failed, exactly once" },
});
