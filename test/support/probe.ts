import { existsSync, readFileSync } from "node:fs";

/**
 * What the runtime tests share: reading the probe consumers' observation file, waiting for a condition, and the
 * envelope a producer would send. The probe handlers (`test/fixtures/handlers/runtimeProbeConsumer.ts`) append one
 * JSON line per invocation.
 */

/** Every line the probe handlers wrote to `file` so far, parsed (none yet: an empty list). */
export function observationsIn<T>(file: string): T[] {
  return existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as T)
    : [];
}

/** Polls `probe` every 100 ms until it gives a truthy value, which it returns; throws after `timeoutMs`. */
export async function until<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A finished envelope of `type` from the probe producer, as JSON text (a fresh event id each time). */
export const probeEnvelope = (type: string, data: Record<string, unknown>, traceHeader?: string): string =>
  JSON.stringify({
    id: `e-${Math.random().toString(36).slice(2)}`,
    type,
    version: 1,
    time: new Date().toISOString(),
    producer: "probe",
    correlationId: "c-1",
    ...(traceHeader ? { traceHeader } : {}),
    data,
  });
