import { randomUUID } from "node:crypto";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import * as v from "valibot";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { linkEnv, resetResourceCache } from "../../shared/config.js";
import { httpHandler } from "../../shared/http/index.js";
import { logger } from "../../shared/logging/index.js";
import { useEmulators } from "../support/emulators.js";
import { createKeyedTable } from "../support/tables.js";

// The production path end to end: the default document client, pointed at DynamoDB Local by the environment.
const emulators = useEmulators();
const TableName = `idempotency-${Date.now().toString(36)}`;

let runs = 0;
let failNext = false;
const createThread = httpHandler({
  body: v.object({ title: v.string() }),
  successStatus: 201,
  idempotency: { table: "ThreadsTable" },
  handler: async ({ body }) => {
    runs++;
    await new Promise((resolve) => setTimeout(resolve, 150)); // long enough for duplicates to overlap
    if (failNext) {
      failNext = false;
      throw new Error("downstream unavailable");
    }
    return { threadId: randomUUID(), title: body.title };
  },
});

function post(key: string, body: unknown): Promise<APIGatewayProxyResult> {
  const event: APIGatewayProxyEvent = {
    httpMethod: "POST",
    path: "/forums/f1/threads",
    resource: "/forums/{forumId}/threads",
    headers: { "Content-Type": "application/json", "Idempotency-Key": key },
    multiValueHeaders: {},
    body: JSON.stringify(body),
    isBase64Encoded: false,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { forumId: "f1" },
    stageVariables: null,
    requestContext: { requestId: randomUUID() } as APIGatewayProxyEvent["requestContext"],
  };
  const context = { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 10_000 } as Context;
  return createThread(event, context);
}

beforeAll(async () => {
  vi.spyOn(logger, "error").mockImplementation(() => {});
  await createKeyedTable(new DynamoDBClient(emulators.clientConfig("dynamodb")), TableName);
  Object.assign(process.env, linkEnv("ThreadsTable", { name: TableName }));
  resetResourceCache();
});

describe("idempotency keys against DynamoDB Local", () => {
  it("answers a repeat with the first status and body, running the handler once", async () => {
    const key = randomUUID();
    const before = runs;
    const first = await post(key, { title: "Hello" });
    const again = await post(key, { title: "Hello" });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(first.statusCode);
    expect(again.body).toBe(first.body);
    expect(runs - before).toBe(1);

    const { Item } = await new DynamoDBClient(emulators.clientConfig("dynamodb")).send(
      new GetItemCommand({
        TableName,
        Key: { pk: { S: `IDEMPOTENCY#POST /forums/{forumId}/threads#${key}` }, sk: { S: "IDEMPOTENCY" } },
      }),
    );
    expect(Item?.state?.S).toBe("COMPLETED");
    const expiresAt = Number(Item?.expiresAt?.N);
    expect(expiresAt).toBeGreaterThan(Date.now() / 1000 + 86_400 - 60);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() / 1000 + 86_400);
  });

  it("runs the handler exactly once for 10 concurrent duplicates", async () => {
    const key = randomUUID();
    const before = runs;
    const results = await Promise.all(Array.from({ length: 10 }, () => post(key, { title: "Race" })));
    expect(runs - before).toBe(1);
    const created = results.filter((result) => result.statusCode === 201);
    const busy = results.filter((result) => result.statusCode === 409);
    expect(created.length + busy.length).toBe(10);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((result) => result.body)).size).toBe(1);
    for (const result of busy) {
      expect(result.headers?.["content-type"]).toBe("application/problem+json");
      expect(Number(result.headers?.["retry-after"])).toBeGreaterThanOrEqual(1);
    }
    // Once the first is done, every repeat gets its response.
    const after = await post(key, { title: "Race" });
    expect(after.body).toBe(created[0]?.body);
    expect(runs - before).toBe(1);
  });

  it("answers 422 for the same key with another body", async () => {
    const key = randomUUID();
    await post(key, { title: "One" });
    const other = await post(key, { title: "Two" });
    expect(other.statusCode).toBe(422);
    expect(other.headers?.["content-type"]).toBe("application/problem+json");
  });

  it("lets the key be retried after the handler failed with a 500", async () => {
    const key = randomUUID();
    const before = runs;
    failNext = true;
    const failed = await post(key, { title: "Flaky" });
    expect(failed.statusCode).toBe(500);
    const retried = await post(key, { title: "Flaky" });
    expect(retried.statusCode).toBe(201);
    expect(runs - before).toBe(2);
    expect((await post(key, { title: "Flaky" })).body).toBe(retried.body);
  });
});
