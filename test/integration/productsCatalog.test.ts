import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { MediaProcessed } from "../../events/media.js";
import { snsEvent } from "../../local/lambdaEvents.js";
import type { Product } from "../../services/products/api.js";
import { handler as onMediaProcessed } from "../../services/products/consumers/media.js";
import { handler as createProduct } from "../../services/products/routes/createProduct.js";
import { handler as deleteProduct } from "../../services/products/routes/deleteProduct.js";
import { handler as getProduct } from "../../services/products/routes/getProduct.js";
import { handler as listProducts } from "../../services/products/routes/listProducts.js";
import { handler as updateProduct } from "../../services/products/routes/updateProduct.js";
import products from "../../services/products/service.js";
import { productsByIds } from "../../services/products/store/catalog.js";
import { keys, shardOf, timeKey } from "../../services/products/store/keys.js";
import { resetAwsClients, useAwsClients } from "../../shared/aws/index.js";
import { logger } from "../../shared/logging/index.js";
import { outgoingEvents } from "../../shared/publish/outgoingEvents.js";
import { apiEvent, lambdaContext } from "../support/apiEvents.js";
import { useEmulators } from "../support/emulators.js";
import { useLinks } from "../support/links.js";
import { provisioned } from "../support/provisioned.js";

/**
 * The catalogue side of the products service, over the wire: the route handlers and the media consumer, called as
 * Lambda would call them, with the real SDK against DynamoDB Local and the table provisioned from the service
 * definition (its three indexes included). The handlers' client is watched by a middleware that counts each
 * command and can run a concurrent writer just before one; everything is checked through a client of its own.
 */
