import type { EventContract } from "../../shared/events/defineEvent.js";
import { escapeHtml as e } from "./html.js";
import type { JsonSchema, OpenApiDocument, OpenApiMethod, OpenApiOperation, OpenApiResponseOrRef } from "./openapi.js";

const METHODS: readonly OpenApiMethod[] = ["get", "post", "put", "patch", "delete"];

/** Facts a reader checks first, in the order they read them. */
const CONSTRAINTS: readonly [string, string][] = [
  ["format", "format"],
  ["minLength", "min length"],
  ["maxLength", "max length"],
  ["minimum", "≥"],
  ["exclusiveMinimum", ">"],
  ["maximum", "≤"],
  ["exclusiveMaximum", "<"],
  ["minItems", "min items"],
  ["maxItems", "max items"],
  ["pattern", "pattern"],
];

const isSchema = (value: unknown): value is JsonSchema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function typeLabel(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if ("const" in schema) return JSON.stringify(schema.const);
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants)) return variants.filter(isSchema).map(typeLabel).join(" | ");
  if (schema.type === "array" && isSchema(schema.items)) return `${typeLabel(schema.items)}[]`;
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  if (typeof schema.$ref === "string") return schema.$ref.split("/").pop() ?? "ref";
  return typeof schema.type === "string" ? schema.type : "any";
}

function constraintsOf(schema: JsonSchema): string {
  return CONSTRAINTS.filter(([key]) => schema[key] !== undefined)
    .map(([key, label]) => `<span class="c">${e(label)} <code>${e(String(schema[key]))}</code></span>`)
    .join("");
}

/** A schema as a readable property table; nested objects and arrays of objects nest inside it. */
function schemaHtml(schema: JsonSchema, depth = 0): string {
  const target = schema.type === "array" && isSchema(schema.items) ? schema.items : schema;
  const properties = isSchema(target.properties) ? target.properties : undefined;
  if (!properties || depth > 6) {
    return `<div class="scalar"><code class="t">${e(typeLabel(schema))}</code>${constraintsOf(schema)}</div>`;
  }
  const required = new Set(Array.isArray(target.required) ? target.required : []);
  const rows = Object.entries(properties)
    .filter((entry): entry is [string, JsonSchema] => isSchema(entry[1]))
    .map(([name, property]) => {
      const nested = typeLabel(property).startsWith("object") ? schemaHtml(property, depth + 1) : "";
      const description = typeof property.description === "string" ? `<div>${e(property.description)}</div>` : "";
      return `<tr><td><code>${e(name)}</code>${required.has(name) ? '<span class="req" title="required">*</span>' : ""}</td>
<td><code class="t">${e(typeLabel(property))}</code></td><td>${constraintsOf(property)}${description}${nested}</td></tr>`;
    })
    .join("");
  const label = schema === target ? "" : `<div class="scalar"><code class="t">array of</code></div>`;
  return `${label}<table class="schema"><thead><tr><th>field</th><th>type</th><th>rules</th></tr></thead><tbody>${rows}</tbody></table>`;
}

const anchor = (...parts: string[]): string => parts.join("-").replace(/[^A-Za-z0-9_-]/g, "_");

function responseHtml(status: string, response: OpenApiResponseOrRef, document: OpenApiDocument): string {
  const ref = "$ref" in response ? response.$ref.split("/").pop() : undefined;
  const resolved = ref ? document.components.responses[ref] : "$ref" in response ? undefined : response;
  const media = resolved?.content ? Object.entries(resolved.content)[0] : undefined;
  const kind = status.startsWith("2") ? "ok" : "err";
  const body =
    media && !ref
      ? `<details><summary><code>${e(media[0])}</code></summary>${schemaHtml(media[1].schema)}</details>`
      : media
        ? `<code class="muted">${e(media[0])}</code>`
        : "";
  return `<li><span class="status ${kind}">${e(status)}</span> ${e(resolved?.description ?? ref ?? "")} ${body}</li>`;
}

