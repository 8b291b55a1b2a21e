import { forbidden, notFound } from "./problem.js";

export interface OwnedByOptions<T> {
  /** The user id that owns the item (`(product) => product.sellerId`). */
  readonly owner: (item: T) => string;
  /** What the item is, for the problem's detail: `"product"`. */
  readonly what: string;
  /** The item's id, named in the details when given. */
  readonly id?: string;
}

/**
 * The item, if it exists and is the caller's: a missing item is a 404, then another user's item a 403 (missing is
 * checked first, so a 403 is only ever about an item that exists).
 *
 * @example
 * ```ts
 * const product = ownedBy(await getProduct(productId), auth.userId, { owner: (p) => p.sellerId, what: "product", id: productId });
 * ```
 */
export function ownedBy<T>(item: T | null | undefined, userId: string, options: OwnedByOptions<T>): T {
  const named = options.id === undefined ? options.what : `${options.what} ${options.id}`;
  if (item === undefined || item === null) throw notFound(`${named} does not exist`);
  if (options.owner(item) !== userId) throw forbidden(`${named} is not yours`);
  return item;
}
