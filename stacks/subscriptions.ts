import type { OutboxNode, SubscriptionNode, Topology, Trigger } from "../shared/topology/index.js";
import type { Tables } from "./data.js";
import type { Functions } from "./functions.js";
import type { Transports } from "./transports.js";

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the stacks have no ${what}`);
  return value;
}

/** Bus rule or topic subscription: how the event leaves its transport, to the function or to its buffer queue. */
function wireDelivery(sub: SubscriptionNode, functions: Functions, transports: Transports): void {
  const { delivery } = sub;
  const fn = need(functions[sub.function], `function ${sub.function}`);
  const buffer = sub.buffer ? need(transports.queues[sub.buffer], `buffer queue ${sub.buffer}`) : undefined;

  if (delivery.kind === "rule") {
    const bus = need(transports.bus, "bus");
    // The rule's pattern is exactly the one derived from the contract (the matcher and the tests read the same).
    const rule: sst.aws.BusSubscriberArgs = {
      transform: {
        rule: (args) => {
          args.eventPattern = JSON.stringify(delivery.pattern);
        },
      },
    };
    if (buffer) bus.subscribeQueue(sub.name, buffer, rule);
    else bus.subscribe(sub.name, fn.arn, rule);
    return;
  }
  if (delivery.kind === "topic") {
    const topic = need(transports.topics[delivery.topic], `topic ${delivery.topic}`);
    if (buffer) topic.subscribeQueue(sub.name, buffer, { filter: delivery.filterPolicy });
    else topic.subscribe(sub.name, fn.arn, { filter: delivery.filterPolicy });
  }
  // `queue` and `stream` deliveries are the trigger itself.
}

/** Event source mappings: how Lambda polls a queue or a stream for the function. Async triggers live on the function. */
function wireTrigger(sub: SubscriptionNode, functions: Functions, transports: Transports): void {
  const { trigger } = sub;
  const fn = need(functions[sub.function], `function ${sub.function}`);

  if (trigger.kind === "sqs") {
    const queue = need(transports.queues[trigger.queue], `queue ${trigger.queue}`);
    queue.subscribe(fn.arn, {
      batch: {
        size: trigger.batchSize,
        ...(trigger.batchWindowSeconds > 0 ? { window: `${trigger.batchWindowSeconds} seconds` as const } : {}),
        // ReportBatchItemFailures: only the failed messages return to the queue (and on to its DLQ).
        partialResponses: true,
      },
      transform: {
        eventSourceMapping: (args) => {
          // SQS maximum concurrency caps this source's pollers without throttling the function (≥ 2).
          if (trigger.concurrency) args.scalingConfig = { maximumConcurrency: Math.max(2, trigger.concurrency) };
        },
      },
    });
    return;
  }

  if (trigger.kind === "kinesis") {
    const stream = need(transports.streams[trigger.stream], `stream ${trigger.stream}`);
    const dlq = need(transports.queues[trigger.onFailure], `DLQ ${trigger.onFailure}`);
    stream.subscribe(sub.name, fn.arn, {
      filters: [trigger.filterPattern],
      transform: { eventSourceMapping: streamMapping(trigger, dlq.arn) },
    });
  }
}

/**
 * The settings every stream mapping shares (a Kinesis consumer's, an outbox publisher's). Replay: it starts from the
 * oldest record kept, not from now (SST defaults to LATEST). A failing batch is split in two until the poison record
 * is alone, retried, then its location sent to the DLQ, so one bad record does not block its shard until it expires;
 * failures are reported per record.
 */
function streamMapping(
  trigger: Extract<Trigger, { kind: "kinesis" | "dynamodb" }>,
  dlqArn: $util.Input<string>,
): (args: aws.lambda.EventSourceMappingArgs) => undefined {
  return (args) => {
    args.startingPosition = "TRIM_HORIZON";
    args.batchSize = trigger.batchSize;
    args.maximumBatchingWindowInSeconds = trigger.batchWindowSeconds;
    args.bisectBatchOnFunctionError = trigger.bisectOnError;
    args.maximumRetryAttempts = trigger.retries;
    if (trigger.kind === "dynamodb") args.maximumRecordAgeInSeconds = trigger.maxRecordAgeSeconds;
    args.destinationConfig = { onFailure: { destinationArn: dlqArn } };
    args.functionResponseTypes = ["ReportBatchItemFailures"];
    return undefined;
  };
}

/**
 * The outbox publisher's event source mapping on its table's stream: only outbox inserts pass the filter, a failing
 * batch is bisected, failures are reported per record, retried (with no attempt limit: an outage only delays, in
 * order) until a batch is older than the record age, when its location goes to the publisher's DLQ.
 */
function wireOutbox(outbox: OutboxNode, functions: Functions, tables: Tables, transports: Transports): void {
  const { trigger } = outbox;
  const fn = need(functions[outbox.function], `function ${outbox.function}`);
  const table = need(tables[trigger.table], `table ${trigger.table}`);
  const dlq = need(transports.queues[trigger.onFailure], `DLQ ${trigger.onFailure}`);
  // The publisher must see every outbox item ever written, not only those after the mapping exists.
  table.subscribe(outbox.function, fn.arn, {
    filters: [trigger.filterPattern],
    transform: { eventSourceMapping: streamMapping(trigger, dlq.arn) },
  });
}

/** One delivery and one trigger per subscription in the topology, and each outbox's publisher on its stream. */
export function createSubscriptions(
  topology: Topology,
  functions: Functions,
  transports: Transports,
  tables: Tables,
): void {
  for (const sub of topology.subscriptions) {
    wireDelivery(sub, functions, transports);
    wireTrigger(sub, functions, transports);
  }
  for (const outbox of topology.outboxes) wireOutbox(outbox, functions, tables, transports);
}
