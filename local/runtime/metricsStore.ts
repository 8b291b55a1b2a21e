import { METRICS_NAMESPACE, type MetricNode, SERVICE_DIMENSION } from "../../shared/metrics/defineMetrics.js";

/** One metric value set read off an EMF line: a metric of one directive under one of its dimension sets. */
export interface EmfSample {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  /** The dimension set's names with their values from the line (`{ service: "users" }`). */
  readonly dimensions: Readonly<Record<string, string>>;
  /** One value, or several when the function added the metric more than once before a flush. */
  readonly values: readonly number[];
  /** `_aws.Timestamp`, epoch milliseconds. */
  readonly timestamp: number;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The samples of one log line in CloudWatch's embedded metric format (the `_aws` metadata, its `CloudWatchMetrics`
 * directives, the values and dimension values at the root, as the EMF specification lays out): nothing for a line
 * that is not EMF (a log line, malformed JSON, a directive missing its parts). A metric whose value is not a number
 * (or a list of numbers), or a dimension set naming a dimension the line has no string value for, is skipped as
 * CloudWatch would reject it. Pure.
 *
 * @example
 * ```ts
 * parseEmf('{"_aws":{"Timestamp":0,"CloudWatchMetrics":[{"Namespace":"Summit","Dimensions":[["service"]],' +
 *   '"Metrics":[{"Name":"SignUps","Unit":"Count"}]}]},"service":"users","SignUps":1}');
 * // [{ namespace: "Summit", name: "SignUps", unit: "Count", dimensions: { service: "users" }, values: [1], timestamp: 0 }]
 * ```
 */
export function parseEmf(line: string): EmfSample[] {
  if (!line.startsWith("{") || !line.includes('"_aws"')) return [];
  let root: unknown;
  try {
    root = JSON.parse(line);
  } catch {
    return [];
  }
  if (!isObject(root) || !isObject(root._aws)) return [];
  const { Timestamp: timestamp, CloudWatchMetrics: directives } = root._aws;
  if (typeof timestamp !== "number" || !Number.isFinite(timestamp) || !Array.isArray(directives)) return [];
  const samples: EmfSample[] = [];
  for (const directive of directives) {
    if (!isObject(directive) || typeof directive.Namespace !== "string") continue;
    if (!Array.isArray(directive.Dimensions) || !Array.isArray(directive.Metrics)) continue;
    const dimensionSets = directive.Dimensions.flatMap((set) => {
      const dimensions = dimensionValues(root as Record<string, unknown>, set);
      return dimensions ? [dimensions] : [];
    });
    for (const metric of directive.Metrics) {
      if (!isObject(metric) || typeof metric.Name !== "string") continue;
      const values = numbers((root as Record<string, unknown>)[metric.Name]);
      if (!values) continue;
      const unit = typeof metric.Unit === "string" ? metric.Unit : "None";
      for (const dimensions of dimensionSets)
        samples.push({ namespace: directive.Namespace, name: metric.Name, unit, dimensions, values, timestamp });
    }
  }
  return samples;
}

/** A dimension set's values from the line's root, or `undefined` when one is missing or not a string. */
function dimensionValues(root: Record<string, unknown>, set: unknown): Record<string, string> | undefined {
  if (!Array.isArray(set)) return undefined;
  const dimensions: Record<string, string> = {};
  for (const name of set) {
    const value = typeof name === "string" ? root[name] : undefined;
    if (typeof value !== "string") return undefined;
    dimensions[name as string] = value;
  }
  return dimensions;
}

function numbers(value: unknown): number[] | undefined {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((v) => typeof v === "number" && Number.isFinite(v))) return undefined;
  return list as number[];
}

/** One metric under one set of dimension values, as `/_dev/metrics` shows it. */
export interface MetricSummary {
  readonly service: string;
  readonly name: string;
  readonly unit: string;
  /** Every dimension of the metric with its value, `service` included. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly sum: number;
  /** How many values were recorded (CloudWatch's `SampleCount`). */
  readonly count: number;
  readonly min: number;
  readonly max: number;
  /** The sum per minute, oldest first: `minute` is the minute's start, ISO 8601. */
  readonly series: readonly { readonly minute: string; readonly sum: number }[];
}

export interface MetricsReport {
  readonly namespace: string;
  readonly metrics: readonly MetricSummary[];
}

