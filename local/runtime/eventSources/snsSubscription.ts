import { type SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { type SnsNotification, snsEvent } from "../../lambdaEvents.js";
import type { AsyncInvoker } from "./asyncInvoker.js";
import { envelopeTraceHeader } from "./traceParent.js";
import { EVENT_SOURCE_DEFAULTS, type EventSource, sleep, stopSignal } from "./types.js";

export interface SnsLambdaSubscriptionOptions {
  readonly name: string;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly sqsEndpoint: string;
  readonly accountId: string;
  readonly topicArn: string;
  /** Physical name of the internal queue. */
  readonly queueName: string;
  readonly filterPolicy: Record<string, unknown>;
  readonly fn: string;
  readonly functionArn: string;
  readonly retries: number;
  readonly onFailureUrl: string;
  readonly asyncInvoker: AsyncInvoker;
  readonly log?: (line: string) => void;
}

/**
 * A topic's Lambda subscription. The SNS emulator has no Lambda protocol, so this substitutes one: an internal
 * SQS queue is subscribed to the topic (not raw, with the subscription's filter policy), and each notification
 * read from it is handed to the function as the SNS event, as an asynchronous invocation ("Invoking Lambda
 * functions with Amazon SNS notifications"): Lambda's retries with backoff, then the on-failure destination.
 * The message is deleted once the invocation settled, so nothing is lost when the runtime stops halfway.
 */
export async function subscribeFunctionToTopic(options: SnsLambdaSubscriptionOptions): Promise<EventSource> {
  const { sqs } = options;
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: options.queueName,
      // Longer than any retry schedule: the message stays hidden while its invocation is pending.
      Attributes: { VisibilityTimeout: "43200" },
    }),
  );
  const queueUrl = created.QueueUrl ?? `${options.sqsEndpoint}/${options.accountId}/${options.queueName}`;
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  const queueArn = attrs.Attributes?.QueueArn;
  if (!queueArn) throw new Error(`${options.queueName}: no ARN`);
  const subscription = await options.sns.send(
    new SubscribeCommand({
      TopicArn: options.topicArn,
      Protocol: "sqs",
      Endpoint: queueArn,
      ReturnSubscriptionArn: true,
      Attributes: { FilterPolicy: JSON.stringify(options.filterPolicy), RawMessageDelivery: "false" },
    }),
  );
  const subscriptionArn = subscription.SubscriptionArn ?? `${options.topicArn}:${options.name}`;
  const abort = stopSignal();
  const state = { healthy: true };

  /** False when a stop cancelled the invocation: the message then stays for the next run. */
  const deliver = async (message: Message): Promise<boolean> => {
    let notification: SnsNotification;
    try {
      notification = JSON.parse(message.Body ?? "") as SnsNotification;
    } catch {
      options.log?.(`${options.name}: not an SNS notification, dropped`);
      return true;
    }
    const event = snsEvent(notification, subscriptionArn);
    const settled = await options.asyncInvoker.run({
      fn: options.fn,
      functionArn: options.functionArn,
      event,
      traceHeader: message.Attributes?.AWSTraceHeader ?? envelopeTraceHeader(notification.Message),
      retries: options.retries,
      onFailureUrl: options.onFailureUrl,
    });
    return settled !== "cancelled";
  };

  const loop = (async () => {
    let failures = 0;
    while (!abort.signal.aborted) {
      try {
        const out = await sqs
          .send(
            new ReceiveMessageCommand({
              QueueUrl: queueUrl,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: EVENT_SOURCE_DEFAULTS.sqsWaitSeconds,
              MessageSystemAttributeNames: ["AWSTraceHeader"],
            }),
            { abortSignal: abort.signal },
          )
          .catch((error: unknown) => {
            if (abort.signal.aborted) return { Messages: [] };
            throw error;
          });
        // One invocation per notification, concurrently, as SNS invokes per message.
        await Promise.all(
          (out.Messages ?? []).map(async (message) => {
            if (!(await deliver(message))) return;
            await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
          }),
        );
        failures = 0;
        state.healthy = true;
      } catch (error) {
        if (abort.signal.aborted) return;
        failures++;
        state.healthy = failures < 5;
        options.log?.(`${options.name}: ${error instanceof Error ? error.message : String(error)}`);
        await sleep(Math.min(5_000, 200 * 2 ** failures), abort.signal);
      }
    }
  })();

  return {
    name: options.name,
    get healthy() {
      return state.healthy;
    },
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
