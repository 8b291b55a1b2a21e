import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { _Record as KinesisRecord } from "@aws-sdk/client-kinesis";
import type { Message, MessageAttributeValue } from "@aws-sdk/client-sqs";
import type {
  EventBridgeEvent,
  KinesisStreamEvent,
  KinesisStreamRecord,
  SNSEvent,
  SNSMessageAttributes,
  SQSEvent,
  SQSMessageAttributes,
  SQSRecord,
  SQSRecordAttributes,
} from "aws-lambda";

/**
 * The Lambda events a deployed function receives, built from what the emulators return, so that handlers run
 * locally on exactly the shapes AWS documents ("Using Lambda with Amazon SQS / Kinesis / SNS / EventBridge").
 * Pure functions: the local runtime's pollers and the integration tests share them.
 */

/** The region and account an ARN names (`arn:aws:<service>:<region>:<account>:…`). */
function arnParts(arn: string): { region: string; account: string } {
  const [, , , region = "us-east-1", account = "000000000000"] = arn.split(":");
  return { region: region || "us-east-1", account: account || "000000000000" };
}

/**
 * An SQS event from messages received with `AttributeNames: ["All"]` and `MessageAttributeNames: ["All"]`.
 * Attribute names are camelCase in the event (`stringValue`, `dataType`), binary values base64, and the list
 * fields always present, as Lambda delivers them.
 *
 * @example
 * ```ts
 * const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, AttributeNames: ["All"], MessageAttributeNames: ["All"] }));
 * await handler(sqsEvent(Messages, queueArn), context);
 * ```
 */
export function sqsEvent(messages: readonly Message[], queueArn: string): SQSEvent {
  const { region } = arnParts(queueArn);
  return {
    Records: messages.map(
      (message): SQSRecord => ({
        messageId: message.MessageId ?? "",
        receiptHandle: message.ReceiptHandle ?? "",
        body: message.Body ?? "",
        attributes: sqsRecordAttributes(message.Attributes ?? {}),
        messageAttributes: sqsMessageAttributes(message.MessageAttributes ?? {}),
        md5OfBody: message.MD5OfBody ?? "",
        ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
        eventSource: "aws:sqs",
        eventSourceARN: queueArn,
        awsRegion: region,
      }),
    ),
  };
}

function sqsRecordAttributes(attributes: Record<string, string>): SQSRecordAttributes {
  const now = String(Date.now());
  const optional = ["AWSTraceHeader", "SequenceNumber", "MessageGroupId", "MessageDeduplicationId"] as const;
  const record: SQSRecordAttributes = {
    ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
    SentTimestamp: attributes.SentTimestamp ?? now,
    SenderId: attributes.SenderId ?? "000000000000",
    ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? now,
  };
  for (const name of optional) {
    const value = attributes[name];
    if (value !== undefined) record[name] = value;
  }
  return record;
}

function sqsMessageAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { binaryValue: base64(value.BinaryValue) } : {}),
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map(base64),
        dataType: value.DataType ?? "String",
      },
    ]),
  );
}

/**
 * A Kinesis event from records read with GetRecords on one shard: `data` base64, the arrival time in epoch
 * seconds, and `eventID` `<shardId>:<sequenceNumber>`.
 *
 * @example
 * ```ts
 * const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
 * await handler(kinesisEvent(Records, streamArn, "shardId-000000000000"), context);
 * ```
 */
export function kinesisEvent(
  records: readonly KinesisRecord[],
  streamArn: string,
  shardId = "shardId-000000000000",
): KinesisStreamEvent {
  const { region, account } = arnParts(streamArn);
  return {
    Records: records.map(
      (record): KinesisStreamRecord => ({
        kinesis: {
          kinesisSchemaVersion: "1.0",
          partitionKey: record.PartitionKey ?? "",
          sequenceNumber: record.SequenceNumber ?? "",
          data: Buffer.from(record.Data ?? new Uint8Array()).toString("base64"),
          approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp ?? new Date()).getTime() / 1000,
        },
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `${shardId}:${record.SequenceNumber ?? ""}`,
        eventName: "aws:kinesis:record",
        invokeIdentityArn: `arn:aws:iam::${account}:role/lambda-role`,
        awsRegion: region,
        eventSourceARN: streamArn,
      }),
    ),
  };
}

/** An SNS notification as HTTP/SQS subscribers receive it (note the `…URL` spellings). */
export interface SnsNotification {
  readonly Type?: string;
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Subject?: string;
  readonly Message: string;
  readonly Timestamp: string;
  readonly SignatureVersion?: string;
  readonly Signature?: string;
  readonly SigningCertURL?: string;
  readonly UnsubscribeURL?: string;
  readonly MessageAttributes?: SNSMessageAttributes;
}

/**
 * The SNS event a subscribed function receives for one notification (SNS invokes with one record). Lambda
 * spells `SigningCertUrl` and `UnsubscribeUrl` where the notification JSON has `…URL`.
 *
 * @example
 * ```ts
 * await handler(snsEvent(JSON.parse(sqsMessage.Body), `${topicArn}:${subscriptionId}`), context);
 * ```
 */
export function snsEvent(notification: SnsNotification, subscriptionArn: string): SNSEvent {
  const { region } = arnParts(notification.TopicArn);
  const endpoint = `https://sns.${region}.amazonaws.com`;
  return {
    Records: [
      {
        EventVersion: "1.0",
        EventSubscriptionArn: subscriptionArn,
        EventSource: "aws:sns",
        Sns: {
          Type: notification.Type ?? "Notification",
          MessageId: notification.MessageId,
          TopicArn: notification.TopicArn,
          ...(notification.Subject ? { Subject: notification.Subject } : {}),
          Message: notification.Message,
          Timestamp: notification.Timestamp,
          SignatureVersion: notification.SignatureVersion ?? "1",
          Signature: notification.Signature ?? "",
          SigningCertUrl: notification.SigningCertURL ?? `${endpoint}/SimpleNotificationService.pem`,
          UnsubscribeUrl:
            notification.UnsubscribeURL ??
            `${endpoint}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscriptionArn)}`,
          MessageAttributes: notification.MessageAttributes ?? {},
        },
      },
    ],
  };
}

/**
 * The event a bus rule delivers for one PutEvents entry: `version` "0", `detail` parsed from the entry's JSON
 * text, `time` the entry's (else now) to the second, as EventBridge writes it.
 *
 * @example
 * ```ts
 * await handler(eventBridgeEvent(entry, { id: randomUUID(), account: "000000000000", region: "us-east-1" }), context);
 * ```
 */
export function eventBridgeEvent(
  entry: PutEventsRequestEntry,
  origin: { readonly id: string; readonly account: string; readonly region: string },
): EventBridgeEvent<string, unknown> {
  const time = entry.Time instanceof Date ? entry.Time : new Date();
  return {
    version: "0",
    id: origin.id,
    "detail-type": entry.DetailType ?? "",
    source: entry.Source ?? "",
    account: origin.account,
    time: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: origin.region,
    resources: entry.Resources ?? [],
    detail: entry.Detail ? JSON.parse(entry.Detail) : {},
  };
}
