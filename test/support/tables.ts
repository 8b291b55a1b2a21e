import {
  CreateTableCommand,
  type DynamoDBClient,
  type StreamViewType,
  type TableDescription,
} from "@aws-sdk/client-dynamodb";

/**
 * A table with the project's string keys `pk` and `sk` (what every service table and the idempotency records use),
 * on demand, optionally streaming its changes.
 *
 * @example
 * ```ts
 * const { LatestStreamArn } = await createKeyedTable(dynamo, "outbox-1", { stream: "NEW_IMAGE" });
 * ```
 */
export async function createKeyedTable(
  dynamo: DynamoDBClient,
  name: string,
  options: { readonly stream?: StreamViewType } = {},
): Promise<TableDescription> {
  const out = await dynamo.send(
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
      ...(options.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: options.stream } } : {}),
    }),
  );
  return out.TableDescription!;
}
