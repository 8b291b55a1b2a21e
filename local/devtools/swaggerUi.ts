import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";

/** The content type of a script, for Swagger UI's and the page's own. */
export const SCRIPT_TYPE = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";
const MAP = "application/json; charset=utf-8";

/** The files of the installed `swagger-ui-dist` that `/docs` loads, with their content types; nothing else is served. */
export const SWAGGER_UI_ASSETS: Readonly<Record<string, string>> = {
  "swagger-ui-bundle.js": SCRIPT_TYPE,
  "swagger-ui-bundle.js.map": MAP,
  "swagger-ui-standalone-preset.js": SCRIPT_TYPE,
  "swagger-ui-standalone-preset.js.map": MAP,
  "swagger-ui.css": CSS,
  "swagger-ui.css.map": MAP,
};

/**
 * The installed package's folder, from its own `getAbsoluteFSPath` (its `absolute-path.js`: the package's `index.js`
 * would load the whole browser bundle into Node to export it).
 */
function swaggerUiDirectory(): string {
  const getAbsoluteFSPath = createRequire(import.meta.url)("swagger-ui-dist/absolute-path.js") as () => string;
  return getAbsoluteFSPath();
}

export interface Asset {
  readonly type: string;
  readonly body: string;
}

const cache = new Map<string, Asset>();

/**
 * One Swagger UI file, read from the installed package once and kept; `undefined` for a name it does not serve.
 *
 * @example
 * ```ts
 * (await swaggerUiAsset("swagger-ui.css"))?.type; // "text/css; charset=utf-8"
 * ```
 */
export async function swaggerUiAsset(name: string): Promise<Asset | undefined> {
  const type = Object.hasOwn(SWAGGER_UI_ASSETS, name) ? SWAGGER_UI_ASSETS[name] : undefined;
  if (!type) return undefined;
  const known = cache.get(name);
  if (known) return known;
  const asset = { type, body: await readFile(join(swaggerUiDirectory(), name), "utf8") };
  cache.set(name, asset);
  return asset;
}
