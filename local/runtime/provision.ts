import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateEventBusCommand, EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { LinkedResource } from "../../shared/config.js";
import type { TableNode, Topology } from "../../shared/topology/index.js";

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
 * Creates, on the emulators, every resource the topology names: tables, bus, topics, queues with their redrive
 * policies, streams, the bucket and the user pool. Idempotent, so a persistent local state survives a restart.
 */
export async function provision(topology: Topology, target: ProvisionTarget): Promise<Resources> {
  const config = (endpoint: string) => ({ endpoint, region: target.region, credentials });
  const dynamo = new DynamoDBClient(config(target.endpoints.dynamodb));
  const sqs = new SQSClient(config(target.endpoints.sqs));
  const sns = new SNSClient(config(target.endpoints.sns));
  const kinesis = new KinesisClient({ ...config(target.endpoints.kinesis), requestHandler: new NodeHttpHandler() });
  const events = new EventBridgeClient(config(target.endpoints.eventbridge));
  const s3 = new S3Client({ ...config(target.endpoints.s3), forcePathStyle: true });
  const cognito = new CognitoIdentityProviderClient(config(target.endpoints.cognito));
  const physical = (name: string) => `${target.prefix}-${name}`;
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${target.region}:${target.accountId}:${resource}`;
  const resources: Resources = {};

  await Promise.all(
    topology.tables.map(async (table) => {
      const name = physical(table.name);
      await createTable(dynamo, name, table);
      resources[table.name] = { name, arn: arn("dynamodb", `table/${name}`) };
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
        .send(new CreateStreamCommand({ StreamName: name, ShardCount: stream.shards }))
        .catch(ignore("ResourceInUseException"));
      await waitFor(async () => {
        const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
        return out.StreamDescriptionSummary?.StreamStatus === "ACTIVE";
      });
      resources[stream.name] = { name, arn: arn("kinesis", `stream/${name}`) };
    }),
  );

  for (const service of topology.services) {
    if (service.bucket) {
      const name = physical(service.bucket.name).toLowerCase();
      await s3
        .send(new CreateBucketCommand({ Bucket: name }))
        .catch(ignore("BucketAlreadyOwnedByYou", "BucketAlreadyExists"));
      resources[service.bucket.name] = { name, arn: `arn:aws:s3:::${name}` };
    }
    if (service.userPool) resources[service.userPool] = await createUserPool(cognito, physical(service.userPool));
  }

  for (const client of [dynamo, sqs, sns, kinesis, events, s3, cognito]) client.destroy();
  return resources;
}

async function createTable(dynamo: DynamoDBClient, name: string, table: TableNode): Promise<void> {
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
      Projection: { ProjectionType: "ALL" },
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
      }),
    )
    .then(() => true)
    .catch(ignore("ResourceInUseException"));
  await waitFor(
    async () => (await dynamo.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus === "ACTIVE",
  );
  if (created && table.ttl) {
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: table.ttl, Enabled: true },
      }),
    );
  }
}

/**
 * A user pool outside the topology: the local API's authorizer pool when routes need a token but no service
 * declares one (the fixture system). Idempotent like {@link provision}.
 */
export async function provisionUserPool(target: ProvisionTarget, logicalName: string): Promise<LinkedResource> {
  const cognito = new CognitoIdentityProviderClient({
    endpoint: target.endpoints.cognito,
    region: target.region,
    credentials,
  });
  try {
    return await createUserPool(cognito, `${target.prefix}-${logicalName}`);
  } finally {
    cognito.destroy();
  }
}

async function createUserPool(cognito: CognitoIdentityProviderClient, name: string): Promise<LinkedResource> {
  const pools = await cognito.send(new ListUserPoolsCommand({ MaxResults: 60 }));
  let id = pools.UserPools?.find((p) => p.Name === name)?.Id;
  if (!id) {
    const created = await cognito.send(
      new CreateUserPoolCommand({
        PoolName: name,
        UsernameAttributes: ["email"],
        AutoVerifiedAttributes: ["email"],
        Policies: { PasswordPolicy: { MinimumLength: 8 } },
      }),
    );
    id = created.UserPool!.Id!;
  }
  const clients = await cognito.send(new ListUserPoolClientsCommand({ UserPoolId: id, MaxResults: 60 }));
  let clientId = clients.UserPoolClients?.find((c) => c.ClientName === `${name}-web`)?.ClientId;
  if (!clientId) {
    const created = await cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: id,
        ClientName: `${name}-web`,
        ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
      }),
    );
    clientId = created.UserPoolClient!.ClientId!;
  }
  return { id, name, clientId };
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
