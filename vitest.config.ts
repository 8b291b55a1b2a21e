import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/globalSetup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Every route's success bodies are checked against its response schema (shared/http/responseValidation.ts).
    env: { SUMMIT_VALIDATE_RESPONSES: "1" },
  },
});
