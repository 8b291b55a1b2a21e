import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  ListUserPoolsCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, ListEventBusesCommand } from "@aws-sdk/client-eventbridge";
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListStreamsCommand as ListKinesisStreamsCommand,
  PutRecordCommand,
  waitUntilStreamExists,
} from "@aws-sdk/client-kinesis";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketNotificationConfigurationCommand,
  ListBucketsCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { CreateTopicCommand, ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { createLocalhostHandler } from "fauxqs";
import { describe, expect, it } from "vitest";
import { startEmulators, startXrayCollector } from "../../local/emulators/index.js";
import { isPortInUse } from "../../local/emulators/ports.js";
import { useEmulators } from "../support/emulators.js";

const emulators = useEmulators();
const unique = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

/** A client's resolved request host, captured before anything is sent. */
async function resolvedOrigin(
  client: {
    middlewareStack: { add(fn: unknown, options: { step: "finalizeRequest"; priority: "low" }): void };
    send(command: never): Promise<unknown>;
  },
  command: unknown,
): Promise<string> {
  const sentinel = new Error("captured");
  let origin = "";
  client.middlewareStack.add(
    () => async (args: { request: { protocol: string; hostname: string; port?: number } }) => {
      origin = `${args.request.protocol}//${args.request.hostname}:${args.request.port}`;
      throw sentinel;
    },
    { step: "finalizeRequest", priority: "low" },
  );
  await expect(client.send(command as never)).rejects.toBe(sentinel);
  return origin;
}

describe("SDK endpoint variables", () => {
  // Default clients: region, credentials and endpoint come only from the env useEmulators() set.
  it.each([
    ["AWS_ENDPOINT_URL_DYNAMODB", () => new DynamoDBClient({}), new ListTablesCommand({})],
    ["AWS_ENDPOINT_URL_KINESIS", () => new KinesisClient({}), new ListKinesisStreamsCommand({})],
    ["AWS_ENDPOINT_URL_SQS", () => new SQSClient({}), new CreateQueueCommand({ QueueName: "x" })],
    ["AWS_ENDPOINT_URL_SNS", () => new SNSClient({}), new ListTopicsCommand({})],
    ["AWS_ENDPOINT_URL_S3", () => new S3Client({}), new ListBucketsCommand({})],
    ["AWS_ENDPOINT_URL_EVENTBRIDGE", () => new EventBridgeClient({}), new ListEventBusesCommand({})],
    [
      "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
      () => new CognitoIdentityProviderClient({}),
      new ListUserPoolsCommand({ MaxResults: 10 }),
    ],
  ])("%s is honoured by a default client", async (name, makeClient, command) => {
    const origin = await resolvedOrigin(makeClient() as never, command);
    expect(origin).toBe(emulators.env[name]);
  });

  it("AWS_XRAY_DAEMON_ADDRESS points at the collector", () => {
    expect(emulators.env.AWS_XRAY_DAEMON_ADDRESS).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

describe("each service answers", () => {
  // Each service creates a resource of its own and then reports that very resource: an answer, not just a 200.
  // Other tests share these emulators, so a listing is checked to contain the resource, not to equal a list.
  it("DynamoDB, Kinesis, SQS, SNS, S3, Cognito", async () => {
    const region = emulators.env.AWS_REGION;
    const ddb = new DynamoDBClient({});
    const TableName = unique();
    const table = await ddb.send(
      new CreateTableCommand({
        TableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      }),
    );
    expect(table.TableDescription?.TableName).toBe(TableName);
    expect((await ddb.send(new DescribeTableCommand({ TableName }))).Table?.KeySchema).toEqual([
      { AttributeName: "pk", KeyType: "HASH" },
    ]);

    const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
    const StreamName = unique();
    await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }));
    const stream = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName }));
    expect(stream.StreamDescriptionSummary).toMatchObject({ StreamName, OpenShardCount: 1 });

    const sqs = new SQSClient({});
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: unique() }));
    // The queue URL resolves, so the client's use of its host works with default configuration.
    expect(QueueUrl?.startsWith(`${emulators.endpoints.sqs}/000000000000/`)).toBe(true);
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "hello" }));
    expect(sent.MD5OfMessageBody).toBe(createHash("md5").update("hello").digest("hex"));

    const sns = new SNSClient({});
    const topicName = unique();
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: topicName }));
    expect(TopicArn).toBe(`arn:aws:sns:${region}:000000000000:${topicName}`);
    expect((await sns.send(new ListTopicsCommand({}))).Topics).toContainEqual({ TopicArn });

    const s3 = new S3Client({});
    const Bucket = unique();
    await s3.send(new CreateBucketCommand({ Bucket }));
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toContain(Bucket);

    const cognito = new CognitoIdentityProviderClient({});
    const PoolName = unique();
    const pool = await cognito.send(new CreateUserPoolCommand({ PoolName }));
    expect(pool.UserPool?.Name).toBe(PoolName);
    const described = await cognito.send(new DescribeUserPoolCommand({ UserPoolId: pool.UserPool?.Id }));
    expect(described.UserPool).toMatchObject({ Id: pool.UserPool?.Id, Name: PoolName });
  });

  it("EventBridge stand-in listens", async () => {
    // A POST that names no operation is refused as EventBridge refuses it: 400, UnknownOperationException.
    const res = await fetch(emulators.endpoints.eventbridge, { method: "POST" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: "UnknownOperationException" });
    // A real call is answered: every account has the `default` bus.
    const { EventBuses } = await new EventBridgeClient({}).send(new ListEventBusesCommand({}));
    expect(EventBuses?.map((bus) => bus.Name)).toContain("default");
  });
});