function operationHtml(path: string, method: OpenApiMethod, op: OpenApiOperation, doc: OpenApiDocument): string {
  const basePath = new URL(doc.servers[0]?.url ?? "http://x").pathname.replace(/\/$/, "");
  const fullPath = `${basePath}${path === "/" ? "" : path}` || "/";
  const params = op.parameters ?? [];
  const paramsHtml =
    params.length === 0
      ? ""
      : `<h4>Parameters</h4><table class="schema"><thead><tr><th>name</th><th>in</th><th>type</th><th>rules</th></tr></thead><tbody>${params
          .map(
            (p) => `<tr><td><code>${e(p.name)}</code>${p.required ? '<span class="req">*</span>' : ""}</td>
<td>${e(p.in)}</td><td><code class="t">${e(typeLabel(p.schema))}</code></td><td>${constraintsOf(p.schema)}${p.description ? e(p.description) : ""}</td></tr>`,
          )
          .join("")}</tbody></table>`;
  const body = op.requestBody?.content["application/json"];
  const bodyHtml = body
    ? `<h4>Request body <code class="muted">application/json</code></h4>${schemaHtml(body.schema)}`
    : "";
  const responses = Object.entries(op.responses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, response]) => responseHtml(status, response, doc))
    .join("");
  return `<details class="op" open id="${e(anchor(op.tags[0] ?? "", op.operationId))}">
<summary><span class="method ${method}">${method.toUpperCase()}</span><code class="path">${e(fullPath)}</code>
<span class="summary">${e(op.summary)}</span>${op.security ? '<span class="lock" title="bearer token required">auth · bearer</span>' : ""}</summary>
<div class="body"><p class="muted">operationId <code>${e(op.operationId)}</code></p>${paramsHtml}${bodyHtml}
<h4>Responses</h4><ul class="responses">${responses}</ul></div></details>`;
}

function operationsOf(doc: OpenApiDocument): [string, OpenApiMethod, OpenApiOperation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method): [string, OpenApiMethod, OpenApiOperation][] => {
      const op = item[method];
      return op ? [[path, method, op]] : [];
    }),
  );
}

function serviceHtml(name: string, doc: OpenApiDocument): string {
  const servers = doc.servers.map((s) => `<code>${e(s.url)}</code> <span class="muted">${e(s.description)}</span>`);
  const ops = operationsOf(doc)
    .map(([path, method, op]) => operationHtml(path, method, op, doc))
    .join("\n");
  return `<section id="${e(anchor(name))}"><h2>${e(doc.info.title)} <a class="raw" href="/docs/${encodeURIComponent(name)}.json">OpenAPI JSON</a></h2>
<p>${e(doc.info.description)}</p><p class="servers">${servers.join("<br>")}</p>${ops || '<p class="muted">No routes.</p>'}</section>`;
}

