import { createHmac, timingSafeEqual } from "node:crypto";
// Leaf modules, not the `shared/http` face: the face exports the idempotency store, which is built on this layer
// (an import cycle), and it would bring middy into every consumer that only reads a table.
import { canonicalJson } from "../http/fingerprint.js";
import { badRequest, type HttpProblem } from "../http/problem.js";
import type { Key } from "./types.js";

/**
 * The cursor codec: the one way pages are continued. A cursor is opaque to clients (base64url), bound to the query
 * it came from, and integrity-checked:
 *
 * - **Bound**: its digest covers the *binding* (table, index, key condition and its values, filter, direction), so
 *   a cursor of another query (another partition, another sort order) is refused.
 * - **Checked**: the digest is HMAC-SHA256 keyed by `SUMMIT_CURSOR_SECRET` when set. Without the secret it is keyed
 *   by a fixed key in this file: it still catches every accidental change, but a forger who reads the code can mint
 *   a cursor. That is why decoding also checks the key's shape (exactly the table's and index's key attributes,
 *   string or number values, the partition key equal to the query's): a forged cursor can at most start a page at
 *   another place inside the same query, which the caller could read anyway.
 *
 * Anything refused is a 400 (`query.cursor`), never a 500.
 */

/** What a cursor is bound to: everything that makes two queries different, except the page size. */
export interface CursorBinding {
  readonly table: string;
  readonly index: string | null;
  readonly keyCondition: string;
  readonly names: Readonly<Record<string, string>>;
  readonly values: Readonly<Record<string, unknown>>;
  readonly filter: string | null;
  readonly forward: boolean;
}

/** What a decoded key must look like: exactly `attributes`, and `partition.attribute` equal to the query's value. */
export interface CursorKeyShape {
  readonly attributes: readonly string[];
  readonly partition: { readonly attribute: string; readonly value: unknown };
}

/** The longest cursor accepted (the page query schema bounds it the same way). */
export const MAX_CURSOR_LENGTH = 2048;

const FALLBACK_KEY = "summit/cursor/v1: set SUMMIT_CURSOR_SECRET to make cursors unforgeable";
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

function digest(binding: CursorBinding, key: Key): string {
  return createHmac("sha256", process.env.SUMMIT_CURSOR_SECRET || FALLBACK_KEY)
    .update(`summit-cursor/1\n${canonicalJson(binding)}\n${canonicalJson(key)}`)
    .digest("base64url");
}

/**
 * The cursor that continues `binding`'s query after `key` (a `LastEvaluatedKey`).
 *
 * @example
 * ```ts
 * const nextCursor = LastEvaluatedKey ? encodeCursor(LastEvaluatedKey, binding) : null;
 * ```
 */
export function encodeCursor(key: Key, binding: CursorBinding): string {
  const sorted: Record<string, string | number> = {};
  for (const attribute of Object.keys(key).sort()) sorted[attribute] = key[attribute] as string | number;
  return Buffer.from(JSON.stringify({ k: sorted, d: digest(binding, sorted) })).toString("base64url");
}

/**
 * The key a cursor continues after, if it is one `encodeCursor` made for this very query; otherwise throws the
 * 400 problem.
 *
 * @example
 * ```ts
 * const ExclusiveStartKey = cursor === undefined ? undefined : decodeCursor(cursor, binding, shape);
 * ```
 */
export function decodeCursor(cursor: string, binding: CursorBinding, shape: CursorKeyShape): Key {
  const key = parse(cursor);
  if (!key) throw refused("is not a valid cursor");
  if (!sameDigest(key.d, digest(binding, key.k)) || !fits(key.k, shape))
    throw refused("does not belong to this query: pass back a nextCursor of the same query unchanged");
  return key.k;
}

function refused(message: string): HttpProblem {
  return badRequest("the cursor is not valid", [{ path: "query.cursor", message }]);
}

/**
 * The cursor's content, or `undefined` when it is not exactly what `encodeCursor` writes. Every step is strict
 * (canonical base64url, fatal UTF-8, JSON that serializes back to the same text), so two different strings never
 * decode to the same content: any change to a cursor changes what the digest must cover.
 */
function parse(cursor: unknown): { k: Record<string, string | number>; d: string } | undefined {
  if (typeof cursor !== "string" || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) return undefined;
  const bytes = Buffer.from(cursor, "base64url");
  if (bytes.toString("base64url") !== cursor) return undefined;
  let value: unknown;
  let text: string;
  try {
    text = utf8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (JSON.stringify(value) !== text || !isRecord(value)) return undefined;
  const { k, d } = value;
  if (Object.keys(value).length !== 2 || typeof d !== "string" || !isRecord(k)) return undefined;
  for (const part of Object.values(k))
    if (typeof part !== "string" && (typeof part !== "number" || !Number.isFinite(part))) return undefined;
  return { k: k as Record<string, string | number>, d };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sameDigest(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function fits(key: Record<string, string | number>, shape: CursorKeyShape): boolean {
  const attributes = Object.keys(key);
  return (
    attributes.length === shape.attributes.length &&
    shape.attributes.every((attribute) => Object.hasOwn(key, attribute)) &&
    key[shape.partition.attribute] === shape.partition.value
  );
}