describe("DynamoDB Local", () => {
  it("runs TransactWriteItems, including a cancelled one", async () => {
    const ddb = new DynamoDBClient({});
    const TableName = unique();
    await ddb.send(
      new CreateTableCommand({
        TableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      }),
    );
    await ddb.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName, Item: { pk: { S: "a" }, n: { N: "1" } } } },
          { Put: { TableName, Item: { pk: { S: "b" }, n: { N: "2" } } } },
        ],
      }),
    );
    await expect(
      ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName, Item: { pk: { S: "c" } } } },
            { ConditionCheck: { TableName, Key: { pk: { S: "a" } }, ConditionExpression: "attribute_not_exists(pk)" } },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: "TransactionCanceledException" });
    expect((await ddb.send(new GetItemCommand({ TableName, Key: { pk: { S: "b" } } }))).Item?.n?.N).toBe("2");
    expect((await ddb.send(new GetItemCommand({ TableName, Key: { pk: { S: "c" } } }))).Item).toBeUndefined();
  });
});

describe("Kinesis", () => {
  it("puts and reads a record", async () => {
    const kinesis = new KinesisClient(emulators.clientConfig("kinesis"));
    const StreamName = unique();
    await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }));
    // As on AWS the stream is CREATING first; kinesalite makes it ACTIVE on the next tick.
    await waitUntilStreamExists({ client: kinesis, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 }, { StreamName });
    const put = await kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: "k", Data: Buffer.from("hi") }));
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName, ShardId: put.ShardId, ShardIteratorType: "TRIM_HORIZON" }),
    );
    const records = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    expect(Buffer.from(records.Records?.[0]?.Data ?? []).toString()).toBe("hi");
  });

  it("AT_TIMESTAMP reads from the first record at or after the time, and from the tip when there is none (as Kinesis)", async () => {
    const kinesis = new KinesisClient(emulators.clientConfig("kinesis"));
    const StreamName = unique();
    await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }));
    await waitUntilStreamExists({ client: kinesis, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 }, { StreamName });
    const put = (text: string) =>
      kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: "k", Data: Buffer.from(text) }));
    const { ShardId } = await put("before");
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const between = new Date();
    await put("after");
    const read = async (Timestamp: Date) => {
      const { ShardIterator } = await kinesis.send(
        new GetShardIteratorCommand({ StreamName, ShardId, ShardIteratorType: "AT_TIMESTAMP", Timestamp }),
      );
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
      return {
        iterator: out.NextShardIterator,
        data: (out.Records ?? []).map((r) => Buffer.from(r.Data ?? []).toString()),
      };
    };
    expect((await read(between)).data).toEqual(["after"]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // Nothing at or after now: an iterator at the tip (kinesalite alone never answers), which then reads what comes.
    const tip = await read(new Date());
    expect(tip.data).toEqual([]);
    await put("later");
    const next = await kinesis.send(new GetRecordsCommand({ ShardIterator: tip.iterator }));
    expect((next.Records ?? []).map((r) => Buffer.from(r.Data ?? []).toString())).toEqual(["later"]);
    // A time in the future is refused, as Kinesis refuses it.
    await expect(read(new Date(Date.now() + 60_000))).rejects.toMatchObject({ name: "InvalidArgumentException" });
  });
});

