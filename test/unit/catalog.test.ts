import * as v from "valibot";
import { describe, expect, expectTypeOf, test } from "vitest";
import {
  catalog,
  MediaProcessed,
  PostCreated,
  ProductViewed,
  UploadReceived,
  UserRegistered,
} from "../../events/index.js";
import { defineEvent } from "../../shared/events/defineEvent.js";
import { eventJsonSchema } from "../../shared/events/jsonSchema.js";
import { resourceNameFor } from "../../shared/events/resources.js";

const contracts = Object.values(catalog);

/**
 * Each payload's fields as the contracts in `events/` define them: `required` must be present (a nullable field
 * such as `viewerId` or `avatar` too, it may only be null), `optional` may be left out.
 */
const payloadFields: Record<string, { readonly required: readonly string[]; readonly optional?: readonly string[] }> = {
  "users.UserRegistered": { required: ["userId", "email", "displayName", "createdAt"] },
  "users.UserProfileUpdated": { required: ["userId", "displayName", "avatar", "changed", "updatedAt"] },
  "products.ProductCreated": {
    required: ["productId", "sellerId", "name", "priceCents", "currency", "category", "createdAt"],
  },
  "products.ProductUpdated": {
    required: ["productId", "sellerId", "name", "priceCents", "currency", "category", "changed", "updatedAt"],
  },
  "products.ProductDeleted": { required: ["productId", "sellerId", "category", "deletedAt"] },
  "products.ProductViewed": { required: ["productId", "viewerId", "viewedAt"] },
  "forums.ForumCreated": { required: ["forumId", "name", "ownerId", "createdAt"] },
  "forums.ThreadCreated": { required: ["threadId", "forumId", "authorId", "title", "createdAt"] },
  "forums.PostCreated": { required: ["postId", "threadId", "forumId", "authorId", "createdAt"] },
  "media.UploadReceived": { required: ["mediaId", "bucket", "key", "size", "receivedAt"] },
  "media.MediaProcessed": {
    required: ["mediaId", "ownerId", "purpose", "status", "contentType", "processedAt"],
    optional: ["width", "height", "url", "thumbnailUrl", "failureReason"],
  },
};