interface Aggregate {
  readonly service: string;
  readonly name: string;
  unit: string;
  readonly dimensions: Readonly<Record<string, string>>;
  sum: number;
  count: number;
  min: number;
  max: number;
  readonly minutes: Map<number, number>;
}

export interface MetricsStore {
  /** Reads one line a function wrote; anything but an EMF line of the project's namespace is ignored. */
  record(line: string): void;
  /** Every declared metric (zeros until it is emitted), then any other metric of the namespace that was seen. */
  report(): MetricsReport;
}

/** The minutes of series kept per metric: an hour, as a local run is looked at. */
export const SERIES_MINUTES = 60;
const MINUTE_MS = 60_000;

/**
 * The local stand-in for CloudWatch's metrics: the runtime hands it every line the sandboxes print (Lambda's log
 * delivery is where EMF becomes metrics in the cloud), and it aggregates the project's namespace per metric and
 * dimension values: sum, count, min, max and a per-minute series of the last {@link SERIES_MINUTES} minutes.
 *
 * @example
 * ```ts
 * const metrics = metricsStore(topology.services.flatMap((s) => s.metrics));
 * metrics.record(line); // from a sandbox's stdout
 * metrics.report().metrics.find((m) => m.name === "SignUps")?.sum;
 * ```
 */
export function metricsStore(declared: readonly MetricNode[], namespace = METRICS_NAMESPACE): MetricsStore {
  const aggregates = new Map<string, Aggregate>();
  const keyOf = (name: string, dimensions: Readonly<Record<string, string>>) =>
    JSON.stringify([name, Object.entries(dimensions).sort(([a], [b]) => (a < b ? -1 : 1))]);

  const add = (sample: EmfSample) => {
    const key = keyOf(sample.name, sample.dimensions);
    let aggregate = aggregates.get(key);
    if (!aggregate) {
      aggregate = {
        service: sample.dimensions[SERVICE_DIMENSION] ?? "",
        name: sample.name,
        unit: sample.unit,
        dimensions: sample.dimensions,
        sum: 0,
        count: 0,
        min: Number.POSITIVE_INFINITY,
        max: Number.NEGATIVE_INFINITY,
        minutes: new Map(),
      };
      aggregates.set(key, aggregate);
    }
    const minute = Math.floor(sample.timestamp / MINUTE_MS) * MINUTE_MS;
    for (const value of sample.values) {
      aggregate.sum += value;
      aggregate.count += 1;
      aggregate.min = Math.min(aggregate.min, value);
      aggregate.max = Math.max(aggregate.max, value);
      aggregate.minutes.set(minute, (aggregate.minutes.get(minute) ?? 0) + value);
    }
    // Only the last hour of minutes is kept.
    const oldest = minute - (SERIES_MINUTES - 1) * MINUTE_MS;
    for (const kept of aggregate.minutes.keys()) if (kept < oldest) aggregate.minutes.delete(kept);
  };

  const summary = (aggregate: Aggregate): MetricSummary => ({
    service: aggregate.service,
    name: aggregate.name,
    unit: aggregate.unit,
    dimensions: aggregate.dimensions,
    sum: aggregate.sum,
    count: aggregate.count,
    min: aggregate.count > 0 ? aggregate.min : 0,
    max: aggregate.count > 0 ? aggregate.max : 0,
    series: [...aggregate.minutes]
      .sort(([a], [b]) => a - b)
      .map(([minute, sum]) => ({ minute: new Date(minute).toISOString(), sum })),
  });

  return {
    record(line) {
      for (const sample of parseEmf(line)) if (sample.namespace === namespace) add(sample);
    },
    report() {
      const listed = new Set<Aggregate>();
      const metrics: MetricSummary[] = [];
      for (const node of declared) {
        const seen = [...aggregates.values()].filter((a) => a.service === node.service && a.name === node.name);
        for (const aggregate of seen) listed.add(aggregate);
        if (seen.length > 0) metrics.push(...seen.map(summary));
        else
          metrics.push({
            service: node.service,
            name: node.name,
            unit: node.unit,
            dimensions: { [SERVICE_DIMENSION]: node.service },
            sum: 0,
            count: 0,
            min: 0,
            max: 0,
            series: [],
          });
      }
      for (const aggregate of aggregates.values()) if (!listed.has(aggregate)) metrics.push(summary(aggregate));
      return { namespace, metrics };
    },
  };
}
