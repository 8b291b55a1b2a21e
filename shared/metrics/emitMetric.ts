import { Metrics } from "@aws-lambda-powertools/metrics";
import type { MiddlewareObj } from "@middy/core";
import { METRICS_NAMESPACE, type MetricDeclarations } from "./defineMetrics.js";

/**
 * The one Powertools Metrics instance of a function: its metrics are written as CloudWatch EMF lines on stdout,
 * which Lambda's log delivery turns into metrics (and the local runtime reads back). `service` is Powertools'
 * default dimension, from `POWERTOOLS_SERVICE_NAME`, which both the stacks and the local runtime set.
 */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE });

/** The values of a metric's extra dimension, required exactly when it declares one. */
export type DimensionsOf<D> = D extends { readonly dimension: infer K extends string }
  ? [dimensions: Readonly<Record<K, string>>]
  : [];

/**
 * Adds `value` to declared metric `name`: only a name of `declared` compiles, with its extra dimension's value when
 * it has one. Call it after the write it counts has committed, where that write reports it counted (so a duplicate
 * delivery that changed nothing adds nothing). Metrics without an extra dimension are flushed at the end of the
 * invocation by {@link flushMetrics}; one with a dimension is written at once, as a single metric, so its dimension
 * never reaches the invocation's other metrics. A zero adds nothing.
 *
 * @example
 * ```ts
 * emitMetric(usersMetrics, "SignUps", 1);
 * emitMetric(pipelineMetrics, "EventsToDlq", 1, { eventType: "forums.PostCreated" });
 * ```
 */
export function emitMetric<M extends MetricDeclarations, N extends keyof M & string>(
  declared: M,
  name: N,
  value: number,
  ...dimensions: DimensionsOf<M[N]>
): void {
  const definition = declared[name];
  if (!definition) throw new TypeError(`metric ${name} is not declared`);
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`metric ${name}: ${value} is not a count`);
  if (value === 0) return;
  if (definition.dimension === undefined) {
    metrics.addMetric(name, definition.unit, value);
    return;
  }
  const [values] = dimensions as readonly Readonly<Record<string, string>>[];
  const single = metrics.singleMetric();
  single.addDimension(definition.dimension, values?.[definition.dimension] || "unknown");
  single.addMetric(name, definition.unit, value);
}

/**
 * Middy middleware that writes the invocation's stored metrics once it ends, answered or thrown, so each
 * invocation's counts leave in its own EMF line. Unlike Powertools' `logMetrics`, an invocation that counted nothing
 * writes nothing (and no warning). First in a stack, so it runs after every other `after`.
 *
 * @example
 * ```ts
 * middy(handler).use(flushMetrics()).use(injectLambdaContext(logger));
 * ```
 */
export function flushMetrics<TEvent, TResult>(): MiddlewareObj<TEvent, TResult> {
  const flushMetricsAfter = async () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flushMetricsAfter, onError: flushMetricsAfter };
}
