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
  // The seed's 10 M users read 40,000 times a second on average, with peaks several times higher. Assumed: every read
  // is a product page read and each page read is one view (an upper bound: products is the read-heavy path), sized for
  // 3× the average: 120,000 views/s. A record is the envelope (~450 B with 26-character ids and a trace header) plus
  // the key: 512 B. Shards: ⌈120,000 / 1,000⌉ = 120 for the record count, against ⌈61.4 MB/s / 1 MiB⌉ = 59 for the
  // bytes in and ⌈61.4 MB/s × consumers / 2 MiB⌉ = 30 per consumer out: 120 shards up to four standard consumers.
  throughput: { peakPerSecond: 120_000, recordBytes: 512 },
});
