import { randomUUID } from "node:crypto";
import {
  CreateEventBusCommand,
  type EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { CreateStreamCommand, DescribeStreamCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";

/** Emulator resources for the transport round trips, named uniquely per run (the emulators are shared). */
export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export async function createQueue(sqs: SQSClient, prefix: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName(prefix) }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: QueueUrl!, AttributeNames: ["QueueArn"] }),
  );
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

/** Receives until `count` messages arrived (long polls), with every attribute a Lambda event carries. */
export async function receive(sqs: SQSClient, queueUrl: string, count: number, timeoutMs = 10_000): Promise<Message[]> {
  const messages: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (messages.length < count && Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        AttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    messages.push(...Messages);
  }
  return messages;
}

/** A topic with a queue subscribed to it (not raw: the queue gets the SNS notification JSON). */
export async function topicToQueue(sns: SNSClient, sqs: SQSClient) {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("notes-topic") }));
  const queue = await createQueue(sqs, "notes-from-topic");
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({ TopicArn: TopicArn!, Protocol: "sqs", Endpoint: queue.arn }),
  );
  return { topicArn: TopicArn!, subscriptionArn: SubscriptionArn!, queue };
}

/** A bus with a rule that sends `detailType` events from `source` to a queue (bus → queue buffering). */
export async function busToQueue(events: EventBridgeClient, sqs: SQSClient, source: string, detailType: string) {
  const bus = uniqueName("notes-bus");
  await events.send(new CreateEventBusCommand({ Name: bus }));
  const queue = await createQueue(sqs, "notes-from-bus");
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: queue.url,
      Attributes: {
        Policy: JSON.stringify({
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "events.amazonaws.com" },
              Action: "sqs:SendMessage",
              Resource: queue.arn,
            },
          ],
        }),
      },
    }),
  );
  const rule = uniqueName("notes-rule");
  await events.send(
    new PutRuleCommand({
      Name: rule,
      EventBusName: bus,
      EventPattern: JSON.stringify({ source: [source], "detail-type": [detailType] }),
    }),
  );
  const { FailedEntryCount } = await events.send(
    new PutTargetsCommand({ Rule: rule, EventBusName: bus, Targets: [{ Id: "queue", Arn: queue.arn }] }),
  );
  if (FailedEntryCount) throw new Error("PutTargets failed");
  return { bus, queue };
}

/** A one-shard stream, once ACTIVE. */
export async function createStream(kinesis: KinesisClient) {
  const name = uniqueName("notes-stream");
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  for (let i = 0; i < 100; i++) {
    const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    if (StreamDescription?.StreamStatus === "ACTIVE") {
      return { name, arn: StreamDescription.StreamARN!, shardId: StreamDescription.Shards![0]!.ShardId! };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`stream ${name} never became ACTIVE`);
}
