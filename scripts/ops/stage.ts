import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type LinkedResource, linkEnv } from "../../shared/config.js";

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** Where the operator tools found the stage: a running `npm run dev`, or the resources `sst shell` linked. */
export type StageKind = "local" | "linked";

/** `--url <runtime>` from the arguments, else the local gateway's default address. */
export function runtimeUrl(args: readonly string[]): string {
  const flag = args.indexOf("--url");
  return flag >= 0 && args[flag + 1] ? args[flag + 1]! : `http://127.0.0.1:${process.env.PORT ?? 4000}`;
}

/** The SDK variables of a running `npm run dev` (`.summit/local.env`, `SUMMIT_DIR` moves it), without overriding any set. */
function loadLocalEnv(): void {
  const envFile = join(process.env.SUMMIT_DIR ? resolve(process.env.SUMMIT_DIR) : join(ROOT, ".summit"), "local.env");
  if (!existsSync(envFile))
    throw new Error(`no linked resources and no ${envFile}: start \`npm run dev\`, or run inside \`sst shell\``);
  for (const line of readFileSync(envFile, "utf8").split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) process.env[line.slice(0, at)] ??= line.slice(at + 1);
  }
}

/**
 * Links `names` (`SST_RESOURCE_<name>`) so the tools read them with `resource()` exactly as handlers do.
 * - Inside `npx sst shell --stage <name>` every resource is linked already, with the stage's credentials: nothing to do.
 * - Otherwise the tools use a running `npm run dev`: its `local.env` for the SDK endpoints and its `/_dev/resources`
 *   for the names, URLs and ARNs of the resources it provisioned.
 *
 * @example
 * ```ts
 * const kind = await linkStage(["ForumsTable"], process.argv.slice(2));
 * resource("ForumsTable").name;
 * ```
 */
export async function linkStage(names: readonly string[], args: readonly string[]): Promise<StageKind> {
  if (names.every((name) => process.env[`SST_RESOURCE_${name}`])) return "linked";
  loadLocalEnv();
  const url = runtimeUrl(args);
  const response = await fetch(`${url}/_dev/resources`).catch((error: unknown) => {
    throw new Error(
      `${url}/_dev/resources: ${error instanceof Error ? error.message : String(error)}: is \`npm run dev\` running?`,
    );
  });
  if (!response.ok) throw new Error(`${url}/_dev/resources answered ${response.status}: is \`npm run dev\` running?`);
  const { resources } = (await response.json()) as { resources: Record<string, LinkedResource> };
  for (const name of names) {
    const found = resources[name];
    if (!found) throw new Error(`the runtime at ${url} has no resource ${name}`);
    Object.assign(process.env, linkEnv(name, found));
  }
  return "local";
}
