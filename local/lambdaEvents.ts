import type { AttributeValue as StreamAttributeValue, _Record as StreamRecord } from "@aws-sdk/client-dynamodb-streams";
import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { _Record as KinesisRecord } from "@aws-sdk/client-kinesis";
import type { Message, MessageAttributeValue } from "@aws-sdk/client-sqs";
import type {
  AttributeValue,
  DynamoDBRecord,
  DynamoDBStreamEvent,
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
 * locally on exactly the shapes AWS documents ("Using Lambda with Amazon SQS / Kinesis / DynamoDB / SNS / EventBridge").
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

/**
 * A DynamoDB Streams event from records read with GetRecords on one shard of a table's stream: the record as the
 * Streams API returns it, but `ApproximateCreationDateTime` in epoch seconds, binary values base64, and
 * `eventSourceARN` the stream's ARN. `region` defaults to the ARN's (DynamoDB Local names its own, `ddblocal`).
 *
 * @example
 * ```ts
 * const { Records = [] } = await streams.send(new GetRecordsCommand({ ShardIterator }));
 * await handler(dynamodbStreamEvent(Records, streamArn), context);
 * ```
 */
export function dynamodbStreamEvent(
  records: readonly StreamRecord[],
  streamArn: string,
  region = arnParts(streamArn).region,
): DynamoDBStreamEvent {
  return {
    Records: records.map((record): DynamoDBRecord => {
      const change = record.dynamodb ?? {};
      return {
        eventID: record.eventID ?? "",
        ...(record.eventName ? { eventName: record.eventName } : {}),
        eventVersion: "1.1",
        eventSource: "aws:dynamodb",
        awsRegion: region,
        dynamodb: {
          ApproximateCreationDateTime: Math.floor((change.ApproximateCreationDateTime ?? new Date()).getTime() / 1000),
          Keys: attributeMap(change.Keys ?? {}),
          ...(change.NewImage ? { NewImage: attributeMap(change.NewImage) } : {}),
          ...(change.OldImage ? { OldImage: attributeMap(change.OldImage) } : {}),
          SequenceNumber: change.SequenceNumber ?? "",
          SizeBytes: change.SizeBytes ?? 0,
          ...(change.StreamViewType ? { StreamViewType: change.StreamViewType } : {}),
        },
        eventSourceARN: streamArn,
        ...(record.userIdentity ? { userIdentity: record.userIdentity } : {}),
      };
    }),
  };
}

function attributeMap(item: Record<string, StreamAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, attributeValue(value)]));
}

/** The stream's attribute value as Lambda writes it in JSON: binary (and binary sets) as base64. */
function attributeValue(value: StreamAttributeValue): AttributeValue {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.M !== undefined) return { M: attributeMap(value.M) };
  if (value.L !== undefined) return { L: value.L.map(attributeValue) };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  return { NULL: true };
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
