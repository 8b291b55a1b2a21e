import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { captureClient } from "../tracing/index.js";

/** The SDK clients the services use, one of each per sandbox. */
export interface AwsClients {
  readonly eventBridge: EventBridgeClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly kinesis: KinesisClient;
  readonly dynamo: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly cognito: CognitoIdentityProviderClient;
}

/**
 * Default configuration only: region, credentials and `AWS_ENDPOINT_URL_<SERVICE>` come from the environment,
 * so the same code talks to AWS or to the local emulators. Each client is captured by the Tracer, so every
 * call is a node on the service map.
 */
const create: { readonly [K in keyof AwsClients]: () => AwsClients[K] } = {
  eventBridge: () => captureClient(new EventBridgeClient({})),
  sns: () => captureClient(new SNSClient({})),
  sqs: () => captureClient(new SQSClient({})),
  // HTTP/1.1: the default HTTP/2 handler fails against the local Kinesis emulator with "Protocol error".
  kinesis: () => captureClient(new KinesisClient({ requestHandler: new NodeHttpHandler() })),
  // Capture the base client: the document client only marshals, the calls go through the base client's stack.
  dynamo: () =>
    DynamoDBDocumentClient.from(captureClient(new DynamoDBClient({})), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  s3: () => captureClient(new S3Client({})),
  cognito: () => captureClient(new CognitoIdentityProviderClient({})),
};

// Created on first use: a function that never publishes never pays for a client (cold start).
const clients: { -readonly [K in keyof AwsClients]?: AwsClients[K] } = {};

/**
 * The sandbox's client for `service`, created on first use.
 *
 * @example
 * ```ts
 * await awsClient("dynamo").send(new GetCommand({ TableName, Key: { pk, sk } }));
 * ```
 */
export function awsClient<K extends keyof AwsClients>(service: K): AwsClients[K] {
  const existing = clients[service];
  if (existing) return existing;
  const created = create[service]();
  clients[service] = created;
  return created;
}

/**
 * Replaces some clients for the rest of the sandbox's life (tests, the local runtime): side-effect injection
 * instead of module mocking.
 *
 * @example
 * ```ts
 * useAwsClients({ sqs: new SQSClient({ endpoint: emulators.endpoints.sqs }) });
 * ```
 */
export function useAwsClients(overrides: Partial<AwsClients>): void {
  Object.assign(clients, overrides);
}

/**
 * Forgets every client, injected or created; the next {@link awsClient} call creates a fresh one.
 *
 * @example
 * ```ts
 * afterEach(() => resetAwsClients());
 * ```
 */
export function resetAwsClients(): void {
  for (const key of Object.keys(clients) as (keyof AwsClients)[]) delete clients[key];
}
