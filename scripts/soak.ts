/**
 * `npm run soak`: a bounded mix of real requests over the four services, then the drain and the reconciliation
 * (`scripts/soak/`). Figures are printed, never asserted as timings; the exit code is 1 when a 5xx happened or
 * anything did not reconcile.
 *
 * ```sh
 * npm run soak                                    # 10,000 requests at 32-way, against a dev server it starts
 * npm run soak -- --requests 2000 --concurrency 16
 * npm run soak -- --url http://127.0.0.1:4000    # against a running `npm run dev` (loopback only)
 * ```
 *
 * Without `--url` it starts `npm run dev` itself on a free port with its own `SUMMIT_DIR` in a temporary folder
 * (`test/support/devServer.ts`), and stops it at the end.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type DevServer, startDev } from "../test/support/devServer.js";
import { formatReport, loopbackUrl, runSoak } from "./soak/index.js";

const USAGE =
  "usage: npm run soak -- [--requests N] [--concurrency N] [--url <gateway>] [--drain-seconds N] [--minutes N]";

/** `--name value` from the arguments, as a positive integer. */
function count(args: readonly string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} takes a positive integer\n${USAGE}`);
  return value;
}

export async function main(args: readonly string[]): Promise<number> {
  const requests = count(args, "requests", 10_000);
  const concurrency = count(args, "concurrency", 32);
  const drainMs = count(args, "drain-seconds", 120) * 1000;
  const timeLimitMs = count(args, "minutes", 30) * 60_000;
  const urlAt = args.indexOf("--url");
  let dev: DevServer | undefined;
  try {
    if (urlAt < 0) dev = await startDev({ timeoutMs: 180_000 });
    const given = dev ? dev.url : args[urlAt + 1];
    if (!given) throw new Error(USAGE);
    const url = loopbackUrl(given);
    console.log(`soak: ${requests} requests at ${concurrency}-way against ${url}`);
    const result = await runSoak({
      url,
      requests,
      concurrency,
      drainMs,
      timeLimitMs,
      progress: (line) => console.log(`soak: ${line}`),
    });
    console.log(formatReport(result).join("\n"));
    if (dev && result.measurements.fiveXx > 0) {
      // The dev server goes with the run: keep what it printed, where each fault's cause is logged with its trace id.
      const log = join(tmpdir(), `summit-soak-${Date.now()}.log`);
      writeFileSync(log, dev.output());
      console.log(`the dev server's output (each fault logged with its trace id): ${log}`);
    }
    return result.ok ? 0 : 1;
  } finally {
    await dev?.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