const emulators = useEmulators();
const prefix = `prodcat-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const link = useLinks();

const observedTable = new DynamoDBClient(emulators.clientConfig("dynamodb"));
const observer = DynamoDBDocumentClient.from(observedTable);
/** The client of the code under test: one for the whole file, as one sandbox keeps one (and its origin cache). */
const handlerTable = new DynamoDBClient(emulators.clientConfig("dynamodb"));
let table = "";
// Each consumer call logs what it received; the assertions say what matters.
vi.spyOn(logger, "info").mockImplementation(() => {});

/** Calls of each command name since the last reset, and an optional step to run before a command is sent. */
const calls = new Map<string, number>();
let before: { command: string; run: (call: number) => Promise<void> } | undefined;

beforeAll(async () => {
  const resources = await provisioned(emulators, [products], prefix);
  const { ProductsTable } = resources;
  if (!ProductsTable) throw new Error(`provisioned only ${Object.keys(resources).join(", ")}`);
  table = ProductsTable.name!;
  link({ ProductsTable });

  type Handler = (args: unknown) => Promise<unknown>;
  const watch =
    (next: Handler, context: { commandName?: string }): Handler =>
    async (args) => {
      const name = context.commandName ?? "";
      const call = (calls.get(name) ?? 0) + 1;
      calls.set(name, call);
      if (before?.command === name) await before.run(call);
      return next(args);
    };
  (handlerTable.middlewareStack as unknown as { add(m: unknown, o: { step: "initialize" }): void }).add(watch, {
    step: "initialize",
  });
  // As shared/aws/dynamo.ts builds it; the document client sends through the base client's middleware stack.
  useAwsClients({
    dynamo: DynamoDBDocumentClient.from(handlerTable, { marshallOptions: { removeUndefinedValues: true } }),
  });
});

afterAll(() => {
  resetAwsClients();
  observedTable.destroy();
  handlerTable.destroy();
});

beforeEach(() => {
  calls.clear();
  before = undefined;
});

// ---------------------------------------------------------------------------------------------------------------
// Calling the handlers

interface Answer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Record<string, string>;
}

async function call(
  handler: (event: APIGatewayProxyEvent, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyResult>,
  request: {
    method: string;
    resource: string;
    path: string;
    pathParameters?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
    userId?: string;
    headers?: Record<string, string>;
  },
): Promise<Answer> {
  const result = await handler(
    apiEvent({
      httpMethod: request.method,
      resource: request.resource,
      path: `/products${request.path}`,
      headers: { "content-type": "application/json", ...request.headers },
      body: request.body === undefined ? null : JSON.stringify(request.body),
      pathParameters: request.pathParameters ?? null,
      queryStringParameters: request.query ?? null,
      ...(request.userId ? { claims: { sub: request.userId, token_use: "access" } } : {}),
    }),
    lambdaContext(),
  );
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined, headers };
}

const seller = () => `seller-${randomUUID()}`;
const fields = (overrides: Record<string, unknown> = {}) => ({
  name: "Walnut desk",
  description: "Solid walnut, 140 × 70 cm",
  priceCents: 45_000,
  currency: "EUR",
  category: "furniture",
  ...overrides,
});

const post = (userId: string, body: unknown, headers: Record<string, string> = {}) =>
  call(createProduct, { method: "POST", resource: "/", path: "", body, userId, headers });
const get = (productId: string, headers: Record<string, string> = {}) =>
  call(getProduct, {
    method: "GET",
    resource: "/{productId}",
    path: `/${productId}`,
    pathParameters: { productId },
    headers,
  });
const list = (query: Record<string, string> = {}) =>
  call(listProducts, { method: "GET", resource: "/", path: "", query });
const patch = (userId: string, productId: string, body: unknown) =>
  call(updateProduct, {
    method: "PATCH",
    resource: "/{productId}",
    path: `/${productId}`,
    pathParameters: { productId },
    body,
    userId,
  });
const remove = (userId: string, productId: string) =>
  call(deleteProduct, {
    method: "DELETE",
    resource: "/{productId}",
    path: `/${productId}`,
    pathParameters: { productId },
    userId,
  });

async function created(userId: string, overrides: Record<string, unknown> = {}): Promise<Product> {
  const answer = await post(userId, fields(overrides));
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body as unknown as Product;
}

/** Every page of `query`, following `nextCursor` to the end. */
async function walk(query: Record<string, string>): Promise<Product[][]> {
  const pages: Product[][] = [];
  let cursor: string | undefined;
  do {
    const answer = await list({ ...query, ...(cursor ? { cursor } : {}) });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    pages.push(answer.body.items as Product[]);
    cursor = (answer.body.nextCursor as string | null) ?? undefined;
    if (pages.length > 200) throw new Error("the pages never end");
  } while (cursor);
  return pages;
}

const newestFirst = (a: Product, b: Product) =>
  timeKey(b.createdAt, b.productId) < timeKey(a.createdAt, a.productId) ? -1 : 1;

// ---------------------------------------------------------------------------------------------------------------
// Media items, as the media service announces them

let processedAt = Date.parse("2026-01-01T00:00:00.000Z");
/** Each announcement a second after the last one. */
const later = () => {
  processedAt += 1000;
  return new Date(processedAt).toISOString();
};

async function mediaProcessed(
  mediaId: string,
  ownerId: string,
  status: "ready" | "failed",
  at = later(),
): Promise<void> {
  const [event] = outgoingEvents(MediaProcessed, [
    {
      mediaId,
      ownerId,
      purpose: "product",
      status,
      contentType: "image/png",
      processedAt: at,
      ...(status === "ready"
        ? {
            url: `https://cdn.example.test/${mediaId}.png`,
            thumbnailUrl: `https://cdn.example.test/${mediaId}-256.png`,
          }
        : { failureReason: "not an image" }),
    },
  ]);
  await onMediaProcessed(
    snsEvent(
      {
        MessageId: randomUUID(),
        TopicArn: "arn:aws:sns:us-east-1:000000000000:media",
        Message: event!.body,
        Timestamp: at,
      },
      "arn:aws:sns:us-east-1:000000000000:media:products",
    ),
    lambdaContext(),
  );
}

async function readyMedia(ownerId: string): Promise<string> {
  const mediaId = `media-${randomUUID()}`;
  await mediaProcessed(mediaId, ownerId, "ready");
  return mediaId;
}

// ---------------------------------------------------------------------------------------------------------------
// Looking at the table

