import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { type CursorBinding, type CursorKeyShape, decodeCursor, encodeCursor } from "../../shared/data/index.js";
import { HttpProblem } from "../../shared/http/index.js";

const binding: CursorBinding = {
  table: "products-test",
  index: "byCategory",
  keyCondition: "category = :c",
  names: {},
  values: { ":c": "books" },
  filter: null,
  forward: false,
};
const shape: CursorKeyShape = {
  attributes: ["pk", "sk", "category", "createdAt"],
  partition: { attribute: "category", value: "books" },
};
const key = { pk: "PRODUCT#p1", sk: "PRODUCT", category: "books", createdAt: "2026-01-02T03:04:05.000Z" };

/** The cursor is refused with the 400 problem (never anything else), pointing at the query's cursor. */
function expectRefused(cursor: string, against: CursorBinding = binding, fits: CursorKeyShape = shape): void {
  let thrown: unknown;
  try {
    decodeCursor(cursor, against, fits);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(HttpProblem);
  const problem = thrown as HttpProblem;
  expect(problem.status).toBe(400);
  expect(problem.errors).toEqual([{ path: "query.cursor", message: expect.any(String) }]);
}

afterEach(() => {
  delete process.env.SUMMIT_CURSOR_SECRET;
});

describe("the cursor codec", () => {
  it("gives back the key it was made from, whatever order the key came in", () => {
    const cursor = encodeCursor(key, binding);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, binding, shape)).toEqual(key);
    const reordered = { createdAt: key.createdAt, sk: key.sk, category: key.category, pk: key.pk };
    expect(encodeCursor(reordered, binding)).toBe(cursor);
  });

  it("round-trips any key of string and number values", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.oneof(
          fc.string(),
          fc.integer(),
          fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => n + 0),
        ),
        (pk, sk) => {
          const cursorKey = { category: "books", pk, sk };
          const fitsKey: CursorKeyShape = { attributes: ["category", "pk", "sk"], partition: shape.partition };
          expect(decodeCursor(encodeCursor(cursorKey, binding), binding, fitsKey)).toEqual(cursorKey);
        },
      ),
    );
  });

  it("refuses a cursor of another query: other table, index, partition, filter or direction", () => {
    const cursor = encodeCursor(key, binding);
    expectRefused(cursor, { ...binding, table: "products-other" });
    expectRefused(cursor, { ...binding, index: null });
    expectRefused(cursor, { ...binding, values: { ":c": "games" } });
    expectRefused(cursor, { ...binding, keyCondition: "category = :c AND createdAt > :t" });
    expectRefused(cursor, { ...binding, filter: "price < :p" });
    expectRefused(cursor, { ...binding, forward: true });
  });

  it("refuses what is not a cursor: empty, non-base64url, truncated, padded, too long, not JSON", () => {
    const cursor = encodeCursor(key, binding);
    for (const bad of [
      "",
      "not a cursor!",
      `${cursor}=`,
      cursor.slice(0, -1),
      cursor.slice(1),
      cursor.slice(0, cursor.length / 2),
      "A".repeat(4000),
      Buffer.from("hello").toString("base64url"),
      Buffer.from("[]").toString("base64url"),
      Buffer.from('{"k":{},"d":"x"}').toString("base64url"),
      Buffer.from([0xff, 0xfe, 0xfd]).toString("base64url"),
    ])
      expectRefused(bad);
  });

  it("refuses a key of the wrong shape even with a valid digest (a forger who knows the fixed key)", () => {
    // Minted here exactly as a forger could: with the codec itself, so only the shape check stands in the way.
    expectRefused(encodeCursor({ ...key, category: "games" }, binding));
    expectRefused(encodeCursor({ pk: key.pk, sk: key.sk, category: "books" }, binding));
    expectRefused(encodeCursor({ ...key, extra: "x" }, binding));
  });

  it("is keyed by SUMMIT_CURSOR_SECRET: a cursor made under another secret is refused", () => {
    const unkeyed = encodeCursor(key, binding);
    process.env.SUMMIT_CURSOR_SECRET = "s3cret";
    const keyed = encodeCursor(key, binding);
    expect(keyed).not.toBe(unkeyed);
    expect(decodeCursor(keyed, binding, shape)).toEqual(key);
    expectRefused(unkeyed);
    process.env.SUMMIT_CURSOR_SECRET = "another";
    expectRefused(keyed);
  });

  it("refuses every random change to a valid cursor", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const cursorKeys = fc.record({ pk: fc.string({ minLength: 1 }), sk: fc.string(), createdAt: fc.string() });
    const edit = fc.oneof(
      fc.record({
        kind: fc.constant("replace" as const),
        at: fc.nat(),
        char: fc.constantFrom(...alphabet, "=", ".", " ", "é"),
      }),
      fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), char: fc.constantFrom(...alphabet) }),
      fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("swap" as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(cursorKeys, fc.array(edit, { minLength: 1, maxLength: 4 }), (partial, edits) => {
        const cursor = encodeCursor({ ...partial, category: "books" }, binding);
        let mutated = cursor;
        for (const change of edits) {
          const at = change.at % mutated.length;
          if (change.kind === "replace") mutated = mutated.slice(0, at) + change.char + mutated.slice(at + 1);
          else if (change.kind === "insert") mutated = mutated.slice(0, at) + change.char + mutated.slice(at);
          else if (change.kind === "delete") mutated = mutated.slice(0, at) + mutated.slice(at + 1);
          else if (change.kind === "truncate") mutated = mutated.slice(0, at);
          else mutated = mutated.slice(0, at) + (mutated[at + 1] ?? "") + (mutated[at] ?? "") + mutated.slice(at + 2);
          if (mutated.length === 0) break;
        }
        fc.pre(mutated !== cursor);
        expectRefused(mutated);
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses any string that it did not make", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.base64String(), fc.stringMatching(/^[A-Za-z0-9_-]{0,200}$/)), (text) => {
        expectRefused(text);
      }),
    );
  });
});
