import type { RetryPolicy } from "./types.js";

/**
 * Waits before retry number `retry` (0 for the first retry): exponential backoff with full jitter, a random time
 * in `[0, min(capMs, baseMs·2^retry))`, so that callers that failed together do not retry together (the AWS
 * Architecture Blog, "Exponential Backoff And Jitter").
 *
 * @example
 * ```ts
 * await backoff(0, { attempts: 5, baseMs: 20, capMs: 1000 }); // 0–20 ms
 * ```
 */
export function backoff(retry: number, policy: RetryPolicy, random: () => number = Math.random): Promise<void> {
  const ms = random() * Math.min(policy.capMs, policy.baseMs * 2 ** retry);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