/** SQS's documented digest of message (system) attributes, written out independently of the proxy. */
function md5OfTraceHeader(value: string): string {
  const field = (text: string) => {
    const bytes = Buffer.from(text, "utf8");
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  const encoded = Buffer.concat([field("AWSTraceHeader"), field("String"), Buffer.from([1]), field(value)]);
  return createHash("md5").update(encoded).digest("hex");
}

describe("SQS AWSTraceHeader", () => {
  const sqs = new SQSClient({});
  const header = (n: number) =>
    `Root=1-5759e988-bd862e3fe1be46a99427${String(n).padStart(4, "0")};Parent=53995c3f42cd8ad8;Sampled=1`;
  const traceOf = (message: Message | undefined) => message?.Attributes?.AWSTraceHeader;
  const withHeader = (value: string) => ({ AWSTraceHeader: { DataType: "String", StringValue: value } });

  it("comes back from SendMessage on ReceiveMessage when asked for, with the right MD5", async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: unique() }));
    const sent = await sqs.send(
      new SendMessageCommand({ QueueUrl, MessageBody: "one", MessageSystemAttributes: withHeader(header(1)) }),
    );
    expect(sent.MD5OfMessageSystemAttributes).toBe(md5OfTraceHeader(header(1)));
    const notAsked = await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0 }));
    expect(traceOf(notAsked.Messages?.[0])).toBeUndefined();
    for (const ask of [
      { MessageSystemAttributeNames: ["AWSTraceHeader" as const] },
      { MessageSystemAttributeNames: ["All" as const] },
      { AttributeNames: ["All" as const] },
    ]) {
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0, ...ask }));
      expect(traceOf(received.Messages?.[0])).toBe(header(1));
    }
  });

  it("comes back from SendMessageBatch per entry; the X-Amzn-Trace-Id header covers entries without one", async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: unique() }));
    const traced = new SQSClient({});
    traced.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers["X-Amzn-Trace-Id"] = header(9);
        return next(args);
      },
      { step: "build" },
    );
    const sent = await traced.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: "a", MessageBody: "a", MessageSystemAttributes: withHeader(header(2)) },
          { Id: "b", MessageBody: "b" },
        ],
      }),
    );
    expect(sent.Successful?.find((e) => e.Id === "a")?.MD5OfMessageSystemAttributes).toBe(md5OfTraceHeader(header(2)));
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["AWSTraceHeader"] }),
    );
    const byBody = Object.fromEntries((received.Messages ?? []).map((m) => [m.Body, traceOf(m)]));
    expect(byBody).toEqual({ a: header(2), b: header(9) });
  });

  it("refuses other system attributes, as SQS does", async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: unique() }));
    await expect(
      sqs.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: "x",
          MessageSystemAttributes: { AWSTraceHeader: { DataType: "Number", StringValue: "1" } },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
  });

  it("survives redrive to a dead-letter queue", async () => {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: unique() }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: unique(),
        Attributes: {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 1 }),
        },
      }),
    );
    await sqs.send(
      new SendMessageCommand({ QueueUrl, MessageBody: "poison", MessageSystemAttributes: withHeader(header(3)) }),
    );
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0 }))).Messages).toHaveLength(1);
    // Second receive: maxReceiveCount exceeded, the message moves to the DLQ.
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    const dead = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl, MessageSystemAttributeNames: ["All"], WaitTimeSeconds: 1 }),
    );
    expect(dead.Messages?.[0]?.Body).toBe("poison");
    expect(traceOf(dead.Messages?.[0])).toBe(header(3));
  });
});

