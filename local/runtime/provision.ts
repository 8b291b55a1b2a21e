import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateEventBusCommand, EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { LinkedResource } from "../../shared/config.js";
import type { TableNode, Topology } from "../../shared/topology/index.js";
import { provisionResource } from "./resources/index.js";
import { createUserPool } from "./resources/userPool.js";

export interface ProvisionTarget {
  readonly endpoints: Readonly<
    Record<"dynamodb" | "kinesis" | "sqs" | "sns" | "s3" | "cognito" | "eventbridge", string>
  >;
  readonly region: string;
  readonly accountId: string;
  /** Prefix of physical names, as SST prefixes them with app and stage. */
  readonly prefix: string;
}

/** Every linked resource by its topology name, with the fields SST's `Resource` gives a handler. */
export type Resources = Record<string, LinkedResource>;

const credentials = { accessKeyId: "local", secretAccessKey: "local" };

/**
 * The most shards a stream gets locally. The topology sizes a stream for the cloud's peak (`products.ProductViewed`:
 * 120 shards), but kinesalite holds 100 shards in all (its `shardLimit`), and the local event source reads every shard
 * of a stream for each consumer, four times a second: dozens would fail CreateStream or spin hundreds of idle loops.
 * Four still give several shards (order per key across shards, as in the cloud) and fit every stream side by side.
 * Only here: the stacks create the count the topology says.
 */
export const LOCAL_MAX_SHARDS = 4;

/**
 * Creates, on the emulators, every resource the topology names: tables, bus, topics, queues with their redrive
 * policies, streams, and every service's declared resources (user pools, buckets). Idempotent, so a persistent local state survives a restart.
 */
