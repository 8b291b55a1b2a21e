import * as v from "valibot";

/** Field schemas the contracts share. Ids are opaque URL-safe strings; times ISO 8601 UTC. */
export const id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a URL-safe id"));
export const isoTime = v.pipe(v.string(), v.isoTimestamp());
export const displayName = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
export const url = v.pipe(v.string(), v.url());
export const imageContentType = v.picklist(["image/jpeg", "image/png", "image/webp"]);
export const mediaPurpose = v.picklist(["avatar", "product", "post"]);