async function itemAt(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
  return (await observer.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
}

async function outboxOf(productId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const { Items = [] } = await observer.send(
    new QueryCommand({
      TableName: table,
      ConsistentRead: true,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": `OUTBOX#${productId}` },
    }),
  );
  return Items.map((item) => JSON.parse(String(item.envelope)));
}

async function usesOf(mediaId: string): Promise<string[]> {
  const { Items = [] } = await observer.send(
    new QueryCommand({
      TableName: table,
      ConsistentRead: true,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :used)",
      ExpressionAttributeValues: { ":pk": `MEDIA#${mediaId}`, ":used": "USEDBY#" },
    }),
  );
  return Items.map((item) => String(item.sk));
}

/** Runs `run` before each `command` the handlers send from now (`call` counts from 1), and restarts the counts. */
function beforeSending(command: string, run: (call: number) => Promise<void>): void {
  calls.clear();
  before = { command, run };
}

/** Another writer (another sandbox) moves the product's version on, as a concurrent PATCH would. */
async function bumpVersion(productId: string): Promise<void> {
  const item = await itemAt(keys.product(productId));
  await observer.send(new PutCommand({ TableName: table, Item: { ...item, version: Number(item?.version) + 1 } }));
}

// ---------------------------------------------------------------------------------------------------------------