export async function provision(topology: Topology, target: ProvisionTarget): Promise<Resources> {
  const config = (endpoint: string) => ({ endpoint, region: target.region, credentials });
  const dynamo = new DynamoDBClient(config(target.endpoints.dynamodb));
  const sqs = new SQSClient(config(target.endpoints.sqs));
  const sns = new SNSClient(config(target.endpoints.sns));
  const kinesis = new KinesisClient({ ...config(target.endpoints.kinesis), requestHandler: new NodeHttpHandler() });
  const events = new EventBridgeClient(config(target.endpoints.eventbridge));
  const physical = (name: string) => `${target.prefix}-${name}`;
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${target.region}:${target.accountId}:${resource}`;
  const resources: Resources = {};

  await Promise.all(
    topology.tables.map(async (table) => {
      const name = physical(table.name);
      const streamArn = await createTable(dynamo, name, table);
      // As SST's Dynamo links it (`nodes.table.streamArn`): the stream the table's event source mappings read.
      resources[table.name] = { name, arn: arn("dynamodb", `table/${name}`), streamArn };
    }),
  );

  if (topology.bus) {
    const name = physical(topology.bus);
    await events.send(new CreateEventBusCommand({ Name: name })).catch(ignore("ResourceAlreadyExistsException"));
    resources[topology.bus] = { name, arn: arn("events", `event-bus/${name}`) };
  }

  await Promise.all(
    topology.topics.map(async (topic) => {
      const out = await sns.send(new CreateTopicCommand({ Name: physical(topic.name) }));
      resources[topic.name] = { name: physical(topic.name), arn: out.TopicArn! };
    }),
  );

  // DLQs first: a queue's redrive policy names its DLQ's ARN.
  const ordered = [...topology.queues].sort((a, b) => Number(b.role === "dlq") - Number(a.role === "dlq"));
  for (const queue of ordered) {
    const name = physical(queue.name);
    const attributes: Record<string, string> = { VisibilityTimeout: String(queue.visibilityTimeoutSeconds) };
    if (queue.dlq) {
      const dlqArn = resources[queue.dlq]?.arn;
      if (!dlqArn) throw new Error(`${queue.name}: its DLQ ${queue.dlq} is not provisioned`);
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: dlqArn,
        maxReceiveCount: queue.maxReceiveCount,
      });
    }
    if (queue.role === "dlq") attributes.MessageRetentionPeriod = String(14 * 24 * 3600);
    const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: out.QueueUrl!, AttributeNames: ["QueueArn"] }),
    );
    resources[queue.name] = {
      name,
      url: `${target.endpoints.sqs}/${target.accountId}/${name}`,
      arn: attrs.Attributes?.QueueArn ?? arn("sqs", name),
    };
  }

  await Promise.all(
    topology.streams.map(async (stream) => {
      const name = physical(stream.name);
      await kinesis
        .send(new CreateStreamCommand({ StreamName: name, ShardCount: Math.min(stream.shards, LOCAL_MAX_SHARDS) }))
        .catch(ignore("ResourceInUseException"));
      await waitFor(async () => {
        const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
        return out.StreamDescriptionSummary?.StreamStatus === "ACTIVE";
      });
      resources[stream.name] = { name, arn: arn("kinesis", `stream/${name}`) };
    }),
  );

  // Each declared resource through its kind's provisioner, after the transports (a bucket notifies a queue).
  for (const node of topology.resources)
    resources[node.name] = await provisionResource(node, { topology, target, provisioned: resources, physical });

  for (const client of [dynamo, sqs, sns, kinesis, events]) client.destroy();
  return resources;
}

/** Creates the table (or keeps an existing one) with its stream as the topology says; resolves to the stream's ARN. */
async function createTable(dynamo: DynamoDBClient, name: string, table: TableNode): Promise<string> {
  const attributes = new Set<string>([table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])]);
  const indexes: GlobalSecondaryIndex[] = Object.entries(table.indexes ?? {}).map(([IndexName, index]) => {
    attributes.add(index.partitionKey);
    if (index.sortKey) attributes.add(index.sortKey);
    return {
      IndexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: "HASH" },
        ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: "RANGE" as const }] : []),
      ],
      Projection: { ProjectionType: index.projection ?? "ALL" },
    };
  });
  const created = await dynamo
    .send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [...attributes].map((AttributeName) => ({ AttributeName, AttributeType: "S" })),
        KeySchema: [
          { AttributeName: table.partitionKey, KeyType: "HASH" },
          ...(table.sortKey ? [{ AttributeName: table.sortKey, KeyType: "RANGE" as const }] : []),
        ],
        ...(indexes.length ? { GlobalSecondaryIndexes: indexes } : {}),
        StreamSpecification: { StreamEnabled: true, StreamViewType: table.stream },
      }),
    )
    .then(() => true)
    .catch(ignore("ResourceInUseException"));
  const describe = async () => (await dynamo.send(new DescribeTableCommand({ TableName: name }))).Table ?? {};
  const active = () => waitFor(async () => (await describe()).TableStatus === "ACTIVE");
  await active();
  if (created && table.ttl) {
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: table.ttl, Enabled: true },
      }),
    );
  }
  // A table from an older local state may have no stream, or another view: a stream's view cannot change, so it
  // is turned off and a new one on (a new ARN; the old stream's records stay readable for its own readers).
  const current = (await describe()).StreamSpecification;
  if (!current?.StreamEnabled || current.StreamViewType !== table.stream) {
    if (current?.StreamEnabled) {
      await dynamo.send(new UpdateTableCommand({ TableName: name, StreamSpecification: { StreamEnabled: false } }));
      await active();
    }
    await dynamo.send(
      new UpdateTableCommand({
        TableName: name,
        StreamSpecification: { StreamEnabled: true, StreamViewType: table.stream },
      }),
    );
    await active();
  }
  const streamArn = (await describe()).LatestStreamArn;
  if (!streamArn) throw new Error(`${name}: DynamoDB gave the table no stream`);
  return streamArn;
}

/**
 * A user pool outside the topology: the local API's authorizer pool when routes need a token but no service
 * declares one (the fixture system). Idempotent like {@link provision}.
 */
export function provisionUserPool(target: ProvisionTarget, logicalName: string): Promise<LinkedResource> {
  return createUserPool(target, `${target.prefix}-${logicalName}`);
}

function ignore(...codes: string[]) {
  return (error: { name?: string; Code?: string }) => {
    if (codes.includes(error.name ?? "") || codes.includes(error.Code ?? "")) return false;
    throw error;
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a resource to become active");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
