import { METRICS_NAMESPACE, type MetricNode, SERVICE_DIMENSION } from "../shared/metrics/defineMetrics.js";
import type { Topology } from "../shared/topology/index.js";
import type { Apis } from "./api.js";
import type { Functions } from "./functions.js";
import type { Transports } from "./transports.js";

export interface Monitoring {
  readonly alarms: Record<string, aws.cloudwatch.MetricAlarm>;
  readonly dashboards: Record<string, aws.cloudwatch.Dashboard>;
}

/** A stream consumer this far behind (ms) is losing the race against retention. */
const ITERATOR_AGE_LIMIT_MS = 60_000;
/** Events leave the outbox within seconds normally; a minute late is worth a person's attention. */
const OUTBOX_LAG_LIMIT_MS = 60_000;

/**
 * What a dashboard widget charts for one declared business metric: the metric itself under its service, or, for one
 * with an extra dimension (the DLQ metric by event type), a search over that dimension's values, one line each,
 * since the values (event types) are not known when the dashboard is made.
 *
 * @example
 * ```ts
 * businessMetric({ service: "users", name: "SignUps", dimensions: ["service"], … }); // [["Summit", "SignUps", "service", "users"]]
 * ```
 */
export function businessMetric(metric: MetricNode): unknown[] {
  const extra = metric.dimensions.filter((d) => d !== SERVICE_DIMENSION);
  if (extra.length === 0) return [[METRICS_NAMESPACE, metric.name, SERVICE_DIMENSION, metric.service]];
  const schema = [METRICS_NAMESPACE, ...metric.dimensions].join(",");
  const search = `SEARCH('{${schema}} MetricName="${metric.name}" ${SERVICE_DIMENSION}="${metric.service}"', 'Sum', 60)`;
  return [{ expression: search, id: "e1", label: "" }];
}

type AlarmArgs = Omit<aws.cloudwatch.MetricAlarmArgs, "evaluationPeriods"> & { evaluationPeriods?: number };

function alarm(name: string, args: AlarmArgs): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(name, {
    evaluationPeriods: 1,
    period: 60,
    // No data means nothing failed and nothing is queued.
    treatMissingData: "notBreaching",
    ...args,
  });
}

/**
 * Alarms on what needs a person: anything in a DLQ, any function error, a stream consumer or an outbox falling
 * behind; and a dashboard per service with its business metrics (as the service declares them), its functions
 * (invocations, errors, throttles, p99 duration), its API and its DLQs.
 */
export function createMonitoring(
  topology: Topology,
  functions: Functions,
  transports: Transports,
  apis: Apis,
): Monitoring {
  const alarms: Record<string, aws.cloudwatch.MetricAlarm> = {};

  for (const queue of topology.queues.filter((q) => q.role === "dlq")) {
    const dlq = transports.queues[queue.name];
    if (!dlq) continue;
    alarms[`${queue.name}Depth`] = alarm(`${queue.name}DepthAlarm`, {
      alarmDescription: `${queue.name} holds messages that failed for good (${queue.service})`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: dlq.nodes.queue.name },
      statistic: "Maximum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
    });
  }

  for (const fn of topology.functions) {
    const lambda = functions[fn.name];
    if (!lambda) continue;
    alarms[`${fn.name}Errors`] = alarm(`${fn.name}ErrorsAlarm`, {
      alarmDescription: `${fn.name} (${fn.service}) threw`,
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: lambda.name },
      statistic: "Sum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
    });
  }

  for (const sub of topology.subscriptions) {
    if (sub.trigger.kind !== "kinesis") continue;
    const stream = transports.streams[sub.trigger.stream];
    if (!stream) continue;
    // The stream's GetRecords iterator age: how old the oldest record read is, i.e. how far its readers lag.
    alarms[`${sub.name}IteratorAge`] = alarm(`${sub.name}IteratorAgeAlarm`, {
      alarmDescription: `${sub.function} reads ${sub.trigger.stream} more than ${ITERATOR_AGE_LIMIT_MS} ms behind`,
      namespace: "AWS/Kinesis",
      metricName: "GetRecords.IteratorAgeMilliseconds",
      dimensions: { StreamName: stream.name },
      statistic: "Maximum",
      period: 300,
      comparisonOperator: "GreaterThanThreshold",
      threshold: ITERATOR_AGE_LIMIT_MS,
    });
  }

  for (const outbox of topology.outboxes) {
    const publisher = functions[outbox.function];
    if (!publisher) continue;
    // Lambda's IteratorAge for the publisher's stream mapping: how old the newest record it finished was when it
    // finished, i.e. how late the service's events leave. A transport outage shows here first (events are held, in
    // order, not lost); a minute behind means consumers are a minute behind too.
    alarms[`${outbox.function}IteratorAge`] = alarm(`${outbox.function}IteratorAgeAlarm`, {
      alarmDescription: `${outbox.service}'s events leave its outbox more than ${OUTBOX_LAG_LIMIT_MS} ms after their write`,
      namespace: "AWS/Lambda",
      metricName: "IteratorAge",
      dimensions: { FunctionName: publisher.name },
      statistic: "Maximum",
      period: 60,
      comparisonOperator: "GreaterThanThreshold",
      threshold: OUTBOX_LAG_LIMIT_MS,
    });
  }

  const region = aws.getRegionOutput().region;
  const dashboards: Record<string, aws.cloudwatch.Dashboard> = {};
  for (const service of topology.services) {
    const lambdas = service.functions.flatMap((name) => (functions[name] ? [functions[name].name] : []));
    const dlqs = topology.queues
      .filter((q) => q.service === service.name && q.role === "dlq")
      .flatMap((q) => (transports.queues[q.name] ? [transports.queues[q.name]!.nodes.queue.name] : []));
    const api = apis[service.name];
    const chart = (title: string, metrics: $util.Input<unknown>[], stat = "Sum") => ({ title, metrics, stat });
    const lambdaMetrics = (metric: string) => lambdas.map((name) => ["AWS/Lambda", metric, "FunctionName", name]);
    const charts = [
      // The business first: what the service is for, one chart per declared metric.
      ...service.metrics.map((metric) => chart(`${service.name}: ${metric.name}`, businessMetric(metric))),
      chart(`${service.name}: invocations`, lambdaMetrics("Invocations")),
      chart(`${service.name}: errors`, lambdaMetrics("Errors")),
      chart(`${service.name}: throttles`, lambdaMetrics("Throttles")),
      chart(`${service.name}: duration p99`, lambdaMetrics("Duration"), "p99"),
      chart(
        `${service.name}: DLQ depth`,
        dlqs.map((name) => ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name]),
      ),
      ...(api
        ? [
            chart(`${service.name}: API 4XX / 5XX`, [
              ["AWS/ApiGateway", "4XXError", "ApiName", api.nodes.api.name],
              ["AWS/ApiGateway", "5XXError", "ApiName", api.nodes.api.name],
            ]),
          ]
        : []),
    ];
    const widgets = charts.map(({ title, metrics, stat }, index) => ({
      type: "metric",
      x: 0,
      y: index * 6,
      width: 24,
      height: 6,
      properties: { title, region, stat, period: 60, metrics },
    }));
    dashboards[service.name] = new aws.cloudwatch.Dashboard(
      `${service.name[0]!.toUpperCase()}${service.name.slice(1)}Dashboard`,
      {
        dashboardName: $interpolate`${$app.name}-${$app.stage}-${service.name}`,
        dashboardBody: $jsonStringify({ widgets }),
      },
    );
  }
  return { alarms, dashboards };
}
