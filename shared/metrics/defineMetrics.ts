/**
 * Business metrics as data: each service declares its metrics once (`services/<name>/metrics.ts`, referenced by its
 * `service.ts`), and everything else reads that declaration: `emitMetric` only takes a declared name, the stacks chart
 * each one on the service's dashboard, and the local runtime lists each one at `/_dev/metrics`.
 *
 * Plain data, with no Powertools import, so the topology and the stacks can read it without loading the emitter.
 */

/** Every metric lands in this CloudWatch namespace; `service` (Powertools' default dimension) tells services apart. */
export const METRICS_NAMESPACE = "Summit";

/** The dimension every metric carries (Powertools adds it from `POWERTOOLS_SERVICE_NAME`). */
export const SERVICE_DIMENSION = "service";

/** Business metrics count things that happened; CloudWatch's `Count`. */
export type MetricUnit = "Count";

export interface MetricDefinition {
  readonly unit: MetricUnit;
  /** What one unit is, and where it is counted: shown on the dashboard and at `/_dev/metrics`. */
  readonly description: string;
  /**
   * One more dimension beside `service`, only where the breakdown is what an operator acts on (the event type of a
   * record sent to a DLQ). Every value of it is a CloudWatch metric of its own, so it stays rare.
   */
  readonly dimension?: string;
}

/** A service's metrics by name (`SignUps`). */
export type MetricDeclarations = Readonly<Record<string, MetricDefinition>>;

/** CloudWatch metric and dimension names: 1–255 characters; ours are PascalCase or camelCase words. */
const NAME = /^[A-Za-z][A-Za-z0-9]{0,254}$/;

/**
 * Declares metrics, checked once at definition: names CloudWatch takes, a description, and no second dimension
 * called `service`.
 *
 * @example
 * ```ts
 * export const usersMetrics = defineMetrics({
 *   SignUps: { unit: "Count", description: "accounts registered (profile committed)" },
 * });
 * ```
 */
export function defineMetrics<const M extends MetricDeclarations>(metrics: M): M {
  for (const [name, definition] of Object.entries(metrics)) {
    if (!NAME.test(name)) throw new TypeError(`metric name ${JSON.stringify(name)} is not a CloudWatch name`);
    if (definition.description.trim() === "") throw new TypeError(`metric ${name} has no description`);
    const { dimension } = definition;
    if (dimension !== undefined && (!NAME.test(dimension) || dimension === SERVICE_DIMENSION))
      throw new TypeError(`metric ${name}: ${JSON.stringify(dimension)} cannot be its extra dimension`);
  }
  return metrics;
}

/** A declared metric as the topology lists it for one service: what the dashboards and `/_dev/metrics` read. */
export interface MetricNode {
  readonly service: string;
  readonly name: string;
  readonly unit: MetricUnit;
  readonly description: string;
  /** `["service"]`, or `["service", <its extra dimension>]`. */
  readonly dimensions: readonly string[];
}

/**
 * The metric nodes of one service's declarations, in declaration order.
 *
 * @example
 * ```ts
 * metricNodes("users", usersMetrics); // [{ service: "users", name: "SignUps", unit: "Count", dimensions: ["service"], … }]
 * ```
 */
export function metricNodes(service: string, declared: MetricDeclarations): MetricNode[] {
  return Object.entries(declared).map(([name, { unit, description, dimension }]) => ({
    service,
    name,
    unit,
    description,
    dimensions: dimension ? [SERVICE_DIMENSION, dimension] : [SERVICE_DIMENSION],
  }));
}