describe("event catalog", () => {
  test("holds every event the API contract names, keyed by its type", () => {
    expect(Object.keys(catalog).sort()).toEqual(
      [
        "forums.ForumCreated",
        "forums.PostCreated",
        "forums.ThreadCreated",
        "media.MediaProcessed",
        "media.UploadReceived",
        "products.ProductCreated",
        "products.ProductDeleted",
        "products.ProductUpdated",
        "products.ProductViewed",
        "users.UserProfileUpdated",
        "users.UserRegistered",
      ].sort(),
    );
    for (const [type, contract] of Object.entries(catalog)) expect(contract.type).toBe(type);
  });

  test("follows the planned routing", () => {
    const planned: Record<string, string> = {
      "users.UserRegistered": "eventbridge",
      "users.UserProfileUpdated": "eventbridge",
      "products.ProductCreated": "eventbridge",
      "products.ProductUpdated": "eventbridge",
      "products.ProductDeleted": "eventbridge",
      "products.ProductViewed": "kinesis",
      "forums.ForumCreated": "eventbridge",
      "forums.ThreadCreated": "eventbridge",
      "forums.PostCreated": "kinesis",
      "media.UploadReceived": "sqs",
      "media.MediaProcessed": "sns",
    };
    expect(Object.fromEntries(contracts.map((c) => [c.type, c.transport]))).toEqual(planned);
  });

  test("states the reason for each transport in words", () => {
    expect(PostCreated.reason).toBe("Kinesis: ordered per threadId, replayable");
    expect(ProductViewed.reason).toBe(
      "Kinesis: ordered per productId, replayable, massive throughput, read in batches",
    );
    expect(UploadReceived.reason).toBe("SQS: buffered until the consumer can take it");
    expect(MediaProcessed.reason).toBe("SNS: pushed to one or a few consumers");
    expect(UserRegistered.reason).toBe("EventBridge: fan-out to many consumers, rules that match on content");
  });

  test("carries the transport in its type", () => {
    expectTypeOf(PostCreated.transport).toEqualTypeOf<"kinesis">();
    expectTypeOf(MediaProcessed.transport).toEqualTypeOf<"sns">();
    expectTypeOf(UploadReceived.transport).toEqualTypeOf<"sqs">();
    expectTypeOf(UserRegistered.transport).toEqualTypeOf<"eventbridge">();
    expectTypeOf(PostCreated.type).toEqualTypeOf<"forums.PostCreated">();
  });

  test("a Kinesis event must name its partition key, at compile time and at run time", () => {
    const needs = {
      fanOut: "few",
      ordering: "perKey",
      replay: false,
      throughput: "standard",
      buffering: false,
      contentRules: false,
    } as const;
    expect(() =>
      // @ts-expect-error partitionKey is required when the needs select Kinesis
      defineEvent({
        domain: "t",
        name: "Ordered",
        version: 1,
        description: "",
        schema: v.object({ k: v.string() }),
        needs,
      }),
    ).toThrow(/partitionKey/);
    defineEvent({
      domain: "t",
      name: "Ordered",
      version: 1,
      description: "",
      schema: v.object({ k: v.string(), n: v.object({}) }),
      needs,
      // @ts-expect-error the partition key must be a scalar payload field
      partitionKey: "n",
    });
  });

  test("refuses a version that is not a positive integer", () => {
    const needs = { ...MediaProcessed.needs };
    expect(() =>
      defineEvent({ domain: "t", name: "E", version: 0, description: "", schema: v.object({}), needs }),
    ).toThrow(/version/);
  });

  test.each(contracts.map((c) => [c.type, c] as const))("%s exports a JSON Schema with its facts", (_, contract) => {
    const schema = eventJsonSchema(contract);
    expect(schema).toMatchObject({
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      title: contract.type,
      "x-summit": { version: contract.version, producer: contract.domain, transport: contract.transport },
    });
    const fields = payloadFields[contract.type];
    if (!fields) throw new Error(`${contract.type} is missing from payloadFields`);
    const { required, optional = [] } = fields;
    expect([...(schema.required as string[])].sort()).toEqual([...required].sort());
    expect(Object.keys(schema.properties as object).sort()).toEqual([...required, ...optional].sort());
  });

  test("the JSON Schema keeps the payload's constraints", () => {
    const schema = eventJsonSchema(PostCreated) as {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
    };
    expect(schema.required.sort()).toEqual(["authorId", "createdAt", "forumId", "postId", "threadId"]);
    expect(schema.properties.postId).toMatchObject({ type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" });
    expect(schema.properties.createdAt).toMatchObject({ type: "string", format: "date-time" });
  });

  test("every payload schema accepts a valid sample and rejects a wrong one", () => {
    const ok = v.safeParse(PostCreated.schema, {
      postId: "p1",
      threadId: "t1",
      forumId: "f1",
      authorId: "u1",
      createdAt: "2026-11-22T10:00:00.000Z",
    });
    expect(ok.success).toBe(true);
    const bad = v.safeParse(PostCreated.schema, { postId: "has space", threadId: 1, createdAt: "yesterday" });
    expect(bad.success).toBe(false);
    expect(bad.issues?.map((i) => v.getDotPath(i)).sort()).toEqual(
      ["authorId", "createdAt", "forumId", "postId", "threadId"].sort(),
    );
  });

  test("names the linked resource each event is published to", () => {
    expect(resourceNameFor(UserRegistered)).toBe("Bus");
    expect(resourceNameFor(MediaProcessed)).toBe("MediaMediaProcessedTopic");
    expect(resourceNameFor(UploadReceived)).toBe("MediaUploadReceivedQueue");
    expect(resourceNameFor(PostCreated)).toBe("ForumsPostCreatedStream");
  });
});
