import { describe, expect, it } from "vitest";
import { HttpProblem, ownedBy } from "../../shared/http/index.js";

interface Product {
  readonly productId: string;
  readonly sellerId: string;
}

const options = { owner: (product: Product) => product.sellerId, what: "product" };
const mine: Product = { productId: "p1", sellerId: "u1" };

function problemOf(run: () => unknown): HttpProblem {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
  throw new Error("expected a problem");
}

describe("ownedBy", () => {
  it("returns the caller's own item, typed", () => {
    const product: Product = ownedBy(mine, "u1", options);
    expect(product).toBe(mine);
  });

  it("answers a missing item 404", () => {
    for (const missing of [undefined, null]) {
      const problem = problemOf(() => ownedBy<Product>(missing, "u1", options));
      expect(problem.status).toBe(404);
      expect(problem.detail).toBe("product does not exist");
    }
  });

  it("answers another user's item 403", () => {
    const problem = problemOf(() => ownedBy(mine, "u2", { ...options, id: "p1" }));
    expect(problem.status).toBe(403);
    expect(problem.detail).toBe("product p1 is not yours");
  });

  it("checks missing before not-yours: the owner is never read for a missing item", () => {
    let read = false;
    const owner = (product: Product) => {
      read = true;
      return product.sellerId;
    };
    const problem = problemOf(() => ownedBy<Product>(undefined, "u2", { owner, what: "product", id: "p9" }));
    expect(problem.status).toBe(404);
    expect(problem.detail).toBe("product p9 does not exist");
    expect(read).toBe(false);
  });
});
