import { vi } from "vitest";
import { type EmfSample, parseEmf } from "../../local/runtime/metricsStore.js";

/**
 * The EMF samples Powertools Metrics writes while `work` runs (its Console writes to `process.stdout`), read with
 * the local runtime's own parser; other output is swallowed while it runs.
 *
 * @example
 * ```ts
 * const samples = await emfWrittenBy(() => handler(event, context));
 * expect(sumOf(samples, "SignUps")).toBe(1);
 * ```
 */
export async function emfWrittenBy(work: () => unknown): Promise<EmfSample[]> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split("\n"));
    return true;
  });
  try {
    await work();
  } finally {
    write.mockRestore();
  }
  return lines.flatMap(parseEmf);
}

/** The sum of metric `name` over `samples`. */
export const sumOf = (samples: readonly EmfSample[], name: string): number =>
  samples.filter((s) => s.name === name).reduce((total, s) => total + s.values.reduce((a, b) => a + b, 0), 0);
