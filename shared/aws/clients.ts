import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { KinesisClient } from "@aws-sdk/client-kinesis";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

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

// Created on first use: a function that never publishes never pays for a client (cold start).
const clients: { -readonly [K in keyof AwsClients]?: AwsClients[K] } = {};

/**
 * The sandbox's client for `service`, created by `create` on first use (or the one injected by
 * {@link useAwsClients}). Each client has its own module (`sqs.ts`, `dynamo.ts`, …) so a bundle holds only the
 * clients its handler really uses.
 *
 * @example
 * ```ts
 * export const sqsClient = () => lazyClient("sqs", () => captureClient(new SQSClient({})));
 * ```
 */
export function lazyClient<K extends keyof AwsClients>(service: K, create: () => AwsClients[K]): AwsClients[K] {
  const existing = clients[service];
  if (existing) return existing;
  const created = create();
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
 * Forgets every client, injected or created; the next {@link lazyClient} call creates a fresh one.
 *
 * @example
 * ```ts
 * afterEach(() => resetAwsClients());
 * ```
 */
export function resetAwsClients(): void {
  for (const key of Object.keys(clients) as (keyof AwsClients)[]) delete clients[key];
}
