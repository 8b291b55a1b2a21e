import { PutCommand } from "@aws-sdk/lib-dynamodb";
import * as v from "valibot";
import { UserRegistered } from "../../events/users.js";
import { dynamoClient } from "../../shared/aws/dynamo.js";
import { resource } from "../../shared/config.js";
import { httpHandler } from "../../shared/http/index.js";
import { publish } from "../../shared/publish/index.js";

/** A representative route: validates a body, writes one item, publishes one event over the bus. */
export const handler = httpHandler({
  body: v.object({ userId: v.string(), email: v.pipe(v.string(), v.email()), displayName: v.string() }),
  successStatus: 201,
  handler: async ({ body }) => {
    const createdAt = new Date().toISOString();
    await dynamoClient().send(
      new PutCommand({ TableName: resource("UsersTable").name, Item: { pk: body.userId, ...body } }),
    );
    await publish(UserRegistered, { ...body, createdAt });
    return { ...body, createdAt };
  },
});
