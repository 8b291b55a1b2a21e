import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { linkEnv, resetResourceCache } from "../../shared/config.js";
import {
  conflict,
  HttpProblem,
  httpHandler,
  PROBLEM_KINDS,
  type RouteOutput,
  tooManyRequests,
} from "../../shared/http/index.js";
import { logger } from "../../shared/logging/index.js";

type Item = Record<string, unknown>;

/**
 * An in-memory table that answers the three commands the idempotency store sends, evaluating the two condition
 * expressions it uses (the integration test runs the same flows against DynamoDB Local).
 */
class MemoryTable {
  readonly items = new Map<string, Item>();
  sends = 0;

  async send(command: unknown): Promise<unknown> {
    this.sends++;
    await Promise.resolve();
    if (command instanceof PutCommand) {
      const { Item: item, ConditionExpression: condition = "", ExpressionAttributeValues: values = {} } = command.input;
      const key = String(item?.pk);
      const old = this.items.get(key);
      if (condition.includes("attribute_not_exists")) {
        const dead =
          !old ||
          Number(old.expiresAt) < Number(values[":nowSeconds"]) ||
          (old.state === "IN_PROGRESS" && Number(old.lockExpiresAt) < Number(values[":nowMs"]));
        if (!dead) throw conditionFailed();
      } else if (condition.includes(":claimId") && old?.claimId !== values[":claimId"]) throw conditionFailed();
      this.items.set(key, { ...item });
      return {};
    }
    if (command instanceof GetCommand) {
      const item = this.items.get(String(command.input.Key?.pk));
      return { Item: item ? { ...item } : undefined };
    }
    if (command instanceof DeleteCommand) {
      const key = String(command.input.Key?.pk);
      if (this.items.get(key)?.claimId !== command.input.ExpressionAttributeValues?.[":claimId"])
        throw conditionFailed();
      this.items.delete(key);
      return {};
    }
    throw new Error("unexpected command");
  }

  get client(): DynamoDBDocumentClient {
    return this as unknown as DynamoDBDocumentClient;
  }
}

function conditionFailed(): Error {
  return Object.assign(new Error("The conditional request failed"), { name: "ConditionalCheckFailedException" });
}

const KEY = "6f1c2d4e-8a9b-4c3d-9e2f-0a1b2c3d4e5f";

function postEvent(
  body: unknown,
  key: string | null = KEY,
  extraHeaders: Record<string, string> = {},
): APIGatewayProxyEvent {
  return {
    httpMethod: "POST",
    path: "/forums",
    resource: "/forums",
    headers: { "content-type": "application/json", ...(key ? { "Idempotency-Key": key } : {}), ...extraHeaders },
    multiValueHeaders: {},
    body: typeof body === "string" ? body : JSON.stringify(body),
    isBase64Encoded: false,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { requestId: `gw-${Math.random()}` } as APIGatewayProxyEvent["requestContext"],
  };
}

const context = { awsRequestId: "r1", getRemainingTimeInMillis: () => 10_000 } as Context;

const forumBody = v.object({ name: v.string() });

function route(
  client: DynamoDBDocumentClient,
  handler: (body: { name: string }) => Promise<RouteOutput> | RouteOutput,
  clock: () => number = Date.now,
) {
  return httpHandler({
    body: forumBody,
    successStatus: 201,
    idempotency: { table: "ForumsTable", client, now: clock },
    handler: ({ body }) => handler(body),
  });
}

async function send(handler: ReturnType<typeof route>, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return handler(event, context);
}

