import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Product } from "../../services/products/api.js";
import { type DevServer, startDev } from "../support/devServer.js";
import {
  type Account,
  eventually,
  ISO_TIME,
  newestFirst,
  newProduct,
  type Popular,
  type ProductInput,
  productsClient,
  READ_OPERATIONS,
  type Reply,
  sleep,
  slow,
  URL_SAFE_ID,
  uid,
} from "../support/productsClient.js";
import { cognitoLocalSigningKey, expiredClaims, resign, strangerKey, withForeignPayload } from "../support/tokens.js";
import { traceEntries } from "../support/xray.js";

/**
 * The products rows of the HTTP contract (api-contract.md, "Conventions" and "products"), end to end: through the
 * gateway of a real `npm run dev` (its CDN cache, its Lambda sandboxes, the local DynamoDB and X-Ray collector),
 * exactly as a consumer and an operator use them. The events and the click-stream are in productsEvents.test.ts.
 */

let dev: DevServer;
beforeAll(async () => {
  dev = await startDev();
}, 90_000);
afterAll(async () => {
  await dev?.stop();
});

const {
  call,
  expectOk,
  expectProblem,
  signUp,
  create,
  createProduct,
  get,
  list,
  walk,
  popular,
  trace,
  tableCalls,
  functionSegments,
} = productsClient(() => dev);

/**
 * The contract's staleness bound: "a write is visible to a reader of the same product within a few seconds at
 * most"; api.ts spells the few seconds out as max-age + s-maxage + the origin cache's 2 s = 5 s.
 */
const VISIBLE_WITHIN_MS = 5_000;

/** The product as every reader sees it once a write is visible: GET polled until `done` (at most the bound, twice). */
const readUntil = (productId: string, done: (reply: Reply<Product>) => boolean) =>
  eventually(() => get(productId), done, 2 * VISIBLE_WITHIN_MS, 100);

let seller: Account;
let other: Account;
beforeAll(async () => {
  [seller, other] = await Promise.all([signUp("Seller"), signUp("Other")]);
});

/** The product a create of `input` by `seller` must answer. */
const productOf = (input: ProductInput, by: Account): Product => ({
  productId: expect.stringMatching(URL_SAFE_ID),
  sellerId: by.userId,
  name: input.name,
  description: input.description ?? null,
  priceCents: input.priceCents,
  currency: input.currency,
  category: input.category,
  images: [],
  createdAt: expect.stringMatching(ISO_TIME),
  updatedAt: expect.stringMatching(ISO_TIME),
});

