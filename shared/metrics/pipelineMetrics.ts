import { defineMetrics } from "./defineMetrics.js";

/**
 * The metrics the shared pipelines emit for every service that runs them (its consumers and its outbox publisher):
 * the topology adds them to each such service's declarations.
 */
export const pipelineMetrics = defineMetrics({
  EventsToDlq: {
    unit: "Count",
    description: "records sent to a failure queue (DLQ) as poison, by event type (`unknown` when unreadable)",
    dimension: "eventType",
  },
});
