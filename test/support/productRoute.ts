import * as v from "valibot";
import { defineRoute } from "../../shared/topology/index.js";

/** A products-like read for the HTTP tests: a public, cached GET with path and response schemas. */
export const product = v.object({
  productId: v.string(),
  name: v.string(),
  priceCents: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

export const getProductRoute = defineRoute({
  method: "GET",
  path: "/{productId}",
  auth: false,
  handler: "test/fixtures/none/getProduct.handler",
  summary: "One product",
  schemas: { path: v.object({ productId: v.string() }), response: product },
  cache: { maxAgeSeconds: 60, sMaxAgeSeconds: 300 },
  errors: [404],
});
