import * as v from "valibot";
import { defineEvent } from "../shared/events/defineEvent.js";
import { needs } from "../shared/routing/index.js";
import { id, isoTime } from "./fields.js";

const fanOutWithRules = needs({ fanOut: "many", contentRules: true });

const productFields = {
  productId: id,
  sellerId: id,
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(120)),
  priceCents: v.pipe(v.number(), v.integer(), v.minValue(0)),
  currency: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/, "must be an ISO 4217 code")),
  category: v.pipe(v.string(), v.minLength(1), v.maxLength(40)),
};

export const ProductCreated = defineEvent({
  domain: "products",
  name: "ProductCreated",
  version: 1,
  description: "A seller listed a product.",
  schema: v.object({ ...productFields, createdAt: isoTime }),
  needs: fanOutWithRules,
});

export const ProductUpdated = defineEvent({
  domain: "products",
  name: "ProductUpdated",
  version: 1,
  description: "A seller changed a product; `changed` names the fields that moved.",
  schema: v.object({ ...productFields, changed: v.array(v.string()), updatedAt: isoTime }),
  needs: fanOutWithRules,
});

export const ProductDeleted = defineEvent({
  domain: "products",
  name: "ProductDeleted",
  version: 1,
  description: "A seller removed a product.",
  schema: v.object({ productId: id, sellerId: id, category: productFields.category, deletedAt: isoTime }),
  needs: fanOutWithRules,
});

export const ProductViewed = defineEvent({
  domain: "products",
  name: "ProductViewed",
  version: 1,
  description: "Someone looked at a product: the click-stream behind the popularity ranking.",
  schema: v.object({ productId: id, viewerId: v.nullable(id), viewedAt: isoTime }),
  needs: needs({ fanOut: "few", ordering: "perKey", replay: true, throughput: "massive" }),
  partitionKey: "productId",
});
