/**
 * Business metrics: declared once per service (`defineMetrics`), emitted as CloudWatch EMF through Powertools
 * Metrics (`emitMetric`, flushed per invocation by `flushMetrics` in the middleware stacks).
 *
 * @example
 * ```ts
 * import { emitMetric } from "../../shared/metrics/index.js";
 * emitMetric(productsMetrics, "ProductsCreated", 1);
 * ```
 */
export type { MetricDeclarations, MetricDefinition, MetricNode, MetricUnit } from "./defineMetrics.js";
export { defineMetrics, METRICS_NAMESPACE, metricNodes, SERVICE_DIMENSION } from "./defineMetrics.js";
export type { DimensionsOf } from "./emitMetric.js";
export { emitMetric, flushMetrics, metrics } from "./emitMetric.js";
export { pipelineMetrics } from "./pipelineMetrics.js";