beforeEach(() => {
  Object.assign(process.env, linkEnv("ForumsTable", { name: "forums-test" }));
  resetResourceCache();
  vi.spyOn(logger, "error").mockImplementation(() => {});
  vi.spyOn(logger, "warn").mockImplementation(() => {});
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("idempotency state machine", () => {
  it("runs the handler once and replays the first response byte for byte", async () => {
    const table = new MemoryTable();
    let runs = 0;
    const handler = route(table.client, ({ name }) => ({ forumId: `f${++runs}`, name }));
    const first = await send(handler, postEvent({ name: "Climbing", tags: [1] }));
    const again = await send(handler, postEvent('{ "tags": [1], "name": "Climbing" }'));
    expect(runs).toBe(1);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(first.statusCode);
    expect(again.body).toBe(first.body);
    expect(again.headers?.["content-type"]).toBe("application/json; charset=utf-8");
    expect(again.headers?.["x-request-id"]).not.toBe(first.headers?.["x-request-id"]);
  });

  it("keeps the record under the route and key, in state COMPLETED, expiring after 24 h", async () => {
    const table = new MemoryTable();
    const now = 1_800_000_000_000;
    await send(
      route(
        table.client,
        () => ({ ok: true }),
        () => now,
      ),
      postEvent({ name: "x" }, KEY.toUpperCase()),
    );
    const item = table.items.get(`IDEMPOTENCY#POST /forums#${KEY}`);
    expect(item).toMatchObject({ sk: "IDEMPOTENCY", state: "COMPLETED", expiresAt: now / 1000 + 86_400 });
    expect(item?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it("answers 422 when the key comes back with another body", async () => {
    const table = new MemoryTable();
    const handler = route(table.client, () => ({ ok: true }));
    await send(handler, postEvent({ name: "one" }));
    const other = await send(handler, postEvent({ name: "two" }));
    expect(other.statusCode).toBe(422);
    expect(other.headers?.["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(other.body).type).toBe(PROBLEM_KINDS["idempotency-key-reused"].type);
  });

  it("answers 409 with retry-after while the first request still runs, then replays", async () => {
    const table = new MemoryTable();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let runs = 0;
    const handler = route(table.client, async () => {
      runs++;
      await gate;
      return { done: true };
    });
    const first = send(handler, postEvent({ name: "x" }));
    await vi.waitFor(() => expect(runs).toBe(1));
    const during = await send(handler, postEvent({ name: "x" }));
    expect(during.statusCode).toBe(409);
    expect(Number(during.headers?.["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(during.body).type).toBe(PROBLEM_KINDS["idempotency-in-progress"].type);
    release();
    const done = await first;
    const after = await send(handler, postEvent({ name: "x" }));
    expect(after.body).toBe(done.body);
    expect(runs).toBe(1);
  });

  it("lets a retry take over a claim whose lock has lapsed", async () => {
    const table = new MemoryTable();
    let now = 1_800_000_000_000;
    let runs = 0;
    const stuck = route(
      table.client,
      () => new Promise<RouteOutput>(() => runs++),
      () => now,
    );
    void send(stuck, postEvent({ name: "x" }));
    await vi.waitFor(() => expect(runs).toBe(1));
    now += 11_000; // the lock was the 10 s the invocation had left
    const retry = await send(
      route(
        table.client,
        () => ({ second: true }),
        () => now,
      ),
      postEvent({ name: "x" }),
    );
    expect(retry.statusCode).toBe(201);
    expect(JSON.parse(retry.body)).toEqual({ second: true });
  });

  it("releases the key when the handler fails with a fault, so a retry runs", async () => {
    const table = new MemoryTable();
    let runs = 0;
    const handler = route(table.client, () => {
      if (++runs === 1) throw new Error("database unavailable");
      return { ok: runs };
    });
    const failed = await send(handler, postEvent({ name: "x" }));
    expect(failed.statusCode).toBe(500);
    expect(table.items.size).toBe(0);
    const retried = await send(handler, postEvent({ name: "x" }));
    expect(retried.statusCode).toBe(201);
    expect(runs).toBe(2);
  });

  it("releases the key when the handler answers a 5xx itself", async () => {
    const table = new MemoryTable();
    const handler = route(table.client, () => ({ status: 503, body: { retry: true } }));
    expect((await send(handler, postEvent({ name: "x" }))).statusCode).toBe(503);
    expect(table.items.size).toBe(0);
  });

  it("stores a 4xx answer too: the retry gets the same problem without running the handler", async () => {
    const table = new MemoryTable();
    let runs = 0;
    const handler = route(table.client, () => {
      runs++;
      throw conflict("forum name is taken");
    });
    const first = await send(handler, postEvent({ name: "x" }));
    const again = await send(handler, postEvent({ name: "x" }));
    expect(first.statusCode).toBe(409);
    expect(again.statusCode).toBe(409);
    expect(again.body).toBe(first.body);
    expect(again.headers?.["content-type"]).toBe("application/problem+json");
    expect(runs).toBe(1);
  });

  it("releases the key on an answer that says try again (a 409 with retry-after, a 429): the retry runs", async () => {
    for (const busy of [
      () => new HttpProblem("conflict", "the thread is busy", { headers: { "retry-after": "1" } }),
      () => tooManyRequests("slow down"),
    ]) {
      const table = new MemoryTable();
      let runs = 0;
      const handler = route(table.client, () => {
        if (++runs === 1) throw busy();
        return { ok: runs };
      });
      const first = await send(handler, postEvent({ name: "x" }));
      expect([409, 429]).toContain(first.statusCode);
      expect(table.items.size).toBe(0);
      const retried = await send(handler, postEvent({ name: "x" }));
      expect(retried.statusCode).toBe(201);
      expect(runs).toBe(2);
    }
  });

  it("refuses a key that is not a UUID with 400", async () => {
    const table = new MemoryTable();
    const result = await send(
      route(table.client, () => ({})),
      postEvent({ name: "x" }, "not-a-uuid"),
    );
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).errors).toEqual([{ path: "headers.idempotency-key", message: "must be a UUID" }]);
    expect(table.sends).toBe(0);
  });

  it("does nothing without a key, or for methods other than POST", async () => {
    const table = new MemoryTable();
    let runs = 0;
    const handler = route(table.client, () => ({ runs: ++runs }));
    await send(handler, postEvent({ name: "x" }, null));
    await send(handler, postEvent({ name: "x" }, null));
    await send(handler, { ...postEvent({ name: "x" }), httpMethod: "PUT" });
    await send(handler, { ...postEvent({ name: "x" }), httpMethod: "PUT" });
    expect(runs).toBe(4);
    expect(table.sends).toBe(0);
  });

  it("is answered after validation: an invalid body is a 400 and claims nothing", async () => {
    const table = new MemoryTable();
    const result = await send(
      route(table.client, () => ({})),
      postEvent({ name: 5 }),
    );
    expect(result.statusCode).toBe(400);
    expect(table.sends).toBe(0);
  });
});

describe("idempotency failures of DynamoDB", () => {
  const documentClient = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } }),
  );
  const ddb = mockClient(documentClient);
  beforeEach(() => ddb.reset());

  it("answers a throttled claim with a 503 and retry-after that says nothing of DynamoDB", async () => {
    ddb
      .on(PutCommand)
      .rejects(
        Object.assign(new Error("ProvisionedThroughputExceeded on forums-test"), { name: "ThrottlingException" }),
      );
    let runs = 0;
    const result = await send(
      route(documentClient, () => ({ runs: ++runs })),
      postEvent({ name: "x" }),
    );
    expect(result.statusCode).toBe(503);
    expect(result.headers?.["retry-after"]).toBe("1");
    expect(JSON.parse(result.body)).toMatchObject({ type: PROBLEM_KINDS.unavailable.type, status: 503 });
    expect(result.body).not.toMatch(/Throughput|forums-test|Throttling/);
    expect(runs).toBe(0);
    expect(logger.error).toHaveBeenCalled();
  });

  it("answers a failing read after a lost claim with a generic 500", async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).rejects(new Error("socket hang up"));
    const result = await send(
      route(documentClient, () => ({})),
      postEvent({ name: "x" }),
    );
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain("socket");
  });

  it("answers 409 when the record keeps changing under it", async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: undefined });
    const result = await send(
      route(documentClient, () => ({})),
      postEvent({ name: "x" }),
    );
    expect(result.statusCode).toBe(409);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(3);
  });

  it("still answers the handler's result when the completion cannot be stored, and logs it", async () => {
    ddb.on(PutCommand).resolvesOnce({}).rejects(new Error("network down"));
    const result = await send(
      route(documentClient, () => ({ created: true })),
      postEvent({ name: "x" }),
    );
    expect(result.statusCode).toBe(201);
    expect(JSON.parse(result.body)).toEqual({ created: true });
    expect(logger.error).toHaveBeenCalledWith("idempotency record could not be written", expect.anything());
  });

  it("still answers 500 for a fault when the claim cannot be released", async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(DeleteCommand).rejects(new Error("network down"));
    const result = await send(
      route(documentClient, () => {
        throw new HttpProblem("internal", "boom");
      }),
      postEvent({ name: "x" }),
    );
    expect(result.statusCode).toBe(500);
  });

  it("treats a claim lost to a takeover as kept by the other request", async () => {
    ddb.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());
    const result = await send(
      route(documentClient, () => ({ created: true })),
      postEvent({ name: "x" }),
    );
    expect(result.statusCode).toBe(201);
    expect(logger.warn).toHaveBeenCalled();
  });

  it("answers 500 when the table is not linked", async () => {
    delete process.env.SST_RESOURCE_ForumsTable;
    resetResourceCache();
    const result = await send(
      route(documentClient, () => ({})),
      postEvent({ name: "x" }),
    );
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain("ForumsTable");
  });
});
