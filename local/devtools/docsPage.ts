import { escapeHtml as e } from "./html.js";

/** Where `/docs` loads its files from: the installed Swagger UI and {@link DOCS_SCRIPT}, all on this origin. */
export const DOCS_ASSETS_PATH = "/docs/assets/";

/**
 * Starts Swagger UI on the documents the page lists (its JSON config block): a selector of the services, "try it out"
 * on, the bearer token kept across reloads and services, and no online validator (it would call the internet).
 */
export const DOCS_SCRIPT = `"use strict";
(() => {
  const config = JSON.parse(document.getElementById("docs-config").textContent);
  window.ui = SwaggerUIBundle({
    urls: config.urls,
    "urls.primaryName": config.urls[0] && config.urls[0].name,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout",
    tryItOutEnabled: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    validatorUrl: null,
  });
})();
`;

const STYLE = `
body{margin:0}
.summit{background:#232f3e;color:#fff;padding:10px 28px;display:flex;gap:22px;align-items:baseline;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.summit strong{font-size:17px}.summit a{color:#d1e4f7;text-decoration:none}.summit a:hover{text-decoration:underline}
.summit .hint{margin-left:auto;color:#aab7c4;font-size:12.5px}.summit code{color:#fff}
`;

/** JSON inside a `<script>` block: `<` escaped so no value can close the element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c");

/**
 * `/docs`: Swagger UI over every service's OpenAPI document (`/docs/{service}.json`), a selector to switch between
 * them, "try it out" against the running gateway and the Cognito bearer token from the Authorize button; its files
 * come from the installed `swagger-ui-dist` on this origin. The event docs are one link away.
 *
 * @example
 * ```ts
 * docsPage(topology.services.map((s) => s.name)); // Swagger UI on /docs/users.json, /docs/products.json, …
 * ```
 */
export function docsPage(services: readonly string[]): string {
  const urls = services.map((name) => ({ name, url: `/docs/${encodeURIComponent(name)}.json` }));
  const asset = (name: string) => `${DOCS_ASSETS_PATH}${name}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Summit API docs</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="${e(asset("swagger-ui.css"))}"><style>${STYLE}</style></head><body>
<header class="summit"><strong>Summit API</strong><a href="/docs/asyncapi.html">Events</a><a href="/docs/asyncapi.json">AsyncAPI document</a><a href="/_dev/service-map.html">Service map</a>
<span class="hint">Try a route that needs a token: <code>POST /users/signin</code>, then Authorize with its <code>accessToken</code></span></header>
<div id="swagger-ui"></div>
<script id="docs-config" type="application/json">${scriptJson({ urls })}</script>
<script src="${e(asset("swagger-ui-bundle.js"))}"></script>
<script src="${e(asset("swagger-ui-standalone-preset.js"))}"></script>
<script src="${e(asset("docs.js"))}"></script>
</body></html>`;
}
