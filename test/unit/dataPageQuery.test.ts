import { toJsonSchema } from "@valibot/to-json-schema";
import type { APIGatewayProxyResult } from "aws-lambda";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { pageQuery, pageQueryUpTo, wholeNumbersUpTo } from "../../shared/data/index.js";
import { httpHandler } from "../../shared/http/index.js";
import { apiEvent, lambdaContext } from "../support/apiEvents.js";

const list = httpHandler({
  query: v.object({ ...pageQuery.entries, category: v.optional(v.string()) }),
  handler: (request) => ({ query: request.query }),
});
const popular = httpHandler({
  query: v.object({ ...pageQueryUpTo(50).entries }),
  handler: (request) => ({ query: request.query }),
});

async function get(
  handler: typeof list | typeof popular,
  query: Record<string, string> | null,
): Promise<APIGatewayProxyResult> {
  return handler(apiEvent({ httpMethod: "GET", queryStringParameters: query }), lambdaContext());
}

describe("pageQuery", () => {
  it("defaults the limit to 20 and hands it over as a number", () => {
    expect(v.parse(pageQuery, {})).toEqual({ limit: 20 });
    expect(v.parse(pageQuery, { limit: "1", cursor: "abc" })).toEqual({ limit: 1, cursor: "abc" });
    expect(v.parse(pageQuery, { limit: "100" })).toEqual({ limit: 100 });
    expect(v.parse(pageQueryUpTo(50), { limit: "50" })).toEqual({ limit: 50 });
    expect(v.parse(pageQueryUpTo(10), {})).toEqual({ limit: 10 });
  });

  it("refuses a limit that is not a whole number from 1 to the maximum", () => {
    for (const limit of ["0", "101", "-1", "1.5", "1e2", " 5", "05", "abc", "", "9999999999999999999"])
      expect(v.safeParse(pageQuery, { limit }).success, limit).toBe(false);
    expect(v.safeParse(pageQueryUpTo(50), { limit: "51" }).success).toBe(false);
    expect(v.safeParse(pageQuery, { cursor: "" }).success).toBe(false);
    expect(v.safeParse(pageQuery, { cursor: "a".repeat(2049) }).success).toBe(false);
  });

  it("comes out of request validation as a 400 at query.limit", async () => {
    for (const [handler, limit] of [
      [list, "0"],
      [list, "101"],
      [popular, "51"],
      [list, "ten"],
    ] as const) {
      const result = await get(handler, { limit });
      expect(result.statusCode).toBe(400);
      expect(JSON.parse(result.body).errors).toEqual([
        { path: "query.limit", message: expect.stringContaining("whole number from 1 to") },
      ]);
    }
  });

  it("lets routes add their own fields beside it", async () => {
    const result = await get(list, { limit: "7", category: "books", cursor: "c" });
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ query: { limit: 7, category: "books", cursor: "c" } });
    expect(JSON.parse((await get(popular, null)).body)).toEqual({ query: { limit: 20 } });
  });

  it("states its range in its pattern, so the OpenAPI document promises only limits the route takes", () => {
    for (const max of [1, 9, 10, 50, 99, 100, 250, 1234]) {
      const pattern = wholeNumbersUpTo(max);
      for (let n = -2; n <= 2 * max + 20; n++)
        expect(pattern.test(String(n)), `${pattern.source} on ${n}`).toBe(n >= 1 && n <= max);
      for (const text of ["01", "", "+1", "1.0", " 1", "1 "]) expect(pattern.test(text), text).toBe(false);
    }
    expect(wholeNumbersUpTo(50).source).toBe("^(?:[1-9]|[1-4][0-9]|50)$");
    const limit = toJsonSchema(pageQuery, { typeMode: "input", errorMode: "ignore" }).properties?.limit;
    expect(limit).toMatchObject({ type: "string", pattern: wholeNumbersUpTo(100).source });
  });

  it("refuses a maximum or default that makes no sense", () => {
    expect(() => pageQueryUpTo(0)).toThrow(TypeError);
    expect(() => pageQueryUpTo(50, 60)).toThrow(TypeError);
  });
});
