import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted at every level, so that `{"a":1,"b":2}` and `{ "b": 2, "a": 1 }` read the same.
 * Recursive: bodies reach it only after `jsonBody` has bounded their nesting.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 2, a: [1, { d: 4, c: 3 }] }); // '{"a":[1,{"c":3,"d":4}],"b":2}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${members.join(",")}}`;
}

/**
 * What makes two requests "the same" for an idempotency key: SHA-256 of method, path and canonical body.
 *
 * @example
 * ```ts
 * requestFingerprint("POST", "/users/signup", { email: "a@b.c" }); // 64 hex characters
 * ```
 */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash("sha256")
    .update(`${method}\n${path}\n${canonicalJson(body)}`)
    .digest("hex");
}
