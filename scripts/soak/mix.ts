/**
 * The soak's mix: every operation it sends, its route class and its weight, in one table. Reads dominate, as seed 003
 * has it (reads outnumber writes about 100 to 1 in production; a soak keeps enough writes, views, posts and uploads
 * to load every consumer), and the class decides which latency figures a request counts towards.
 */

/** The latency classes the soak prints p50/p99 for. */
export type RouteClass = "read" | "write" | "view" | "post" | "upload";

export const ROUTE_CLASSES: readonly RouteClass[] = ["read", "write", "view", "post", "upload"];

export interface MixEntry {
  readonly class: RouteClass;
  /** Relative weight: how often the operation is drawn against the others. */
  readonly weight: number;
}

/** The mix: operation name → class and weight (`world.ts` holds what each sends). */
export const MIX = {
  getProduct: { class: "read", weight: 18 },
  listProducts: { class: "read", weight: 5 },
  popular: { class: "read", weight: 4 },
  listForums: { class: "read", weight: 3 },
  getForum: { class: "read", weight: 4 },
  listThreads: { class: "read", weight: 4 },
  getThread: { class: "read", weight: 4 },
  listPosts: { class: "read", weight: 5 },
  leaderboard: { class: "read", weight: 3 },
  getPublicProfile: { class: "read", weight: 4 },
  getMe: { class: "read", weight: 3 },
  getMedia: { class: "read", weight: 3 },
  view: { class: "view", weight: 14 },
  post: { class: "post", weight: 10 },
  signUp: { class: "write", weight: 1 },
  signIn: { class: "write", weight: 2 },
  updateProfile: { class: "write", weight: 1.5 },
  createProduct: { class: "write", weight: 2 },
  updateProduct: { class: "write", weight: 1.5 },
  deleteProduct: { class: "write", weight: 1 },
  createForum: { class: "write", weight: 0.3 },
  createThread: { class: "write", weight: 2 },
  upload: { class: "upload", weight: 2 },
} as const satisfies Record<string, MixEntry>;

export type Operation = keyof typeof MIX;

/**
 * Draws an operation by weight from `u` in [0, 1).
 *
 * @example
 * ```ts
 * draw(Math.random()); // "getProduct", most often
 * ```
 */
export function draw(u: number): Operation {
  const entries = Object.entries(MIX) as [Operation, MixEntry][];
  const total = entries.reduce((sum, [, e]) => sum + e.weight, 0);
  let at = u * total;
  for (const [name, entry] of entries) {
    at -= entry.weight;
    if (at < 0) return name;
  }
  return entries[entries.length - 1]![0];
}
