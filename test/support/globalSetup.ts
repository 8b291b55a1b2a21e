import type { TestProject } from "vitest/node";
import { startEmulators } from "../../local/emulators/index.js";
import type { ProvidedEmulators } from "./emulators.js";

/**
 * Starts the emulators once for the whole run and hands their coordinates to every test file
 * (read them with `useEmulators()` from ./emulators.ts). Emulator output goes to the console when
 * SUMMIT_EMULATOR_LOG=1.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const emulators = await startEmulators(process.env.SUMMIT_EMULATOR_LOG === "1" ? { log: console.log } : {});
  const provided: ProvidedEmulators = {
    env: { ...emulators.env },
    endpoints: emulators.endpoints,
    processes: emulators.processes,
  };
  project.provide("emulators", provided);
  console.log(`[emulators] up in ${emulators.startedInMs} ms`);
  return () => emulators.stop();
}
