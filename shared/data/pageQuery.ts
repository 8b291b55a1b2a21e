import * as v from "valibot";
import { MAX_CURSOR_LENGTH } from "./cursor.js";

const DEFAULT_LIMIT = 20;

/**
 * A regular expression for exactly the whole numbers 1..max written plainly (no sign, no leading zero), so that the
 * OpenAPI document states the range a client may send: the numbers with fewer digits than `max`, then those with
 * as many, digit by digit below `max`, then `max` itself.
 *
 * @example
 * ```ts
 * wholeNumbersUpTo(50).source; // "^(?:[1-9]|[1-4][0-9]|50)$"
 * ```
 */
export function wholeNumbersUpTo(max: number): RegExp {
  const digits = String(max);
  const shorter = digits.length === 1 ? [] : digits.length === 2 ? ["[1-9]"] : [`[1-9][0-9]{0,${digits.length - 2}}`];
  const below = [...digits].flatMap((digit, i) => {
    const low = i === 0 ? 1 : 0;
    const high = Number(digit) - 1;
    if (high < low) return [];
    const range = high === low ? String(low) : `[${low}-${high}]`;
    const rest = digits.length - i - 1;
    return [`${digits.slice(0, i)}${range}${rest === 0 ? "" : rest === 1 ? "[0-9]" : `[0-9]{${rest}}`}`];
  });
  return new RegExp(`^(?:${[...shorter, ...below, digits].join("|")})$`);
}

/**
 * The query string of a paged list, for up to `max` items a page (default page `min(20, max)`): `limit` is a
 * whole number 1..max sent as a string and handed over as a number; `cursor` is the previous page's `nextCursor`.
 * Spread its entries into a route's query schema; a bad limit is a 400 at `query.limit`.
 *
 * @example
 * ```ts
 * const query = v.object({ ...pageQueryUpTo(50).entries, category: v.optional(v.string()) });
 * ```
 */
export function pageQueryUpTo(max: number, defaultLimit = Math.min(DEFAULT_LIMIT, max)) {
  if (!Number.isSafeInteger(max) || max < 1) throw new TypeError("pageQueryUpTo: max must be a positive whole number");
  if (!Number.isSafeInteger(defaultLimit) || defaultLimit < 1 || defaultLimit > max)
    throw new TypeError(`pageQueryUpTo: the default limit must be a whole number from 1 to ${max}`);
  const message = `must be a whole number from 1 to ${max}`;
  return v.object({
    limit: v.optional(
      v.pipe(v.string(message), v.regex(wholeNumbersUpTo(max), message), v.transform(Number)),
      String(defaultLimit),
    ),
    cursor: v.optional(
      v.pipe(
        v.string(),
        v.minLength(1, "must be a nextCursor"),
        v.maxLength(MAX_CURSOR_LENGTH, `must be at most ${MAX_CURSOR_LENGTH} characters`),
      ),
    ),
  });
}

/**
 * The query string of a paged list as the API contract has it: `?limit=1..100` (default 20) and `?cursor=`.
 *
 * @example
 * ```ts
 * const query = v.object({ ...pageQuery.entries, category: v.optional(v.string()) });
 * // in the handler: products.queryPage(spec, { limit: request.query.limit, cursor: request.query.cursor })
 * ```
 */
export const pageQuery = pageQueryUpTo(100);
