// The floor a handler cannot go below: the same AWS SDK clients the representative handler uses, and nothing else.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const events = new EventBridgeClient({});

export const handler = async () => ({ statusCode: 200, body: String(Boolean(dynamo) && Boolean(events)) });
