import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** Where the service map page loads its layout library from: served by `devRoutes`, never from the internet. */
export const DAGRE_ASSET_PATH = "/_dev/assets/dagre.js";

let cached: string | undefined;

/**
 * The browser build of `@dagrejs/dagre` (a script defining the global `dagre`), read from the installed package
 * once. Its licence text goes in front (the minified build only points at a file beside it), and the source-map
 * comment is dropped so a browser's developer tools ask for no file the dev routes do not serve.
 *
 * @example
 * ```ts
 * res.end(dagreScript()); // for GET /_dev/assets/dagre.js
 * ```
 */
export function dagreScript(): string {
  if (cached !== undefined) return cached;
  // The package exports only its entry points; its package.json is exported, and the browser build sits beside it.
  const dist = join(dirname(createRequire(import.meta.url).resolve("@dagrejs/dagre/package.json")), "dist");
  const licence = readFileSync(join(dist, "dagre.min.js.LEGAL.txt"), "utf8");
  const script = readFileSync(join(dist, "dagre.min.js"), "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
  cached = `${licence.trim()}\n${script}`;
  return cached;
}