describe("the products rows", () => {
  test("POST /products 201 Product; GET /products/{productId} 200 the same Product with etag and cache-control public, max-age", async () => {
    const before = Date.now();
    const input = newProduct(uid("cat"), { name: "Desk lamp", priceCents: 0, currency: "JPY" });
    const created = await createProduct(seller, input);
    expect(created).toEqual(productOf(input, seller));
    expect(Date.parse(created.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(created.createdAt)).toBeLessThanOrEqual(Date.now() + 1000);
    expect(Date.parse(created.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.createdAt));

    const reply = await get(created.productId);
    expect(expectOk(reply)).toEqual(created);
    expect(reply.headers.get("etag")).toMatch(/^"[\x21\x23-\x7e]+"$/);
    expect(reply.headers.get("cache-control")).toMatch(/^public, max-age=\d+(,|$)/);

    // Without a description it is null; a second product of the same seller has its own id.
    const { description: _description, ...bare } = newProduct(input.category);
    const plain = await createProduct(seller, bare);
    expect(plain).toEqual(productOf(bare, seller));
    expect(plain.productId).not.toBe(created.productId);
  });

  test("GET /products/{productId} 304 with no body on a matching if-none-match: the etag, a list holding it, its W/ form", async () => {
    const created = await createProduct(seller, newProduct(uid("cat")));
    const first = await get(created.productId);
    expectOk(first);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[\x21\x23-\x7e]+"$/);

    for (const ifNoneMatch of [etag, `"not-it", ${etag}`, `W/${etag}`, `W/"not-it", W/${etag}`]) {
      const reply = await get(created.productId, { "if-none-match": ifNoneMatch });
      expect(reply.status, `if-none-match: ${ifNoneMatch} → ${reply.status} ${reply.text}`).toBe(304);
      expect(reply.text, ifNoneMatch).toBe("");
      expect(reply.headers.get("etag"), ifNoneMatch).toBe(etag);
    }
    for (const ifNoneMatch of [`"not-it"`, `W/"not-it", "nor-this"`]) {
      const reply = await get(created.productId, { "if-none-match": ifNoneMatch });
      expect(expectOk(reply), ifNoneMatch).toEqual(created);
      expect(reply.headers.get("etag")).toBe(etag);
    }
  });

  test("GET /products/{productId} 304 also when the conditional request is the first anonymous read (nothing at the edge yet)", async () => {
    const created = await createProduct(seller, newProduct(uid("cat")));
    // The etag is the representation's: a signed-in read (never stored at the edge) learns it.
    const signedIn = await call<Product>("GET", `/products/${created.productId}`, { token: seller.token });
    expect(expectOk(signedIn)).toEqual(created);
    const etag = signedIn.headers.get("etag")!;
    expect(etag).toMatch(/^"[\x21\x23-\x7e]+"$/);
    const reply = await get(created.productId, { "if-none-match": etag });
    expect(reply.status, reply.text).toBe(304);
    expect(reply.text).toBe("");
    // And the edge did not keep the empty 304 as the product: the next plain read is the whole product.
    const plain = await get(created.productId);
    expect(expectOk(plain)).toEqual(created);
    expect(plain.headers.get("etag")).toBe(etag);
  });

  test("GET /products/{productId} with authorization is never answered for shared caches (authorized requests are not cached)", async () => {
    const created = await createProduct(seller, newProduct(uid("cat")));
    const reply = await call<Product>("GET", `/products/${created.productId}`, { token: seller.token });
    expect(expectOk(reply)).toEqual(created);
    expect(reply.headers.get("cache-control")).not.toMatch(/\bpublic\b|s-maxage/);
  });

  test(
    "GET /products?category: newest first, that category only; default page 20; ?limit pages walked with nextCursor to the end: no duplicates, no gaps",
    slow,
    async () => {
      const category = uid("cat");
      const neighbour = uid("cat");
      const made: Product[] = [];
      for (let batch = 0; batch < 3; batch++) {
        made.push(
          ...(await Promise.all(
            Array.from({ length: 7 }, (_, i) =>
              createProduct(seller, newProduct(category, { priceCents: batch * 10 + i })),
            ),
          )),
        );
      }
      const neighbours = [
        await createProduct(other, newProduct(neighbour)),
        await createProduct(other, newProduct(neighbour)),
      ];
      const expected = [...made].sort(newestFirst);
      const ids = (items: readonly Product[]) => items.map((p) => p.productId);

      // Default: 20, newest first, with a cursor to the 21st.
      const firstPage = expectOk(await list(`category=${category}`));
      expect(ids(firstPage.items)).toEqual(ids(expected.slice(0, 20)));
      expect(firstPage.items).toEqual(expected.slice(0, 20));
      expect(firstPage.nextCursor).toEqual(expect.any(String));
      const rest = expectOk(await list(`category=${category}&cursor=${encodeURIComponent(firstPage.nextCursor!)}`));
      expect(rest).toEqual({ items: expected.slice(20), nextCursor: null });

      // Every page size walks the same list: no duplicates, no gaps, null at the end.
      for (const limit of [1, 4, 7, 21, 100]) {
        const pages = await walk(`category=${category}&limit=${limit}`);
        expect(pages.length, `limit=${limit}`).toBe(Math.max(1, Math.ceil(21 / limit)));
        for (const page of pages.slice(0, -1)) expect(page.items).toHaveLength(limit);
        const walked = pages.flatMap((p) => p.items);
        expect(new Set(ids(walked)).size, `limit=${limit}: duplicates`).toBe(walked.length);
        expect(ids(walked), `limit=${limit}`).toEqual(ids(expected));
        expect(pages.at(-1)?.nextCursor).toBeNull();
      }

      expect(expectOk(await list(`category=${neighbour}`))).toEqual({
        items: [...neighbours].sort(newestFirst),
        nextCursor: null,
      });
      expect(expectOk(await list(`category=${uid("empty")}`))).toEqual({ items: [], nextCursor: null });
    },
  );

  test(
    "GET /products: every product newest first, walked to the end 3 at a time just as in one page of 100",
    slow,
    async () => {
      const mine = [
        await createProduct(seller, newProduct(uid("cat"))),
        await createProduct(other, newProduct(uid("cat"))),
        await createProduct(seller, newProduct(uid("cat"))),
      ];
      // A write is visible within the bound; the newest three are these, newest first.
      const newest = [...mine].sort(newestFirst);
      const head = await eventually(
        async () => expectOk(await list("limit=3")),
        (page) => page.items[0]?.productId === newest[0]!.productId,
        2 * VISIBLE_WITHIN_MS,
      );
      expect(head.items).toEqual(newest);

      const pages = await walk("limit=3");
      const walked = pages.flatMap((p) => p.items);
      expect(new Set(walked.map((p) => p.productId)).size).toBe(walked.length);
      expect(walked).toEqual([...walked].sort(newestFirst));
      expect(walked.length).toBeGreaterThanOrEqual(mine.length);
      const whole = expectOk(await list("limit=100"));
      expect(whole.nextCursor).toBeNull(); // this run holds fewer than 100 products at this point
      expect(walked.map((p) => p.productId)).toEqual(whole.items.map((p) => p.productId));
      expect(walked).toEqual(whole.items);
    },
  );

  test(
    "GET /products/popular 200 { items: [{ product, views }] }, most viewed first; ?limit up to 50",
    slow,
    async () => {
      const [most, less] = [
        await createProduct(seller, newProduct(uid("cat"))),
        await createProduct(other, newProduct(uid("cat"))),
      ];
      for (const [product, n] of [
        [most, 3],
        [less, 1],
      ] as const)
        for (let i = 0; i < n; i++)
          expect((await call("POST", `/products/${product.productId}/views`)).status).toBe(202);
      const viewsOf = (answer: Popular, id: string) =>
        answer.items.find((item) => item.product.productId === id)?.views;
      const answer = await eventually(
        () => popular(50),
        (a) => viewsOf(a, most.productId) === 3 && viewsOf(a, less.productId) === 1,
        30_000,
        500,
      );
      expect(answer).toEqual({ items: expect.any(Array) });
      const at = (id: string) => answer.items.findIndex((item) => item.product.productId === id);
      expect(answer.items[at(most.productId)]).toEqual({ product: most, views: 3 });
      expect(answer.items[at(less.productId)]).toEqual({ product: less, views: 1 });
      expect(at(most.productId)).toBeLessThan(at(less.productId));
      const views = answer.items.map((item) => item.views);
      expect(views).toEqual([...views].sort((a, b) => b - a));
      for (const item of answer.items) expect(Number.isInteger(item.views), JSON.stringify(item)).toBe(true);

      const one = await popular(1);
      expect(one.items).toHaveLength(1);
      expect(one.items[0]?.views).toBe(answer.items[0]?.views);
      expect(expectOk(await call<Popular>("GET", "/products/popular")).items.length).toBeLessThanOrEqual(50);
    },
  );

  test(
    "PATCH /products/{productId} 200: the fields sent change, nothing else; description null clears it",
    slow,
    async () => {
      const input = newProduct(uid("cat"));
      const created = await createProduct(seller, input);
      const patch = (json: unknown) =>
        call<Product>("PATCH", `/products/${created.productId}`, { token: seller.token, json });

      await sleep(5); // so that a changed updatedAt can be told apart from createdAt
      const renamed = expectOk(await patch({ name: "Renamed lamp", priceCents: 2500 }));
      expect(renamed).toEqual({
        ...created,
        name: "Renamed lamp",
        priceCents: 2500,
        updatedAt: expect.stringMatching(ISO_TIME),
      });
      expect(Date.parse(renamed.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));

      const moved = expectOk(await patch({ category: `${input.category}-b`, currency: "USD", description: null }));
      expect(moved).toEqual({
        ...renamed,
        category: `${input.category}-b`,
        currency: "USD",
        description: null,
        updatedAt: expect.stringMatching(ISO_TIME),
      });
      expect(Date.parse(moved.updatedAt)).toBeGreaterThanOrEqual(Date.parse(renamed.updatedAt));

      const { updatedAt: _u, ...unchanged } = moved;
      expect(expectOk(await patch({}))).toEqual({ ...unchanged, updatedAt: expect.stringMatching(ISO_TIME) });
      const longest = "d".repeat(2000);
      const described = expectOk(await patch({ description: longest, name: "n".repeat(120) }));
      expect(described).toEqual({
        ...moved,
        description: longest,
        name: "n".repeat(120),
        updatedAt: expect.stringMatching(ISO_TIME),
      });

      const seen = await readUntil(created.productId, (r) => r.body?.name === "n".repeat(120));
      expect(expectOk(seen)).toEqual(described);
      // It moved category: the new category lists it, the old one (eventually) no longer does.
      const inNew = await eventually(
        async () => expectOk(await list(`category=${input.category}-b`)),
        (page) => page.items[0]?.name === described.name,
        2 * VISIBLE_WITHIN_MS,
      );
      expect(inNew).toEqual({ items: [described], nextCursor: null });
      const old = await eventually(
        async () => expectOk(await list(`category=${input.category}`)),
        (page) => page.items.length === 0,
        2 * VISIBLE_WITHIN_MS,
      );
      expect(old).toEqual({ items: [], nextCursor: null });
    },
  );

  test("DELETE /products/{productId} 204; afterwards GET, PATCH, DELETE and views are 404", slow, async () => {
    const input = newProduct(uid("cat"));
    const created = await createProduct(seller, input);
    const reply = await call("DELETE", `/products/${created.productId}`, { token: seller.token });
    expect(reply.status, reply.text).toBe(204);
    expect(reply.text).toBe("");

    expectProblem(await readUntil(created.productId, (r) => r.status === 404), "not-found");
    expectProblem(
      await call("PATCH", `/products/${created.productId}`, { token: seller.token, json: { name: "Back" } }),
      "not-found",
    );
    expectProblem(await call("DELETE", `/products/${created.productId}`, { token: seller.token }), "not-found");
    const view = await eventually(
      () => call("POST", `/products/${created.productId}/views`),
      (r) => r.status === 404,
      2 * VISIBLE_WITHIN_MS,
    );
    expectProblem(view, "not-found");
    const listed = await eventually(
      async () => expectOk(await list(`category=${input.category}`)),
      (page) => page.items.length === 0,
      2 * VISIBLE_WITHIN_MS,
    );
    expect(listed).toEqual({ items: [], nextCursor: null });
  });

  test("POST /products/{productId}/views 202, without a token", async () => {
    const created = await createProduct(seller, newProduct(uid("cat")));
    for (let i = 0; i < 2; i++) {
      const reply = await call("POST", `/products/${created.productId}/views`);
      expect(reply.status, reply.text).toBe(202);
    }
  });

  test("POST /products with an idempotency-key: the same key and body replay the 201 (one product); another body is 422", async () => {
    const key = crypto.randomUUID();
    const input = newProduct(uid("cat"));
    const first = await create(seller.token, input, { "idempotency-key": key });
    const replay = await call<Product>("POST", "/products", {
      token: seller.token,
      json: input,
      headers: { "idempotency-key": key },
    });
    expectOk(replay, 201);
    expect(replay.text).toBe(first.reply.text);
    const reused = await call("POST", "/products", {
      token: seller.token,
      json: { ...input, name: "Another" },
      headers: { "idempotency-key": key },
    });
    expectProblem(reused, "idempotency-key-reused");
    expect(expectOk(await list(`category=${input.category}`))).toEqual({ items: [first.product], nextCursor: null });
  });
});

describe("the products errors", () => {
  test.each(["0", "101", "abc", "-1", "1.5", "", "1e2"])(
    "GET /products?limit=%s 400 lists query.limit",
    async (limit) => {
      expectProblem(await list(`limit=${limit}`), "validation", ["query.limit"]);
      expectProblem(await list(`category=${uid("cat")}&limit=${limit}`), "validation", ["query.limit"]);
    },
  );

  test.each(["51", "0", "abc"])("GET /products/popular?limit=%s 400 lists query.limit", async (limit) => {
    expectProblem(await call("GET", `/products/popular?limit=${limit}`), "validation", ["query.limit"]);
  });

  test("GET /products?category= (empty) 400 lists query.category", async () => {
    expectProblem(await list("category="), "validation", ["query.category"]);
  });

  test("GET /products/{unknown} 404 problem (also with an if-none-match)", async () => {
    expectProblem(await get(uid("nope")), "not-found");
    expectProblem(await get(uid("nope"), { "if-none-match": "*" }), "not-found");
  });

  const valid = (): ProductInput => newProduct(uid("cat"));
  const nineIds = Array.from({ length: 9 }, (_, i) => `m${i}`);
  const ALL = [
    "body.name",
    "body.priceCents",
    "body.currency",
    "body.category",
    "body.description",
    "body.imageMediaIds",
  ];
  test.each([
    {
      name: "empty name, negative price, XYZ, empty category, description of 2001, 9 images",
      json: {
        name: "",
        priceCents: -1,
        currency: "XYZ",
        category: "",
        description: "d".repeat(2001),
        imageMediaIds: nineIds,
      },
      paths: ALL,
    },
    {
      name: "name of 121, fractional price, lower-case usd, category of 41, a repeated image",
      json: {
        name: "n".repeat(121),
        priceCents: 19.99,
        currency: "usd",
        category: "c".repeat(41),
        description: 42,
        imageMediaIds: ["m1", "m1"],
      },
      paths: ALL,
    },
    {
      name: "a price as a string, a blank name, a currency of 4 letters",
      json: { ...valid(), name: "   ", priceCents: "1999", currency: "EURO" },
      paths: ["body.name", "body.priceCents", "body.currency"],
    },
    { name: "missing fields", json: {}, paths: ["body.name", "body.priceCents", "body.currency", "body.category"] },
    {
      name: "fields of the wrong type",
      json: { name: 1, priceCents: null, currency: ["EUR"], category: {}, imageMediaIds: "m1" },
      paths: ["body.name", "body.priceCents", "body.currency", "body.category", "body.imageMediaIds"],
    },
    { name: "an unknown field", json: { ...valid(), colour: "red" }, paths: ["body.colour"] },
    { name: "XYZ is no ISO 4217 code", json: { ...valid(), currency: "XYZ" }, paths: ["body.currency"] },
    { name: "usd is not upper case", json: { ...valid(), currency: "usd" }, paths: ["body.currency"] },
    { name: "a negative price", json: { ...valid(), priceCents: -100 }, paths: ["body.priceCents"] },
  ])("POST /products 400 lists every violated field: $name; nothing is created", async ({ json, paths }) => {
    expectProblem(await call("POST", "/products", { token: seller.token, json }), "validation", paths);
    const category = (json as { category?: unknown }).category;
    if (typeof category === "string" && category.length > 0 && category.length <= 40)
      expect(expectOk(await list(`category=${encodeURIComponent(category)}`)).items).toEqual([]);
  });

  test("POST /products accepts the bounds: name of 120, description of 2000, price 0, category of 40", async () => {
    const input = newProduct("c".repeat(32) + uid("").slice(1), {
      name: "n".repeat(120),
      description: "d".repeat(2000),
      priceCents: 0,
    });
    expect(input.category).toHaveLength(40);
    expect(await createProduct(seller, input)).toEqual(productOf(input, seller));
  });

  test("POST /products 401 without a token, with a malformed, forged, expired or foreign-payload one; nothing is created", async () => {
    const input = valid();
    const forged = await resign(seller.token, await strangerKey());
    const expired = await resign(seller.token, await cognitoLocalSigningKey(), expiredClaims(seller.token));
    const foreign = withForeignPayload(seller.token, { sub: other.userId });
    for (const authorization of [
      undefined,
      "Bearer",
      "Bearer not-a-jwt",
      `Basic ${Buffer.from("a:b").toString("base64")}`,
      seller.token,
      `Bearer ${forged}`,
      `Bearer ${expired}`,
      `Bearer ${foreign}`,
    ]) {
      const reply = await call("POST", "/products", {
        json: input,
        headers: authorization === undefined ? {} : { authorization },
      });
      expectProblem(reply, "unauthorized");
    }
    expect(expectOk(await list(`category=${input.category}`)).items).toEqual([]);
    // The positive control: the real token, and a copy re-signed by the local key, are accepted.
    const copy = await resign(seller.token, await cognitoLocalSigningKey());
    expect(await createProduct({ ...seller, token: copy }, input)).toEqual(productOf(input, seller));
  });

  test.each(["text/plain", "application/x-www-form-urlencoded", "application/xml"])(
    "POST /products 415 for a %s body",
    async (contentType) => {
      const input = valid();
      const reply = await call("POST", "/products", {
        token: seller.token,
        raw: JSON.stringify(input),
        headers: { "content-type": contentType },
      });
      expectProblem(reply, "unsupported-media-type");
      expect(expectOk(await list(`category=${input.category}`)).items).toEqual([]);
    },
  );

  test("POST /products 413 for a body over 64 KiB; 400 for malformed JSON", async () => {
    const input = valid();
    const big = JSON.stringify({ ...input, description: "d".repeat(64 * 1024) });
    expect(Buffer.byteLength(big)).toBeGreaterThan(64 * 1024);
    expectProblem(await call("POST", "/products", { token: seller.token, raw: big }), "payload-too-large");
    expectProblem(await call("POST", "/products", { token: seller.token, raw: '{"name": "half' }), "malformed-json");
    expect(expectOk(await list(`category=${input.category}`)).items).toEqual([]);
  });

  test("POST /products 403 for imageMediaIds the service has never seen as the seller's ready media", async () => {
    const input = { ...valid(), imageMediaIds: [uid("m")] };
    expectProblem(await call("POST", "/products", { token: seller.token, json: input }), "forbidden");
    expect(expectOk(await list(`category=${input.category}`)).items).toEqual([]);
  });

  describe("PATCH and DELETE", () => {
    let product: Product;
    beforeAll(async () => {
      product = await createProduct(seller, newProduct(uid("cat")));
    });
    const unchanged = async () => expect(expectOk(await get(product.productId))).toEqual(product);

    test("PATCH 400 lists an unknown field and invalid values together; nothing changes", async () => {
      const path = `/products/${product.productId}`;
      expectProblem(await call("PATCH", path, { token: seller.token, json: { colour: "red" } }), "validation", [
        "body.colour",
      ]);
      expectProblem(
        await call("PATCH", path, {
          token: seller.token,
          json: { colour: "red", name: "", priceCents: -1, currency: "usd", imageMediaIds: nineIds },
        }),
        "validation",
        ["body.colour", "body.name", "body.priceCents", "body.currency", "body.imageMediaIds"],
      );
      expectProblem(
        await call("PATCH", path, { token: seller.token, json: { sellerId: other.userId } }),
        "validation",
        ["body.sellerId"],
      );
      expectProblem(await call("PATCH", path, { token: seller.token, raw: "[1," }), "malformed-json");
      await unchanged();
    });

    test("PATCH 404 and DELETE 404 for an unknown product", async () => {
      expectProblem(
        await call("PATCH", `/products/${uid("nope")}`, { token: seller.token, json: { name: "x" } }),
        "not-found",
      );
      expectProblem(await call("DELETE", `/products/${uid("nope")}`, { token: seller.token }), "not-found");
    });

    test("PATCH 401 and DELETE 401 without a token; nothing changes", async () => {
      expectProblem(await call("PATCH", `/products/${product.productId}`, { json: { name: "x" } }), "unauthorized");
      expectProblem(await call("DELETE", `/products/${product.productId}`), "unauthorized");
      await unchanged();
    });

    test("PUT /products/{productId} 405 with an allow header", async () => {
      const reply = await call("PUT", `/products/${product.productId}`, { token: seller.token, json: {} });
      expectProblem(reply, "method-not-allowed");
      const allow = (reply.headers.get("allow") ?? "").split(",").map((m) => m.trim());
      expect(allow).toEqual(expect.arrayContaining(["GET", "PATCH", "DELETE"]));
      expect(allow).not.toContain("PUT");
    });
  });

  test.each([
    ["GET", `/products/${"x".repeat(65)}`],
    ["GET", "/products/%E0%A4%A"],
    ["GET", "/products/a%2Fb"],
    ["GET", "/products/%00"],
    ["GET", "/products?limit=1&limit=2"],
    ["GET", "/products?cursor=%00"],
    ["GET", "/products?category=%F0%9F%92%A9&limit=5"],
    ["GET", "/products/popular?limit=1&limit=51"],
    ["POST", "/products/%00/views"],
    ["DELETE", `/products/${"x".repeat(65)}`],
  ])("%s %s: an odd request is a 4xx problem or a success, never a 5xx", async (method, path) => {
    const reply = await call(method, path, method === "DELETE" ? { token: seller.token } : {});
    if (reply.status >= 400) {
      expect(reply.status).toBeLessThan(500);
      expect(reply.headers.get("content-type"), reply.text).toMatch(/^application\/problem\+json(;|$)/);
    }
  });

  test("POST /products/{unknown}/views 404", async () => {
    expectProblem(await call("POST", `/products/${uid("nope")}/views`), "not-found");
  });
});

describe("BOLA: another user's token on the owner-only routes", () => {
  let product: Product;
  beforeAll(async () => {
    product = await createProduct(seller, newProduct(uid("cat")));
  });

  test.each([
    { name: "PATCH a rename", method: "PATCH", json: { name: "Hijacked", priceCents: 1 } as unknown },
    { name: "PATCH the category", method: "PATCH", json: { category: "stolen" } as unknown },
    { name: "PATCH nothing", method: "PATCH", json: {} as unknown },
    { name: "DELETE", method: "DELETE", json: undefined },
  ])("$name → 403, and the product is unchanged", async ({ method, json }) => {
    const reply = await call(method, `/products/${product.productId}`, { token: other.token, json });
    expectProblem(reply, "forbidden");
    expect(expectOk(await get(product.productId))).toEqual(product);
    expect(expectOk(await call("GET", `/products/${product.productId}`, { token: seller.token }))).toEqual(product);
  });

  test("the positive control: the owner's token on the same routes succeeds", async () => {
    const renamed = expectOk(
      await call<Product>("PATCH", `/products/${product.productId}`, {
        token: seller.token,
        json: { name: "Owner's" },
      }),
    );
    expect(renamed).toEqual({ ...product, name: "Owner's", updatedAt: expect.stringMatching(ISO_TIME) });
    const reply = await call("DELETE", `/products/${product.productId}`, { token: seller.token });
    expect(reply.status, reply.text).toBe(204);
  });
});

describe("cursor tampering", () => {
  let category: string;
  let categoryCursor: string;
  let allCursor: string;
  let otherCursor: string;
  beforeAll(async () => {
    category = uid("cat");
    const otherCategory = uid("cat");
    for (const c of [category, category, category, category, category, otherCategory, otherCategory, otherCategory])
      await createProduct(seller, newProduct(c));
    categoryCursor = expectOk(await list(`category=${category}&limit=2`)).nextCursor!;
    otherCursor = expectOk(await list(`category=${otherCategory}&limit=2`)).nextCursor!;
    allCursor = expectOk(await list("limit=2")).nextCursor!;
    for (const cursor of [categoryCursor, otherCursor, allCursor]) expect(cursor).toEqual(expect.any(String));
  });

  /** One base64url character replaced at `at` (never the last: its low bits may be padding). */
  const flip = (cursor: string, at: number) => {
    const i = Math.min(Math.max(0, at), cursor.length - 2);
    const c = cursor[i] === "A" ? "B" : "A";
    return `${cursor.slice(0, i)}${c}${cursor.slice(i + 1)}`;
  };

  const CASES: Record<string, () => { query: string; cursor: string }> = {
    "a character flipped at the start": () => ({ query: `category=${category}`, cursor: flip(categoryCursor, 0) }),
    "a character flipped in the middle": () => ({
      query: `category=${category}`,
      cursor: flip(categoryCursor, Math.floor(categoryCursor.length / 2)),
    }),
    "a character flipped near the end": () => ({
      query: `category=${category}`,
      cursor: flip(categoryCursor, categoryCursor.length - 3),
    }),
    "truncated by 4": () => ({ query: `category=${category}`, cursor: categoryCursor.slice(0, -4) }),
    "truncated to half": () => ({
      query: `category=${category}`,
      cursor: categoryCursor.slice(0, Math.floor(categoryCursor.length / 2)),
    }),
    "with a character appended": () => ({ query: `category=${category}`, cursor: `${categoryCursor}A` }),
    "base64 garbage": () => ({
      query: `category=${category}`,
      cursor: Buffer.from("garbage, not a cursor").toString("base64url"),
    }),
    "base64 of JSON of the right shape": () => ({
      query: `category=${category}`,
      cursor: Buffer.from(JSON.stringify({ k: { pk: "PRODUCT#x", sk: "PRODUCT" }, d: "x" })).toString("base64url"),
    }),
    "not base64 at all": () => ({ query: `category=${category}`, cursor: "!!not*base64~~" }),
    empty: () => ({ query: `category=${category}`, cursor: "" }),
    "3000 characters": () => ({ query: `category=${category}`, cursor: "A".repeat(3000) }),
    "the category query's cursor on the all-products query": () => ({ query: "", cursor: categoryCursor }),
    "the all-products cursor on a category query": () => ({ query: `category=${category}`, cursor: allCursor }),
    "another category's cursor": () => ({ query: `category=${category}`, cursor: otherCursor }),
    "the all-products cursor flipped": () => ({ query: "", cursor: flip(allCursor, Math.floor(allCursor.length / 2)) }),
  };

  test.each(Object.keys(CASES))("GET /products with a cursor %s → 400 problem, never 5xx", async (name) => {
    const { query, cursor } = CASES[name]!();
    const reply = await list([query, `cursor=${encodeURIComponent(cursor)}`].filter(Boolean).join("&"));
    expect(reply.status, reply.text).toBe(400);
    const problem = expectProblem(reply, ["bad-request", "validation"]);
    for (const error of problem.errors ?? []) expect(error.path).toBe("query.cursor");
  });

  test("the positive control: each cursor, unchanged, continues its own query", async () => {
    const rest = expectOk(await list(`category=${category}&limit=2&cursor=${encodeURIComponent(categoryCursor)}`));
    expect(rest.items).toHaveLength(2);
    expect(rest.items.every((p) => p.category === category)).toBe(true);
    expectOk(await list(`limit=2&cursor=${encodeURIComponent(allCursor)}`));
  });
});

describe("the read path: bounded staleness and the cache in front of the table", () => {
  test(
    "after a PATCH by the seller, a reader (and the writer's own next GET) sees the change within the bound",
    slow,
    async () => {
      const created = await createProduct(seller, newProduct(uid("cat")));
      // Readers have it cached: at the edge, and in front of the table.
      for (let i = 0; i < 3; i++) expect(expectOk(await get(created.productId))).toEqual(created);
      const old = await get(created.productId);
      const oldEtag = old.headers.get("etag")!;
      expectOk(await call("GET", `/products/${created.productId}`, { token: seller.token }));

      const patched = await call<Product>("PATCH", `/products/${created.productId}`, {
        token: seller.token,
        json: { name: "Fresh name", priceCents: 4242 },
      });
      const writtenAt = Date.now();
      const updated = expectOk(patched);
      expect(updated).toEqual({
        ...created,
        name: "Fresh name",
        priceCents: 4242,
        updatedAt: expect.stringMatching(ISO_TIME),
      });

      const seesIt = (reply: Reply<Product>) => reply.status === 200 && reply.body.name === "Fresh name";
      const [reader, writer] = await Promise.all(
        [
          () => get(created.productId),
          () => call<Product>("GET", `/products/${created.productId}`, { token: seller.token }),
        ].map(async (read) => {
          const reply = await eventually(read, seesIt, 3 * VISIBLE_WITHIN_MS, 100);
          return { reply, delayMs: Date.now() - writtenAt };
        }),
      );
      console.log(
        `[staleness] a PATCH became visible to an anonymous reader after ${reader!.delayMs} ms, to the writer's own GET after ${writer!.delayMs} ms (bound ${VISIBLE_WITHIN_MS} ms)`,
      );
      expect(expectOk(reader!.reply)).toEqual(updated);
      expect(expectOk(writer!.reply)).toEqual(updated);
      expect(reader!.delayMs, "reader").toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
      expect(writer!.delayMs, "writer").toBeLessThanOrEqual(VISIBLE_WITHIN_MS);

      // Once the bound has passed, every reader sees it: no cache anywhere still hands out the old copy.
      await sleep(Math.max(0, writtenAt + VISIBLE_WITHIN_MS - Date.now()));
      const everyone = await Promise.all(Array.from({ length: 20 }, () => get(created.productId)));
      for (const reply of everyone) expect(expectOk(reply)).toEqual(updated);
      const revalidated = await get(created.productId, { "if-none-match": oldEtag });
      expect(expectOk(revalidated)).toEqual(updated);
      expect(revalidated.headers.get("etag")).not.toBe(oldEtag);
    },
  );

  /**
   * 100 concurrent `GET /products/{productId}` of one fresh product (nothing cached anywhere), with `headers`; the
   * products-table reads counted in the traces of those requests (one per distinct `x-amzn-trace-id`: an answer the
   * edge served from its copy names the trace that filled it, and made no call of its own).
   */
  async function burst(label: string, headers: Record<string, string>) {
    const product = await createProduct(seller, newProduct(uid("cat")));
    const replies = await Promise.all(
      Array.from({ length: 100 }, () => call<Product>("GET", `/products/${product.productId}`, { headers })),
    );
    const etags = new Set<string | null>();
    for (const reply of replies) {
      expect(expectOk(reply)).toEqual(product);
      etags.add(reply.headers.get("etag"));
    }
    expect(etags.size, [...etags].join(" ")).toBe(1);

    // Segments arrive over UDP after the answers: wait for every trace to arrive and close, then read them all again.
    const traceIds = [...new Set(replies.map((r) => r.traceId))];
    await sleep(1_000);
    const settled = (t: Awaited<ReturnType<typeof trace>>) =>
      t !== undefined && traceEntries(t).every((e) => !e.inProgress);
    const read = () => Promise.all(traceIds.map((id) => trace(id)));
    await eventually(read, (traces) => traces.every(settled), 10_000, 500);
    await sleep(1_000);
    const traces = await read();

    const total = traces.reduce((sum, t) => sum + tableCalls(t, READ_OPERATIONS).length, 0);
    const reachedFunction = traces.filter((t) => functionSegments(t).length > 0).length;
    const missing = traces.filter((t) => t === undefined).length;
    const edgeHits = replies.filter((r) => /hit/i.test(r.headers.get("x-cache") ?? "")).length;
    const operations = traces.flatMap((t) => tableCalls(t, READ_OPERATIONS).map((c) => c.operation));
    console.log(
      `[burst] 100 ${label} GETs of one product: ${total} products-table reads (${operations.join(", ") || "none"}) in ${traceIds.length} distinct traces; ${reachedFunction} reached a function, ${missing} left no trace; ${edgeHits} answered "x-cache: hit" by the edge`,
    );
    // Nothing was cached, so the origin served some of them and read the product from its table at least once: the
    // traces were read, and their calls matched, by this very method (the measure is not vacuous).
    expect(reachedFunction).toBeGreaterThanOrEqual(1);
    expect(total).toBeGreaterThanOrEqual(1);
    expect(total, `${label}: products-table reads for 100 GETs`).toBeLessThanOrEqual(5);
    return { total, reachedFunction, edgeHits };
  }

  test(
    "a burst of 100 concurrent anonymous GETs of one fresh product reaches the products table at most 5 times (counted in their traces)",
    slow,
    async () => {
      await burst("anonymous", {});
    },
  );

  test(
    "the same burst signed in, which no shared cache may answer, still reaches the products table at most 5 times (the origin cache)",
    slow,
    async () => {
      const { edgeHits, reachedFunction } = await burst("signed-in", { authorization: `Bearer ${other.token}` });
      expect(edgeHits).toBe(0);
      expect(reachedFunction).toBe(100);
    },
  );
});
