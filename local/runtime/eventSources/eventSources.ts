import { PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { SubscribeCommand } from "@aws-sdk/client-sns";
import type { OutboxNode, SubscriptionNode, Topology, Trigger } from "../../../shared/topology/index.js";
import type { LambdaInvoker } from "../../eventbridge/index.js";
import type { RuntimeClients } from "../clients.js";
import { functionArn, functionNameOf } from "../functionEnvironment.js";
import type { Resources } from "../provision.js";
import { AsyncInvoker } from "./asyncInvoker.js";
import { DynamoStreamPoller } from "./dynamoStreamPoller.js";
import { KinesisPoller } from "./kinesisPoller.js";
import type { ShardCheckpoints } from "./shardCheckpoints.js";
import { subscribeFunctionToTopic } from "./snsSubscription.js";
import { SqsPoller } from "./sqsPoller.js";
import { envelopeTraceHeader } from "./traceParent.js";
import type { EventSource, Invoke } from "./types.js";

export interface EventSourceTuning {
  /** Lambda's async retry backoff base (1 min on AWS). */
  readonly asyncRetryBaseDelayMs?: number;
  /** Kinesis retry backoff base. */
  readonly kinesisRetryBaseDelayMs?: number;
  readonly kinesisPollIntervalMs?: number;
  /** DynamoDB Streams retry backoff base (the outbox publishers' mappings). */
  readonly dynamodbStreamRetryBaseDelayMs?: number;
  readonly dynamodbStreamPollIntervalMs?: number;
  /** How often the stream pollers describe their streams again for new shards. */
  readonly shardDiscoveryIntervalMs?: number;
  /** See {@link SqsPoller}: shortens the wait of failed SQS messages (tests). */
  readonly sqsFailedVisibilitySeconds?: number;
  readonly sqsWaitSeconds?: number;
}

export interface EventSourcesInput {
  readonly topology: Topology;
  readonly resources: Resources;
  readonly clients: RuntimeClients;
  readonly invoke: Invoke;
  readonly setLambdaInvoker: (invoker: LambdaInvoker) => void;
  readonly sqsEndpoint: string;
  readonly region: string;
  readonly accountId: string;
  /** Physical name prefix (app and stage), for the internal queues. */
  readonly prefix: string;
  readonly checkpoints: ShardCheckpoints;
  readonly tuning?: EventSourceTuning;
  readonly log?: (line: string) => void;
}

export interface RunningEventSources {
  /** Each source by subscription and outbox publisher, with its service. */
  readonly sources: ReadonlyArray<{ readonly service: string; readonly source: EventSource }>;
  /**
   * An `Event` invocation from outside (the Lambda API): accepted at once, retried as Lambda retries asynchronous
   * invocations (the function's own async retries and on-failure destination when it has an async trigger, else
   * Lambda's defaults: 2 retries, no destination).
   */
  invokeAsync(fn: string, event: unknown, traceHeader?: string): void;
  stop(): Promise<void>;
}

/**
 * Everything that carries events to functions, built from the subscriptions and the outboxes: bus rules and
 * targets, topic subscriptions, queue and stream pollers, the tables' stream pollers that feed the outbox
 * publishers. (A bucket's object-created notifications are set up with the bucket, by its provisioner.)
 */
export async function startEventSources(input: EventSourcesInput): Promise<RunningEventSources> {
  const { topology, resources, clients, region, accountId } = input;
  const need = (name: string) => {
    const resource = resources[name];
    if (!resource) throw new Error(`event sources: ${name} is not provisioned`);
    return resource;
  };
  const arnOf = (fn: string) => functionArn(region, accountId, fn);
  const asyncInvoker = new AsyncInvoker({
    invoke: input.invoke,
    sqs: clients.sqs,
    ...(input.tuning?.asyncRetryBaseDelayMs !== undefined
      ? { retryBaseDelayMs: input.tuning.asyncRetryBaseDelayMs }
      : {}),
    ...(input.log ? { log: input.log } : {}),
  });

  // EventBridge invokes a Lambda target asynchronously: the invocation is accepted at once and Lambda's own
  // retries and on-failure destination apply. The trace parent is the envelope's: the stand-in passes none.
  const asyncTriggers = new Map<string, SubscriptionNode>();
  for (const sub of topology.subscriptions)
    if (sub.trigger.kind === "async" && sub.delivery.kind === "rule") asyncTriggers.set(sub.function, sub);
  input.setLambdaInvoker(async (arn, event) => {
    const fn = functionNameOf(arn);
    const sub = fn ? asyncTriggers.get(fn) : undefined;
    if (!fn || !sub || sub.trigger.kind !== "async")
      throw Object.assign(new Error(`Function not found: ${arn}`), { name: "ResourceNotFoundException" });
    asyncInvoker.accept({
      fn,
      functionArn: arn,
      event,
      traceHeader: envelopeTraceHeader(event),
      retries: sub.trigger.retries,
      onFailureUrl: need(sub.trigger.onFailure).url!,
    });
  });

  const sources: Array<{ service: string; source: EventSource }> = [];
  const add = (service: string, source: EventSource) => sources.push({ service, source });
  try {
    for (const sub of topology.subscriptions) {
      await wireDelivery(sub);
      wireTrigger(sub);
    }
    for (const outbox of topology.outboxes) wireOutbox(outbox);
  } catch (error) {
    await Promise.allSettled(sources.map(({ source }) => source.stop()));
    throw error;
  }

  async function wireDelivery(sub: SubscriptionNode): Promise<void> {
    const { delivery } = sub;
    if (delivery.kind === "rule") {
      const bus = need(topology.bus ?? "Bus").name!;
      await clients.events.send(
        new PutRuleCommand({ Name: delivery.name, EventBusName: bus, EventPattern: JSON.stringify(delivery.pattern) }),
      );
      const retries = sub.trigger.kind === "async" ? sub.trigger.retries : 185;
      await clients.events.send(
        new PutTargetsCommand({
          Rule: delivery.name,
          EventBusName: bus,
          Targets: [
            {
              Id: sub.buffer ? `${sub.name}Buffer` : sub.function,
              Arn: sub.buffer ? need(sub.buffer).arn : arnOf(sub.function),
              RetryPolicy: { MaximumRetryAttempts: retries },
              DeadLetterConfig: { Arn: need(sub.failureDestination).arn },
            },
          ],
        }),
      );
      return;
    }
    if (delivery.kind === "topic") {
      const topicArn = need(delivery.topic).arn!;
      if (sub.buffer) {
        await clients.sns.send(
          new SubscribeCommand({
            TopicArn: topicArn,
            Protocol: "sqs",
            Endpoint: need(sub.buffer).arn,
            Attributes: { FilterPolicy: JSON.stringify(delivery.filterPolicy), RawMessageDelivery: "false" },
          }),
        );
        return;
      }
      if (sub.trigger.kind !== "async") throw new Error(`${sub.name}: a topic without a buffer is async`);
      add(
        sub.service,
        await subscribeFunctionToTopic({
          name: sub.name,
          sns: clients.sns,
          sqs: clients.sqs,
          sqsEndpoint: input.sqsEndpoint,
          accountId,
          topicArn,
          queueName: `${input.prefix}-${sub.name}LambdaSubscription`,
          filterPolicy: delivery.filterPolicy,
          fn: sub.function,
          functionArn: arnOf(sub.function),
          retries: sub.trigger.retries,
          onFailureUrl: need(sub.trigger.onFailure).url!,
          asyncInvoker,
          ...(input.log ? { log: input.log } : {}),
        }),
      );
    }
  }

  function wireTrigger(sub: SubscriptionNode): void {
    const { trigger } = sub;
    const fn = topology.functions.find((f) => f.name === sub.function);
    if (trigger.kind === "sqs") {
      const queue = need(trigger.queue);
      add(
        sub.service,
        new SqsPoller({
          name: sub.name,
          sqs: clients.sqs,
          queueUrl: queue.url!,
          queueArn: queue.arn!,
          fn: sub.function,
          invoke: input.invoke,
          batchSize: trigger.batchSize,
          batchWindowSeconds: trigger.batchWindowSeconds,
          // Lambda starts with a few pollers per queue; the mapping's maximum concurrency caps them.
          concurrency: Math.min(trigger.concurrency ?? fn?.concurrency ?? 2, 5),
          ...(input.tuning?.sqsWaitSeconds !== undefined ? { waitSeconds: input.tuning.sqsWaitSeconds } : {}),
          ...(input.tuning?.sqsFailedVisibilitySeconds !== undefined
            ? { failedVisibilitySeconds: input.tuning.sqsFailedVisibilitySeconds }
            : {}),
          ...(input.log ? { log: input.log } : {}),
        }),
      );
    } else if (trigger.kind === "kinesis") {
      const stream = need(trigger.stream);
      add(
        sub.service,
        new KinesisPoller({
          ...streamMapping(sub.name, sub.function, trigger, {
            pollIntervalMs: input.tuning?.kinesisPollIntervalMs,
            retryBaseDelayMs: input.tuning?.kinesisRetryBaseDelayMs,
          }),
          kinesis: clients.kinesis,
          streamName: stream.name!,
          streamArn: stream.arn!,
        }),
      );
    }
    // async triggers: the rule target or the topic subscription above invokes the function.
  }

  /** The table's stream → the service's outbox publisher (Lambda's DynamoDB event source mapping). */
  function wireOutbox(outbox: OutboxNode): void {
    const { trigger } = outbox;
    const table = need(trigger.table);
    if (typeof table.streamArn !== "string") throw new Error(`event sources: ${trigger.table} has no stream`);
    add(
      outbox.service,
      new DynamoStreamPoller({
        ...streamMapping(outbox.function, outbox.function, trigger, {
          pollIntervalMs: input.tuning?.dynamodbStreamPollIntervalMs,
          retryBaseDelayMs: input.tuning?.dynamodbStreamRetryBaseDelayMs,
        }),
        streams: clients.dynamodbStreams,
        streamArn: table.streamArn,
        region,
      }),
    );
  }

  /** What a stream's event source mapping takes from its trigger and the tuning, Kinesis and DynamoDB alike. */
  function streamMapping(
    name: string,
    fn: string,
    trigger: Extract<Trigger, { kind: "kinesis" | "dynamodb" }>,
    tuning: { readonly pollIntervalMs: number | undefined; readonly retryBaseDelayMs: number | undefined },
  ) {
    const discoveryIntervalMs = input.tuning?.shardDiscoveryIntervalMs;
    return {
      name,
      sqs: clients.sqs,
      fn,
      functionArn: arnOf(fn),
      invoke: input.invoke,
      batchSize: trigger.batchSize,
      batchWindowSeconds: trigger.batchWindowSeconds,
      retries: trigger.retries,
      ...(trigger.kind === "dynamodb" ? { maxRecordAgeSeconds: trigger.maxRecordAgeSeconds } : {}),
      bisectOnError: trigger.bisectOnError,
      filterPattern: trigger.filterPattern,
      onFailureUrl: need(trigger.onFailure).url!,
      checkpoints: input.checkpoints,
      ...(tuning.pollIntervalMs !== undefined ? { pollIntervalMs: tuning.pollIntervalMs } : {}),
      ...(tuning.retryBaseDelayMs !== undefined ? { retryBaseDelayMs: tuning.retryBaseDelayMs } : {}),
      ...(discoveryIntervalMs !== undefined ? { discoveryIntervalMs } : {}),
      ...(input.log ? { log: input.log } : {}),
    };
  }

  return {
    sources,
    invokeAsync(fn, event, traceHeader) {
      const trigger = asyncTriggers.get(fn)?.trigger;
      const own = trigger?.kind === "async" ? trigger : undefined;
      asyncInvoker.accept({
        fn,
        functionArn: arnOf(fn),
        event,
        ...(traceHeader ? { traceHeader } : {}),
        retries: own?.retries ?? 2,
        ...(own ? { onFailureUrl: need(own.onFailure).url! } : {}),
      });
    },
    async stop() {
      await asyncInvoker.stop(); // cancels pending retries first, so the topic subscriptions can finish
      await Promise.allSettled(sources.map(({ source }) => source.stop()));
    },
  };
}