describe("create, read and list", () => {
  it("creates a product (201), and reads it back with an etag and public caching", async () => {
    const sellerId = seller();
    const answer = await post(sellerId, fields({ description: undefined }));
    expect(answer.status).toBe(201);
    const product = answer.body as unknown as Product;
    expect(product).toEqual({
      productId: expect.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
      sellerId,
      name: "Walnut desk",
      description: null,
      priceCents: 45_000,
      currency: "EUR",
      category: "furniture",
      images: [],
      createdAt: expect.any(String),
      updatedAt: product.createdAt,
    });
    const stored = await itemAt(keys.product(product.productId));
    const shard = shardOf(product.productId);
    expect(stored).toMatchObject({
      version: 1,
      imageMediaIds: [],
      feedPk: `FEED#${shard}`,
      feedSk: `${product.createdAt}#${product.productId}`,
      categoryPk: `CATEGORY#furniture#${shard}`,
      categorySk: `${product.createdAt}#${product.productId}`,
    });
    expect((await outboxOf(product.productId)).map((event) => event.type)).toEqual(["products.ProductCreated"]);

    const read = await get(product.productId);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(product);
    expect(read.headers.etag).toMatch(/^"/);
    expect(read.headers["cache-control"]).toBe("public, max-age=1, s-maxage=2");
    expect((await get(product.productId, { "if-none-match": read.headers.etag! })).status).toBe(304);
    expect((await get("no-such-product")).status).toBe(404);
  });

  it("answers a repeated POST with the same idempotency-key with the first product, and creates one", async () => {
    const sellerId = seller();
    const key = randomUUID();
    const body = fields({ category: `idem-${randomUUID().slice(0, 8)}` });
    const first = await post(sellerId, body, { "idempotency-key": key });
    const again = await post(sellerId, body, { "idempotency-key": key });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect((await walk({ category: body.category as string })).flat()).toHaveLength(1);
  });

  it("lists every product newest first across the shards, page by page, with no duplicate and no gap", async () => {
    const sellerId = seller();
    const made: Product[] = [];
    for (let i = 0; i < 24; i++) made.push(await created(sellerId, { name: `Chair ${i}`, category: "chairs" }));
    expect(new Set(made.map((p) => shardOf(p.productId))).size).toBeGreaterThan(1);

    const pages = await walk({ limit: "5" });
    const seen = pages.flat();
    expect(new Set(seen.map((p) => p.productId)).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort(newestFirst));
    for (const product of made) expect(seen).toContainEqual(product);
    // Every page is full but the last.
    for (const page of pages.slice(0, -1)) expect(page).toHaveLength(5);
    expect(pages.at(-1)!.length).toBeGreaterThan(0);
    // The default page is 20; one page of 100 holds everything so far.
    expect(((await list()).body.items as Product[]).length).toBe(Math.min(20, seen.length));
    expect((await list({ limit: "100" })).body.items).toEqual(seen.slice(0, 100));
  });

  it("lists one category newest first, walked to the end", async () => {
    const sellerId = seller();
    const category = `lamps-${randomUUID().slice(0, 8)}`;
    const lamps: Product[] = [];
    for (let i = 0; i < 11; i++) lamps.push(await created(sellerId, { name: `Lamp ${i}`, category }));
    await created(sellerId, { category: `${category}-other` });

    const pages = await walk({ category, limit: "4" });
    expect(pages.map((page) => page.length)).toEqual([4, 4, 3]);
    expect(pages.flat()).toEqual([...lamps].sort(newestFirst));
    expect(await walk({ category: `${category}-none` })).toEqual([[]]);
  });

  it("refuses a changed cursor, or one of another query, with a 400 problem (never a 500)", async () => {
    const sellerId = seller();
    const category = `rugs-${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 3; i++) await created(sellerId, { category });
    const cursor = (await list({ category, limit: "1" })).body.nextCursor as string;
    expect(cursor).toEqual(expect.any(String));

    const tampered = [
      `${cursor.slice(0, 20)}${cursor[20] === "A" ? "B" : "A"}${cursor.slice(21)}`,
      cursor.slice(1),
      "garbage",
    ];
    for (const attempt of tampered) {
      const answer = await list({ category, cursor: attempt });
      expect(answer.status).toBe(400);
      expect(answer.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(answer.body.errors).toEqual([{ path: "query.cursor", message: expect.any(String) }]);
    }
    // A cursor of one category is no cursor of another one, nor of the whole feed.
    expect((await list({ category: `${category}-x`, cursor })).status).toBe(400);
    expect((await list({ cursor })).status).toBe(400);
    expect((await list({ limit: "0" })).status).toBe(400);
    expect((await list({ limit: "101" })).status).toBe(400);
  });

  it("productsByIds answers from the cache and one batch read for the misses", async () => {
    const sellerId = seller();
    const cachedOne = await created(sellerId);
    const other = await created(sellerId);
    // Another sandbox's product: not in this one's cache.
    const elsewhere = `elsewhere-${randomUUID()}`;
    const stored = await itemAt(keys.product(other.productId));
    await observer.send(
      new PutCommand({
        TableName: table,
        Item: { ...stored, ...keys.product(elsewhere), productId: elsewhere, feedPk: "none", categoryPk: "none" },
      }),
    );
    calls.clear();
    const found = await productsByIds([cachedOne.productId, elsewhere, "missing-one", cachedOne.productId]);
    expect([...found.keys()].sort()).toEqual([cachedOne.productId, elsewhere].sort());
    expect(found.get(cachedOne.productId)).toEqual(cachedOne);
    expect(calls.get("BatchGetItemCommand")).toBe(1);
    calls.clear();
    await productsByIds([elsewhere, "missing-one"]);
    expect(calls.size).toBe(0);
  });
});

describe("the origin cache", () => {
  /** A product written by another sandbox: this one has never seen it. */
  async function writtenElsewhere(): Promise<string> {
    const productId = `burst-${randomUUID()}`;
    const createdAt = new Date().toISOString();
    const shard = shardOf(productId);
    await observer.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...keys.product(productId),
          productId,
          sellerId: seller(),
          ...fields({ category: "burst" }),
          images: [],
          imageMediaIds: [],
          createdAt,
          updatedAt: createdAt,
          version: 1,
          feedPk: keys.feed(shard),
          feedSk: timeKey(createdAt, productId),
          categoryPk: keys.category("burst", shard),
          categorySk: timeKey(createdAt, productId),
        },
      }),
    );
    return productId;
  }

  it("a burst of 100 reads of one product on one sandbox reads the table once", async () => {
    const productId = await writtenElsewhere();
    calls.clear();
    const concurrent = await Promise.all(Array.from({ length: 50 }, () => get(productId)));
    const sequential: Answer[] = [];
    for (let i = 0; i < 50; i++) sequential.push(await get(productId));
    const answers = [...concurrent, ...sequential];
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(new Set(answers.map((answer) => answer.headers.etag)).size).toBe(1);
    expect(calls.get("GetItemCommand")).toBe(1);
    expect(calls.size).toBe(1);
  });

  it("a burst of 100 reads of a product that does not exist reads the table once too", async () => {
    const productId = `unknown-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 100 }, () => get(productId)));
    expect(answers.every((answer) => answer.status === 404)).toBe(true);
    expect(calls.get("GetItemCommand")).toBe(1);
  });

  it("the writer's own sandbox sees its write at once: an update, then a delete", async () => {
    const sellerId = seller();
    const product = await created(sellerId);
    expect((await get(product.productId)).body).toEqual(product);
    const updated = await patch(sellerId, product.productId, { priceCents: 39_000 });
    expect((await get(product.productId)).body).toEqual(updated.body);
    expect((await remove(sellerId, product.productId)).status).toBe(204);
    calls.clear();
    expect((await get(product.productId)).status).toBe(404);
    expect(calls.size).toBe(0);
  });
});

