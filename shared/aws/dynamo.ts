import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { captureClient } from "../tracing/index.js";
import { lazyClient } from "./clients.js";

/**
 * The sandbox's DynamoDB document client. The base client is the one captured: the document client only
 * marshals, the calls go through the base client's middleware stack.
 */
export const dynamoClient = (): DynamoDBDocumentClient =>
  lazyClient("dynamo", () =>
    DynamoDBDocumentClient.from(captureClient(new DynamoDBClient({})), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  );
