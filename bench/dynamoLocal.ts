import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { startDynamoDbLocal } from "../local/emulators/dynamodb.js";
import { resetAwsClients } from "../shared/aws/index.js";
import { linkEnv, resetResourceCache } from "../shared/config.js";

export interface BenchTable {
  readonly name: string;
  readonly documents: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

/**
 * DynamoDB Local with one `pk`/`sk` table linked as `resource` (`SST_RESOURCE_<resource>`), and the SDK's default
 * configuration pointed at it, so handlers run as they do in a sandbox. The benches that need a table share this.
 */
export async function benchTable(resource: string): Promise<BenchTable> {
  const dynamo = await startDynamoDbLocal();
  const name = `bench-${resource}-${Date.now().toString(36)}`.toLowerCase();
  const credentials = { accessKeyId: "bench", secretAccessKey: "bench" };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...linkEnv(resource, { name }),
  });
  // The sandbox's clients and linked resources are read once; a bench that ran before pointed them elsewhere.
  resetAwsClients();
  resetResourceCache();
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: "us-east-1", credentials });
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
    }),
  );
  return {
    name,
    documents: DynamoDBDocumentClient.from(client),
    async stop() {
      client.destroy();
      await dynamo.stop();
    },
  };
}