describe("S3 notifications to SQS", () => {
  const s3 = new S3Client({}); // no forcePathStyle: an IP endpoint makes the SDK use path-style URLs
  const sqs = new SQSClient({});

  async function receiveAll(QueueUrl: string | undefined): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for (;;) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
      if (!Messages?.length) return out;
      out.push(...Messages.map((m) => JSON.parse(m.Body ?? "{}") as Record<string, unknown>));
    }
  }

  type S3Record = {
    eventVersion: string;
    eventSource: string;
    awsRegion: string;
    eventTime: string;
    eventName: string;
    s3: {
      configurationId: string;
      bucket: { name: string; arn: string };
      object: { key: string; size: number; eTag: string; sequencer: string };
    };
  };
  const records = (messages: Record<string, unknown>[]) =>
    messages.flatMap((m) => (m.Records as S3Record[] | undefined) ?? []);

  async function setUp(filter?: { prefix?: string; suffix?: string }) {
    const Bucket = unique();
    await s3.send(new CreateBucketCommand({ Bucket }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: unique() }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    const FilterRules = [
      ...(filter?.prefix ? [{ Name: "prefix" as const, Value: filter.prefix }] : []),
      ...(filter?.suffix ? [{ Name: "suffix" as const, Value: filter.suffix }] : []),
    ];
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket,
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              Id: "uploads",
              QueueArn: Attributes?.QueueArn,
              Events: ["s3:ObjectCreated:*"],
              ...(FilterRules.length ? { Filter: { Key: { FilterRules } } } : {}),
            },
          ],
        },
      }),
    );
    return { Bucket, QueueUrl, QueueArn: Attributes?.QueueArn ?? "" };
  }

  it("sends s3:TestEvent on configuration and returns the configuration", async () => {
    const { Bucket, QueueUrl, QueueArn } = await setUp({ prefix: "uploads/", suffix: ".jpg" });
    const [test] = await receiveAll(QueueUrl);
    expect(test).toMatchObject({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket });
    const config = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket }));
    expect(config.QueueConfigurations).toEqual([
      {
        Id: "uploads",
        QueueArn,
        Events: ["s3:ObjectCreated:*"],
        Filter: {
          Key: {
            FilterRules: [
              { Name: "prefix", Value: "uploads/" },
              { Name: "suffix", Value: ".jpg" },
            ],
          },
        },
      },
    ]);
  });

  it("notifies PutObject matching prefix and suffix, with the documented record", async () => {
    const { Bucket, QueueUrl } = await setUp({ prefix: "uploads/", suffix: ".jpg" });
    await receiveAll(QueueUrl); // the test event
    await s3.send(new PutObjectCommand({ Bucket, Key: "uploads/my photo.jpg", Body: "12345" }));
    await s3.send(new PutObjectCommand({ Bucket, Key: "other/a.jpg", Body: "x" }));
    await s3.send(new PutObjectCommand({ Bucket, Key: "uploads/a.png", Body: "x" }));
    const [record, ...rest] = records(await receiveAll(QueueUrl));
    expect(rest).toEqual([]);
    expect(record).toMatchObject({
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: "us-east-1",
      eventName: "ObjectCreated:Put",
      s3: {
        configurationId: "uploads",
        bucket: { name: Bucket, arn: `arn:aws:s3:::${Bucket}` },
        object: { key: "uploads/my+photo.jpg", size: 5, eTag: createHash("md5").update("12345").digest("hex") },
      },
    });
    expect(new Date(record?.eventTime ?? "").getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(record?.s3.object.sequencer).toMatch(/^[0-9A-F]+$/);
  });

  it("notifies a presigned PUT made with fetch", async () => {
    const { Bucket, QueueUrl } = await setUp({ prefix: "uploads/" });
    await receiveAll(QueueUrl);
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket, Key: "uploads/presigned.bin" }), {
      expiresIn: 60,
    });
    const res = await fetch(url, { method: "PUT", body: Buffer.from("presigned!") });
    expect(res.status).toBe(200);
    const [record] = records(await receiveAll(QueueUrl));
    expect(record).toMatchObject({
      eventName: "ObjectCreated:Put",
      s3: { object: { key: "uploads/presigned.bin", size: 10 } },
    });
  });

  it("notifies CompleteMultipartUpload and CopyObject", async () => {
    const { Bucket, QueueUrl } = await setUp({ suffix: ".dat" });
    await receiveAll(QueueUrl);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: "big.dat" }));
    const part = await s3.send(
      new UploadPartCommand({ Bucket, Key: "big.dat", UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 1) }),
    );
    expect(records(await receiveAll(QueueUrl))).toEqual([]); // parts are no creation
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: "big.dat",
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    await s3.send(new CopyObjectCommand({ Bucket, Key: "copy.dat", CopySource: `${Bucket}/big.dat` }));
    const got = records(await receiveAll(QueueUrl)).map((r) => [r.eventName, r.s3.object.key, r.s3.object.size]);
    expect(got).toEqual([
      ["ObjectCreated:CompleteMultipartUpload", "big.dat", 1024],
      ["ObjectCreated:Copy", "copy.dat", 1024],
    ]);
  });

  it("works with virtual-hosted-style requests when the bucket host resolves", async () => {
    const { Bucket, QueueUrl } = await setUp();
    await receiveAll(QueueUrl);
    const port = new URL(emulators.endpoints.s3).port;
    // *.localhost does not resolve on these machines; fauxqs's handler resolves every host to 127.0.0.1.
    const virtual = new S3Client({ endpoint: `http://s3.localhost:${port}`, requestHandler: createLocalhostHandler() });
    await virtual.send(new PutObjectCommand({ Bucket, Key: "vhost.txt", Body: "v" }));
    const [record] = records(await receiveAll(QueueUrl));
    expect(record?.s3.object.key).toBe("vhost.txt");
  });

  it("refuses a missing destination queue and overlapping configurations", async () => {
    const { Bucket, QueueArn } = await setUp();
    await expect(
      s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket,
          NotificationConfiguration: {
            QueueConfigurations: [{ QueueArn: `${QueueArn}-missing`, Events: ["s3:ObjectCreated:*"] }],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidArgument" });
    await expect(
      s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket,
          NotificationConfiguration: {
            QueueConfigurations: [
              { QueueArn, Events: ["s3:ObjectCreated:*"] },
              { QueueArn, Events: ["s3:ObjectCreated:Put"] },
            ],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidArgument" });
  });
});

describe("X-Ray collector", () => {
  const datagram = (segment: object) => Buffer.from(`{"format":"json","version":1}\n${JSON.stringify(segment)}`);
  function sendUdp(address: string, payloads: Buffer[]): Promise<void> {
    const [host, port] = address.split(":");
    const socket = createSocket("udp4");
    return new Promise((resolve, reject) => {
      let pending = payloads.length;
      for (const payload of payloads) {
        socket.send(payload, Number(port), host, (error) => {
          if (error) reject(error);
          if (--pending === 0) socket.close(() => resolve());
        });
      }
    });
  }

  it("receives segments and subsegments over UDP at AWS_XRAY_DAEMON_ADDRESS and ignores garbage", async () => {
    const traceId = `1-${Math.floor(Date.now() / 1000).toString(16)}-${createHash("md5").update(unique()).digest("hex").slice(0, 24)}`;
    await sendUdp(emulators.env.AWS_XRAY_DAEMON_ADDRESS ?? "", [
      Buffer.from("not json at all"),
      Buffer.from('{"format":"json","version":1}\n{broken'),
      Buffer.from('{"format":"json","version":1}\n{"name":"no ids"}'),
      datagram({ trace_id: traceId, id: "70de5b6f19ff9a0a", name: "users-api", start_time: 1, end_time: 2 }),
      datagram({
        trace_id: traceId,
        id: "70de5b6f19ff9a0b",
        type: "subsegment",
        parent_id: "70de5b6f19ff9a0a",
        name: "DynamoDB",
      }),
    ]);
    const documents = await emulators.xray.waitForTrace(traceId, (docs) => docs.length === 1);
    // Read back through the X-Ray API: the subsegment sent on its own is nested under its segment.
    expect(documents.map((d) => d.name)).toEqual(["users-api"]);
    expect(documents[0]?.subsegments).toEqual([{ id: "70de5b6f19ff9a0b", name: "DynamoDB" }]);
  });

  it("keeps a bounded number of traces and offers waitFor", async () => {
    const xray = await startXrayCollector({ maxTraces: 2 });
    try {
      const waiting = xray.waitFor((s) => s.name === "third", 2_000);
      await sendUdp(xray.address, [
        datagram({ trace_id: "1-a", id: "1", name: "first" }),
        datagram({ trace_id: "1-b", id: "2", name: "second" }),
        datagram({ trace_id: "1-c", id: "3", name: "third" }),
      ]);
      expect((await waiting).trace_id).toBe("1-c");
      expect(xray.traceIds()).toEqual(["1-b", "1-c"]);
      xray.clear();
      expect(xray.segments()).toEqual([]);
      await expect(xray.waitFor(() => false, 50)).rejects.toThrow("no matching X-Ray segment within 50 ms");
    } finally {
      await xray.stop();
    }
  });
});

describe("lifecycle", () => {
  it("stop() leaves no process and frees the ports", async () => {
    const own = await startEmulators();
    console.log(
      `[emulators] start-up ${own.startedInMs} ms; RSS: this process ${Math.round(process.memoryUsage().rss / 1048576)} MB, ` +
        `DynamoDB Local ${rssMb(own.processes.dynamodb)} MB, cognito-local ${rssMb(own.processes.cognito)} MB`,
    );
    const ports = Object.values(own.endpoints).map((url) => Number(new URL(url).port));
    ports.push(Number(own.env.AWS_XRAY_DAEMON_ADDRESS?.split(":")[1]));
    expect(isRunning(own.processes.dynamodb)).toBe(true);
    await own.stop();
    expect(isRunning(own.processes.dynamodb)).toBe(false);
    expect(isRunning(own.processes.cognito)).toBe(false);
    for (const port of new Set(ports.slice(0, -1))) expect(await isPortInUse(port)).toBe(false);
    // The X-Ray port is UDP: binding it again must succeed.
    const udp = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(ports.at(-1), "127.0.0.1", () => resolve());
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
  });

  it("persistent mode keeps a table across a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "summit-emulators-"));
    try {
      const TableName = unique();
      const first = await startEmulators({ dataDir });
      const ddb = new DynamoDBClient(emulators.clientConfig("dynamodb"));
      const firstClient = new DynamoDBClient({
        ...emulators.clientConfig("dynamodb"),
        endpoint: first.endpoints.dynamodb,
      });
      await firstClient.send(
        new CreateTableCommand({
          TableName,
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        }),
      );
      await first.stop();
      const second = await startEmulators({ dataDir });
      try {
        const secondClient = new DynamoDBClient({
          ...emulators.clientConfig("dynamodb"),
          endpoint: second.endpoints.dynamodb,
        });
        const table = await secondClient.send(new DescribeTableCommand({ TableName }));
        expect(table.Table?.TableName).toBe(TableName);
        // ...and the shared emulators never saw it.
        await expect(ddb.send(new DescribeTableCommand({ TableName }))).rejects.toMatchObject({
          name: "ResourceNotFoundException",
        });
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
