import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { EmulatedService } from "../emulators/index.js";

/** The runtime's own SDK clients, one per emulated service (it plays the AWS services' side of each hop). */
export interface RuntimeClients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly kinesis: KinesisClient;
  readonly s3: S3Client;
  readonly events: EventBridgeClient;
  readonly dynamodb: DynamoDBClient;
  /** The tables' streams, served by DynamoDB Local on its own endpoint. */
  readonly dynamodbStreams: DynamoDBStreamsClient;
  readonly cognito: CognitoIdentityProviderClient;
  destroy(): void;
}

export function runtimeClients(endpoints: Readonly<Record<EmulatedService, string>>, region: string): RuntimeClients {
  const base = (endpoint: string) => ({
    endpoint,
    region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 2,
  });
  const clients = {
    sqs: new SQSClient(base(endpoints.sqs)),
    sns: new SNSClient(base(endpoints.sns)),
    // kinesalite fails the SDK's default HTTP/2 handler with "Protocol error".
    kinesis: new KinesisClient({ ...base(endpoints.kinesis), requestHandler: new NodeHttpHandler() }),
    s3: new S3Client({ ...base(endpoints.s3), forcePathStyle: true }),
    events: new EventBridgeClient(base(endpoints.eventbridge)),
    dynamodb: new DynamoDBClient(base(endpoints.dynamodb)),
    dynamodbStreams: new DynamoDBStreamsClient(base(endpoints.dynamodb)),
    cognito: new CognitoIdentityProviderClient(base(endpoints.cognito)),
  };
  return {
    ...clients,
    destroy() {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}
