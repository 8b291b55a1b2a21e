import * as v from "valibot";
import { id, isoTime, url } from "../../events/fields.js";
import { pageQuery, pageQueryUpTo } from "../../shared/data/pageQuery.js";
import { defineRoute } from "../../shared/topology/defineService.js";

/**
 * The products rows of the HTTP contract: each route's schemas, status, auth and caching, written once. The service
 * lists these routes, each handler reads its own (`routeHandler`), and the OpenAPI document is generated from them.
 */

const ROUTES = "services/products/routes";

/** Every active ISO 4217 code the runtime knows (ICU's list), built once at init. */
const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf("currency"));
/** A picklist, so the OpenAPI document lists the codes a client may send. */
export const currency = v.picklist([...CURRENCIES], "must be an ISO 4217 currency code (three capital letters)");
/** Trimmed, so a blank one is refused: the pattern says so in the OpenAPI document. */
const notBlank = v.regex(/\S/, "must not be blank");
const name = v.pipe(v.string(), notBlank, v.trim(), v.minLength(1, "must not be empty"), v.maxLength(120));
const description = v.pipe(v.string(), v.maxLength(2000, "must be at most 2000 characters"));
/** Integer minor units (cents), at most what a JavaScript number holds exactly. */
const priceCents = v.pipe(
  v.number(),
  v.integer("must be a whole number of minor units"),
  v.minValue(0),
  v.maxValue(Number.MAX_SAFE_INTEGER),
);
const category = v.pipe(v.string(), notBlank, v.trim(), v.minLength(1, "must not be empty"), v.maxLength(40));
const imageMediaIds = v.pipe(
  v.array(id),
  v.maxLength(8, "at most 8 images"),
  v.check((ids) => new Set(ids).size === ids.length, "must not repeat an image"),
);

export const image = v.object({ mediaId: id, url, thumbnailUrl: url });

export const product = v.object({
  productId: id,
  sellerId: id,
  name: v.string(),
  description: v.nullable(v.string()),
  priceCents: v.number(),
  currency: v.string(),
  category: v.string(),
  images: v.array(image),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type Product = v.InferOutput<typeof product>;
export type Image = v.InferOutput<typeof image>;

const productPath = v.object({ productId: id });
const page = (item: v.GenericSchema) => v.object({ items: v.array(item), nextCursor: v.nullable(v.string()) });

/**
 * HTTP caching of the public reads. A write is seen by every reader within `max-age` (their own cache) +
 * `s-maxage` (the CDN) + the origin cache's 2 s: 5 s at most, and at once by the writer's own environment.
 */
const cache = { maxAgeSeconds: 1, sMaxAgeSeconds: 2 } as const;

export const listProductsRoute = defineRoute({
  method: "GET",
  path: "/",
  auth: false,
  links: ["ProductsTable"],
  handler: `${ROUTES}/listProducts.handler`,
  summary: "Products, newest first; one category with `?category`",
  schemas: {
    query: v.object({ ...pageQuery.entries, category: v.optional(category) }),
    response: page(product),
  },
  cache,
  errors: [400],
});

export const popularProductsRoute = defineRoute({
  method: "GET",
  path: "/popular",
  auth: false,
  links: ["ProductsTable"],
  handler: `${ROUTES}/popularProducts.handler`,
  summary: "The most viewed products, most viewed first",
  schemas: {
    query: v.object({ limit: pageQueryUpTo(50).entries.limit }),
    response: v.object({ items: v.array(v.object({ product, views: v.pipe(v.number(), v.integer()) })) }),
  },
  cache,
  errors: [400],
});

export const getProductRoute = defineRoute({
  method: "GET",
  path: "/{productId}",
  auth: false,
  links: ["ProductsTable"],
  handler: `${ROUTES}/getProduct.handler`,
  summary: "One product (with `etag`; 304 on a matching `if-none-match`)",
  schemas: { path: productPath, response: product },
  cache,
  errors: [404],
});

export const createProductRoute = defineRoute({
  method: "POST",
  path: "/",
  auth: true,
  links: ["ProductsTable"],
  handler: `${ROUTES}/createProduct.handler`,
  summary: "List a product for sale (images: the seller's own ready media)",
  schemas: {
    body: v.strictObject(
      {
        name,
        description: v.optional(description),
        priceCents,
        currency,
        category,
        imageMediaIds: v.optional(imageMediaIds),
      },
      "must be an object with only name, description, priceCents, currency, category and imageMediaIds",
    ),
    response: product,
  },
  successStatus: 201,
  errors: [400, 401, 403],
  idempotency: { table: "ProductsTable" },
});

export const updateProductRoute = defineRoute({
  method: "PATCH",
  path: "/{productId}",
  auth: true,
  links: ["ProductsTable"],
  handler: `${ROUTES}/updateProduct.handler`,
  summary: "Change any of a product's fields (its seller only)",
  owner: { path: "productId", field: "sellerId" },
  schemas: {
    path: productPath,
    body: v.strictObject(
      {
        name: v.optional(name),
        description: v.optional(v.nullable(description)),
        priceCents: v.optional(priceCents),
        currency: v.optional(currency),
        category: v.optional(category),
        imageMediaIds: v.optional(imageMediaIds),
      },
      "must be an object with only name, description, priceCents, currency, category and imageMediaIds",
    ),
    response: product,
  },
  errors: [400, 401, 403, 404, 409],
});

export const deleteProductRoute = defineRoute({
  method: "DELETE",
  path: "/{productId}",
  auth: true,
  links: ["ProductsTable"],
  handler: `${ROUTES}/deleteProduct.handler`,
  summary: "Remove a product (its seller only)",
  owner: { path: "productId", field: "sellerId" },
  schemas: { path: productPath },
  successStatus: 204,
  // 409: the product kept changing while it was deleted (a versioned delete, re-read three times).
  errors: [401, 403, 404, 409],
});

export const recordViewRoute = defineRoute({
  method: "POST",
  path: "/{productId}/views",
  auth: false,
  links: ["ProductsTable", "ProductsProductViewedStream"],
  handler: `${ROUTES}/recordView.handler`,
  summary: "Count a view of a product (a click-stream record, counted asynchronously)",
  schemas: { path: productPath },
  successStatus: 202,
  errors: [404],
  // A repeated view with the same key is the first answer and one record: only keyed requests touch the table.
  idempotency: { table: "ProductsTable" },
});

export const productsRoutes = [
  listProductsRoute,
  popularProductsRoute,
  getProductRoute,
  createProductRoute,
  updateProductRoute,
  deleteProductRoute,
  recordViewRoute,
];
