import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { useEmulators } from "../support/emulators.js";

const emulators = useEmulators();

describe("emulators", () => {
  it("DynamoDB answers with default clients", async () => {
    const result = await new DynamoDBClient({}).send(new ListTablesCommand({}));
    expect(result.TableNames).toBeDefined();
    expect(emulators.endpoints.dynamodb).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