function eventsHtml(contracts: readonly EventContract[]): string {
  const rows = contracts
    .map(
      (c) => `<tr><td><code>${e(c.type)}</code> <span class="muted">v${e(c.version)}</span></td>
<td><span class="transport">${e(c.transport)}</span></td><td>${e(c.description)}</td></tr>`,
    )
    .join("");
  return `<section id="events"><h2>Events <a class="raw" href="/docs/events.json">JSON Schemas</a></h2>
<table class="schema events"><thead><tr><th>type</th><th>transport</th><th>what it means</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

const STYLE = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#16191f;--muted:#5f6b7a;--line:#e3e6ea;--accent:#0972d3}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#232f3e;color:#fff;padding:14px 28px;display:flex;gap:24px;align-items:baseline}
header h1{font-size:18px;margin:0}header a{color:#d1e4f7;text-decoration:none}
.layout{display:grid;grid-template-columns:260px 1fr;gap:24px;padding:24px 28px;max-width:1400px}
nav{position:sticky;top:16px;align-self:start;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px;font-size:13px;max-height:calc(100vh - 32px);overflow:auto}
nav a{color:var(--ink);text-decoration:none;display:block;padding:2px 0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}nav a:hover{color:var(--accent)}
nav .svc{font-weight:600;margin-top:8px}nav .m{display:inline-block;width:46px;font:600 10px ui-monospace,monospace}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:6px 20px 16px;margin-bottom:24px}
h2{font-size:18px;display:flex;align-items:center;gap:12px}h4{margin:14px 0 6px;font-size:13px}
.raw{font-size:12px;font-weight:400;color:var(--accent)}.muted{color:var(--muted)}.servers{font-size:13px}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace}
.op{border:1px solid var(--line);border-radius:6px;margin:8px 0;background:#fbfcfd}
.op>summary{cursor:pointer;padding:8px 12px;display:flex;gap:12px;align-items:center;list-style:none}
.op[open]>summary{border-bottom:1px solid var(--line)}.op .body{padding:4px 14px 12px}
.method{font:700 11px ui-monospace,monospace;color:#fff;border-radius:4px;padding:3px 0;width:58px;text-align:center}
.get{background:#0972d3}.post{background:#037f0c}.put{background:#8456ce}.patch{background:#b36b00}.delete{background:#d91515}
.path{font-weight:600;font-size:13.5px}.summary{color:var(--muted);flex:1}.lock{font-size:12px;color:#8d6605;background:#fff4d6;border-radius:10px;padding:1px 8px}
table.schema{border-collapse:collapse;width:100%;font-size:13px;margin:4px 0}table.schema th{text-align:left;color:var(--muted);font-weight:500;border-bottom:1px solid var(--line);padding:4px 8px}
table.schema td{border-bottom:1px solid #f0f1f3;padding:5px 8px;vertical-align:top}table.schema table.schema{margin-top:6px;background:#f8f9fa}
.t{color:#8a3ffc}.req{color:#d91515;margin-left:2px}.c{display:inline-block;margin-right:10px;color:var(--muted);font-size:12px}
.responses{list-style:none;padding:0;margin:0}.responses li{padding:3px 0}
.status{display:inline-block;min-width:38px;text-align:center;font:600 12px ui-monospace,monospace;border-radius:4px;padding:1px 6px}
.status.ok{background:#e9f7ea;color:#037f0c}.status.err{background:#fdecea;color:#b4231b}
.transport{font:600 11px ui-monospace,monospace;background:#eef4fb;color:#0b5cad;border-radius:4px;padding:1px 6px}
`;

/**
 * `/docs`: every service's operations, rendered from the OpenAPI documents on the server (no CDN, no script),
 * plus the event catalog; the raw documents are one link away.
 *
 * @example
 * ```ts
 * docsPage([["users", openApiDocument(topology, "users")!]], Object.values(catalog));
 * ```
 */
export function docsPage(documents: readonly [string, OpenApiDocument][], events: readonly EventContract[]): string {
  const nav = documents
    .map(
      ([name, doc]) =>
        `<a class="svc" href="#${e(anchor(name))}">${e(name)}</a>${operationsOf(doc)
          .map(
            ([path, method, op]) =>
              `<a href="#${e(anchor(name, op.operationId))}" title="${e(op.summary)}"><span class="m">${method.toUpperCase()}</span>${e(path)}</a>`,
          )
          .join("")}`,
    )
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Summit API docs</title><style>${STYLE}</style></head><body>
<header><h1>Summit API</h1><a href="/_dev/service-map.html">Service map</a><a href="/docs/events.json">Event schemas</a></header>
<div class="layout"><nav>${nav}<a class="svc" href="#events">events</a></nav><main>
${documents.map(([name, doc]) => serviceHtml(name, doc)).join("\n")}
${eventsHtml(events)}
</main></div></body></html>`;
}
