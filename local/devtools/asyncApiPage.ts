import type { AsyncApiChannel, AsyncApiDocument, AsyncApiOperation } from "./asyncapi.js";
import { escapeHtml as e } from "./html.js";
import { SCHEMA_STYLE, schemaHtml } from "./schemaHtml.js";

const refName = (ref: { readonly $ref: string }): string => ref.$ref.split("/").pop() ?? "";

const STYLE = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#16191f;--muted:#5f6b7a;--line:#e3e6ea;--accent:#0972d3}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#232f3e;color:#fff;padding:12px 28px;display:flex;gap:22px;align-items:baseline}
header h1{font-size:18px;margin:0}header a{color:#d1e4f7;text-decoration:none}
.layout{display:grid;grid-template-columns:330px 1fr;gap:24px;padding:24px 28px;max-width:1400px}
nav{position:sticky;top:16px;align-self:start;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px;font-size:13px;max-height:calc(100vh - 32px);overflow:auto}
nav a{color:var(--ink);text-decoration:none;display:flex;justify-content:space-between;gap:8px;padding:2px 0}nav a:hover{color:var(--accent)}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:6px 20px 16px;margin-bottom:24px}
h2{font-size:18px;display:flex;align-items:center;gap:12px;flex-wrap:wrap}h2 code{font-size:16px}h4{margin:14px 0 6px;font-size:13px}
.muted{color:var(--muted)}code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace}
dl.facts{display:grid;grid-template-columns:140px 1fr;gap:4px 14px;margin:8px 0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.transport{font:600 11px ui-monospace,monospace;border-radius:4px;padding:1px 6px;background:#eef4fb;color:#0b5cad}
.transport.kinesis{background:#fff4d6;color:#8d6605}.transport.sqs{background:#fdecea;color:#b4231b}.transport.sns{background:#e9f7ea;color:#037f0c}
ul.ops{margin:0;padding-left:18px}details>summary{cursor:pointer;font-weight:600;font-size:13px;margin:10px 0 4px}
${SCHEMA_STYLE}`;

function operationItem(op: AsyncApiOperation): string {
  const consumer = op["x-consumer"];
  if (consumer) {
    const via = [
      `${consumer.delivery} → ${consumer.trigger}`,
      ...(consumer.buffer ? [`buffer <code>${e(consumer.buffer)}</code>`] : []),
      `DLQ <code>${e(consumer.deadLetterQueue)}</code>`,
    ];
    return `<li><code>${e(consumer.function)}</code> <span class="muted">(${e(consumer.service)}) · ${via.join(" · ")}</span></li>`;
  }
  const producer = op["x-producer"];
  return producer
    ? `<li><strong>${e(producer.service)}</strong> <span class="muted">via <code>${e(producer.via)}</code></span></li>`
    : "";
}

function channelHtml(id: string, channel: AsyncApiChannel, doc: AsyncApiDocument): string {
  const operations = Object.values(doc.operations).filter((op) => refName(op.channel) === id);
  const list = (action: AsyncApiOperation["action"]) => {
    const items = operations.filter((op) => op.action === action).map(operationItem);
    return items.length > 0 ? `<ul class="ops">${items.join("")}</ul>` : '<span class="muted">none</span>';
  };
  const messages = Object.values(channel.messages).map((ref) => doc.components.messages[refName(ref)]);
  const servers = channel.servers
    .map((ref) => doc.servers[refName(ref)])
    .map((server) => (server ? `<code>${e(server.host)}</code> <span class="muted">${e(server.title)}</span>` : ""));
  const extras = Object.entries(channel)
    .filter(([key]) => /^x-(eventbridge|kinesis)$/.test(key))
    .map(([key, value]) => `<code>${e(key.slice(2))}</code> <code class="muted">${e(JSON.stringify(value))}</code>`);
  const message = messages[0];
  return `<section id="${e(id)}"><h2><code>${e(channel.title)}</code>${message ? `<span class="muted">v${e(message["x-version"])}</span>` : ""}
<span class="transport ${e(channel["x-transport"])}">${e(channel["x-transport"])}</span></h2>
<p>${e(channel.summary)}</p>
<dl class="facts"><dt>transport</dt><dd>${e(channel["x-transport-reason"])}</dd>
<dt>address</dt><dd><code>${e(channel.address)}</code></dd>
<dt>servers</dt><dd>${servers.join("<br>")}</dd>${extras.length > 0 ? `<dt>delivery</dt><dd>${extras.join("<br>")}</dd>` : ""}
<dt>producer</dt><dd>${list("send")}</dd><dt>consumers</dt><dd>${list("receive")}</dd></dl>
${message ? `<details open><summary>Message <code>${e(message.name)}</code>: the envelope, its payload in <code>data</code></summary>${schemaHtml(message.payload)}</details>` : ""}
</section>`;
}

/**
 * `/docs/asyncapi.html`: the AsyncAPI document as a page, one section per channel: the event, its transport and the
 * routing guide's reason, the destination's address, the producer, every consumer with its delivery and DLQ, and
 * the message's schema as a table. Rendered on the server, no script; the JSON is one link away.
 *
 * @example
 * ```ts
 * asyncApiPage(asyncApiDocument(topology, Object.values(catalog)));
 * ```
 */
export function asyncApiPage(doc: AsyncApiDocument): string {
  const channels = Object.entries(doc.channels);
  const nav = channels
    .map(
      ([id, channel]) =>
        `<a href="#${e(id)}"><span>${e(channel.title)}</span><span class="transport ${e(channel["x-transport"])}">${e(channel["x-transport"])}</span></a>`,
    )
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Summit events</title><link rel="icon" href="data:,"><style>${STYLE}</style></head><body>
<header><h1>${e(doc.info.title)}</h1><a href="/docs">API docs</a><a href="/docs/asyncapi.json">AsyncAPI ${e(doc.asyncapi)} document</a><a href="/_dev/service-map.html">Service map</a></header>
<div class="layout"><nav>${nav}</nav><main><p class="muted">${e(doc.info.description)}</p>
${channels.map(([id, channel]) => channelHtml(id, channel, doc)).join("\n")}
</main></div></body></html>`;
}