describe("PATCH /products/{productId}", () => {
  it("writes only the fields that change, and names exactly them in products.ProductUpdated", async () => {
    const sellerId = seller();
    const product = await created(sellerId);
    const answer = await patch(sellerId, product.productId, {
      name: "Walnut desk, oiled",
      priceCents: product.priceCents,
      description: null,
      category: product.category,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ name: "Walnut desk, oiled", description: null, priceCents: 45_000 });
    expect(answer.body.updatedAt).not.toBe(product.updatedAt);
    expect(await itemAt(keys.product(product.productId))).toMatchObject({ version: 2, name: "Walnut desk, oiled" });

    const events = await outboxOf(product.productId);
    expect(events.map((event) => event.type)).toEqual(["products.ProductCreated", "products.ProductUpdated"]);
    expect(events[1]!.data).toEqual({
      productId: product.productId,
      sellerId,
      name: "Walnut desk, oiled",
      priceCents: 45_000,
      currency: "EUR",
      category: "furniture",
      changed: ["name", "description"],
      updatedAt: answer.body.updatedAt,
    });

    // Nothing moves: 200 with the product as it is, no write, no event.
    const same = await patch(sellerId, product.productId, { name: "Walnut desk, oiled", currency: "EUR" });
    expect(same.status).toBe(200);
    expect(same.body).toEqual(answer.body);
    expect(await outboxOf(product.productId)).toHaveLength(2);
  });

  it("moves a product to its new category's feed", async () => {
    const sellerId = seller();
    const from = `from-${randomUUID().slice(0, 8)}`;
    const to = `to-${randomUUID().slice(0, 8)}`;
    const product = await created(sellerId, { category: from });
    const answer = await patch(sellerId, product.productId, { category: to });
    expect(answer.status).toBe(200);
    expect(await walk({ category: from })).toEqual([[]]);
    expect((await walk({ category: to })).flat()).toEqual([answer.body]);
    const [, updatedEvent] = await outboxOf(product.productId);
    expect(updatedEvent!.data.changed).toEqual(["category"]);
  });

  it("re-reads when another writer got there first, and answers 409 after three stale attempts", async () => {
    const sellerId = seller();
    const product = await created(sellerId);

    beforeSending("TransactWriteItemsCommand", async (n) => (n === 1 ? bumpVersion(product.productId) : undefined));
    const retried = await patch(sellerId, product.productId, { name: "Second try" });
    expect(retried.status).toBe(200);
    expect(calls.get("TransactWriteItemsCommand")).toBe(2);
    expect(await itemAt(keys.product(product.productId))).toMatchObject({ name: "Second try", version: 3 });

    beforeSending("TransactWriteItemsCommand", () => bumpVersion(product.productId));
    const stale = await patch(sellerId, product.productId, { name: "Never" });
    expect(stale.status).toBe(409);
    expect(stale.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(calls.get("TransactWriteItemsCommand")).toBe(3);
    expect(await itemAt(keys.product(product.productId))).toMatchObject({ name: "Second try" });
    expect((await outboxOf(product.productId)).map((e) => e.type)).toEqual([
      "products.ProductCreated",
      "products.ProductUpdated",
    ]);
  });

  it("is the seller's only: 404 for a product that does not exist (before any 403), 403 for another's", async () => {
    const sellerId = seller();
    const someoneElse = seller();
    const product = await created(sellerId);
    const foreignMedia = await readyMedia(someoneElse);

    const theirs = await patch(someoneElse, product.productId, { name: "Mine now" });
    expect(theirs.status).toBe(403);
    expect((await remove(someoneElse, product.productId)).status).toBe(403);
    expect(await itemAt(keys.product(product.productId))).toMatchObject({ name: "Walnut desk", version: 1 });

    // Missing comes first, whoever asks and whatever the body holds.
    expect((await patch(someoneElse, "no-such-product", { imageMediaIds: [`media-${randomUUID()}`] })).status).toBe(
      404,
    );
    expect((await patch(sellerId, "no-such-product", { imageMediaIds: [foreignMedia] })).status).toBe(404);
    expect((await remove(someoneElse, "no-such-product")).status).toBe(404);
    expect((await patch(sellerId, product.productId, { bogus: 1 })).status).toBe(400);
  });
});

describe("images", () => {
  it("refuses media that is not the seller's, not ready or unknown (403, naming each), and shows ready ones", async () => {
    const sellerId = seller();
    const mine = await readyMedia(sellerId);
    const theirs = await readyMedia(seller());
    const failed = `media-${randomUUID()}`;
    await mediaProcessed(failed, sellerId, "failed");
    const unknown = `media-${randomUUID()}`;

    const refused = await post(sellerId, fields({ imageMediaIds: [mine, theirs, failed, unknown] }));
    expect(refused.status).toBe(403);
    expect(refused.body.errors).toEqual([
      { path: "body.imageMediaIds.1", message: expect.stringContaining(theirs) },
      { path: "body.imageMediaIds.2", message: expect.stringContaining(failed) },
      { path: "body.imageMediaIds.3", message: expect.stringContaining(unknown) },
    ]);

    const second = await readyMedia(sellerId);
    const product = await created(sellerId, { imageMediaIds: [second, mine] });
    expect(product.images).toEqual([
      {
        mediaId: second,
        url: `https://cdn.example.test/${second}.png`,
        thumbnailUrl: `https://cdn.example.test/${second}-256.png`,
      },
      {
        mediaId: mine,
        url: `https://cdn.example.test/${mine}.png`,
        thumbnailUrl: `https://cdn.example.test/${mine}-256.png`,
      },
    ]);
    expect(await usesOf(mine)).toEqual([`USEDBY#${product.productId}`]);
    expect(await usesOf(second)).toEqual([`USEDBY#${product.productId}`]);

    // PATCH: one image leaves (its mark with it), another one comes; one that is not mine is refused.
    const third = await readyMedia(sellerId);
    expect((await patch(sellerId, product.productId, { imageMediaIds: [mine, theirs] })).status).toBe(403);
    const answer = await patch(sellerId, product.productId, { imageMediaIds: [third, mine] });
    expect(answer.status).toBe(200);
    expect((answer.body.images as { mediaId: string }[]).map((image) => image.mediaId)).toEqual([third, mine]);
    expect(await usesOf(second)).toEqual([]);
    expect(await usesOf(third)).toEqual([`USEDBY#${product.productId}`]);
    const [, updatedEvent] = await outboxOf(product.productId);
    expect(updatedEvent!.data.changed).toEqual(["images"]);
  });

  it("a media item that fails later leaves every product showing it, with products.ProductUpdated", async () => {
    const sellerId = seller();
    const doomed = await readyMedia(sellerId);
    const kept = await readyMedia(sellerId);
    const one = await created(sellerId, { imageMediaIds: [doomed, kept] });
    const two = await created(sellerId, { imageMediaIds: [doomed] });
    const untouched = await created(sellerId, { imageMediaIds: [kept] });

    await mediaProcessed(doomed, sellerId, "failed");

    expect(((await get(one.productId)).body.images as { mediaId: string }[]).map((i) => i.mediaId)).toEqual([kept]);
    expect((await get(two.productId)).body.images).toEqual([]);
    expect(await itemAt(keys.product(two.productId))).toMatchObject({ imageMediaIds: [], version: 2 });
    expect(await usesOf(doomed)).toEqual([]);
    for (const product of [one, two]) {
      const events = await outboxOf(product.productId);
      expect(events.map((event) => event.type)).toEqual(["products.ProductCreated", "products.ProductUpdated"]);
      expect(events[1]!.data.changed).toEqual(["images"]);
    }
    expect(await outboxOf(untouched.productId)).toHaveLength(1);

    // A redelivery, or an older "ready" arriving late, changes nothing; the item cannot come back.
    await mediaProcessed(doomed, sellerId, "failed", (await itemAt(keys.media(doomed)))!.processedAt as string);
    await mediaProcessed(doomed, sellerId, "ready", "2020-01-01T00:00:00.000Z");
    expect(await itemAt(keys.media(doomed))).toMatchObject({ status: "failed" });
    expect(await outboxOf(two.productId)).toHaveLength(2);
    expect((await patch(sellerId, two.productId, { imageMediaIds: [doomed] })).status).toBe(403);
  });

  it("a media item that fails between the check and the write is refused with the write (403)", async () => {
    const sellerId = seller();
    const racing = await readyMedia(sellerId);
    // The media service's verdict lands after the batch read and before the transaction.
    beforeSending("TransactWriteItemsCommand", async (n) => {
      if (n === 1)
        await observer.send(
          new PutCommand({ TableName: table, Item: { ...(await itemAt(keys.media(racing))), status: "failed" } }),
        );
    });
    const answer = await post(sellerId, fields({ imageMediaIds: [racing] }));
    expect(answer.status).toBe(403);
    expect(answer.body.errors).toEqual([{ path: "body.imageMediaIds.0", message: expect.stringContaining(racing) }]);
    expect(await usesOf(racing)).toEqual([]);
  });
});

describe("DELETE /products/{productId}", () => {
  it("removes the product, its view count and its image marks, with products.ProductDeleted (204)", async () => {
    const sellerId = seller();
    const image = await readyMedia(sellerId);
    const product = await created(sellerId, { imageMediaIds: [image] });
    // The click-stream side's count of it, in the popularity index.
    await observer.send(
      new PutCommand({
        TableName: table,
        Item: { ...keys.views(product.productId), views: 7, rankPk: "POPULAR#0", rankSk: `7#${product.productId}` },
      }),
    );

    const answer = await remove(sellerId, product.productId);
    expect(answer.status).toBe(204);
    expect(await itemAt(keys.product(product.productId))).toBeUndefined();
    expect(await itemAt(keys.views(product.productId))).toBeUndefined();
    expect(await usesOf(image)).toEqual([]);
    expect(await itemAt(keys.media(image))).toMatchObject({ status: "ready" });
    const events = await outboxOf(product.productId);
    expect(events.map((event) => event.type)).toEqual(["products.ProductCreated", "products.ProductDeleted"]);
    expect(events[1]!.data).toEqual({
      productId: product.productId,
      sellerId,
      category: "furniture",
      deletedAt: expect.any(String),
    });
    expect((await get(product.productId)).status).toBe(404);
    expect((await remove(sellerId, product.productId)).status).toBe(404);
    const everything = (await walk({ limit: "100" })).flat();
    expect(everything.map((p) => p.productId)).not.toContain(product.productId);
  });

  it("deletes what it read: a product changed meanwhile is re-read, and the delete still happens", async () => {
    const sellerId = seller();
    const product = await created(sellerId);
    beforeSending("TransactWriteItemsCommand", async (n) => (n === 1 ? bumpVersion(product.productId) : undefined));
    expect((await remove(sellerId, product.productId)).status).toBe(204);
    expect(calls.get("TransactWriteItemsCommand")).toBe(2);
    expect(await itemAt(keys.product(product.productId))).toBeUndefined();
  });
});
