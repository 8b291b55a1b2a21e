import { DAGRE_ASSET_PATH } from "./dagreAsset.js";
import { SERVICE_MAP_CLIENT } from "./serviceMapClient.js";

const STYLE = `
:root{--bg:#f2f3f3;--card:#fff;--ink:#16191f;--muted:#5f6b7a;--line:#e1e4e8;--accent:#0972d3}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#232f3e;color:#fff;padding:12px 24px;display:flex;gap:22px;align-items:center}
header h1{font-size:17px;margin:0;font-weight:600}header a{color:#d1e4f7;text-decoration:none;font-size:13px}
header .spacer{flex:1}header button{background:#0972d3;color:#fff;border:0;border-radius:14px;padding:5px 14px;cursor:pointer;font-size:13px}
header label{font-size:13px;color:#d1e4f7}#updated{font-size:12px;color:#aab7c4}
main{padding:18px 24px;display:grid;grid-template-columns:minmax(0,1fr);gap:18px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;box-shadow:0 1px 2px rgba(0,28,36,.06)}
.card>h2,.card .title{font-size:15px;margin:0;padding:12px 16px;border-bottom:1px solid var(--line);display:flex;gap:14px;align-items:baseline}
.muted,#summary{color:var(--muted);font-size:12.5px;font-weight:400}
#map{overflow:auto;padding:8px;background:radial-gradient(circle,#e9ebed 1px,transparent 1px) 0 0/18px 18px}
#map svg{display:block;margin:0 auto}svg.measure{position:absolute;left:-10000px;top:0;visibility:hidden}
.edge{fill:none;stroke:#9aa4ae;opacity:.9}.edge.error{stroke:#f89256}.edge.fault{stroke:#d13212}.edge.linked{stroke-dasharray:7 5}
.edge-label rect{fill:#fff;stroke:#d5dbdb}.edge-text{font:10.5px ui-monospace,SFMono-Regular,Menlo,monospace;fill:#414d5c}
.edge-text.bad{fill:#d13212;font-weight:600}.edge-label.error .edge-text.bad{fill:#c05600}
.node .ring-bg{fill:#fff;stroke:#e9ebed;stroke-width:6}.node .ring{fill:none;stroke-width:6}
.node .core{stroke:#fff;stroke-width:2;filter:drop-shadow(0 1px 2px rgba(0,0,0,.25))}
.node .glyph{fill:#fff;font:700 22px system-ui,sans-serif}.node .glyph.small{font-size:14px;letter-spacing:.5px}
.node{cursor:pointer}.node-name{font:600 13px system-ui,sans-serif;fill:var(--ink)}.node-type{font:11px ui-monospace,SFMono-Regular,Menlo,monospace;fill:var(--muted)}
.node:hover .core,.node:focus .core,.node.selected .core{stroke:#0972d3;stroke-width:3}.node.selected .node-name{fill:#0972d3}
.filter{margin-left:auto;display:flex;gap:8px;align-items:center;font-size:12.5px;font-weight:400;color:var(--muted)}.filter select{font:inherit;max-width:320px}
#through{font-size:12.5px;font-weight:400;color:var(--accent)}#through .clear{margin-left:6px}
.legend{display:flex;flex-wrap:wrap;gap:14px;padding:10px 16px;border-top:1px solid var(--line);font-size:12px;color:var(--muted)}
.legend i{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:5px;vertical-align:-1px}
.empty{padding:40px;text-align:center;color:var(--muted)}
table{border-collapse:collapse;width:100%}th{text-align:left;font-weight:500;color:var(--muted);font-size:12px;padding:8px 16px;border-bottom:1px solid var(--line)}
td{padding:7px 16px;border-bottom:1px solid #f0f1f2;vertical-align:middle}tr.selected td{background:#f0f7ff}
td.num{text-align:right;font-variant-numeric:tabular-nums}th.num{text-align:right}td.time{color:var(--muted);white-space:nowrap}
.root{font-weight:600}.id a{font:11.5px ui-monospace,monospace;color:var(--accent);text-decoration:none}
.badge{font:600 11px system-ui;border-radius:10px;padding:2px 9px}.badge.ok{background:#e9f7ea;color:#1d8102}
.badge.error{background:#fff1e6;color:#c05600}.badge.fault{background:#fdecea;color:#d13212}.badge.pending{background:#eef4fb;color:#0b5cad}
#timeline{padding-bottom:10px}.tl-head{display:flex;gap:16px;align-items:baseline;padding:12px 16px;border-bottom:1px solid var(--line)}
.tl-head h2{font-size:15px;margin:0;font-family:ui-monospace,monospace}.tl-head .close{margin-left:auto;color:var(--accent);text-decoration:none;font-size:13px}
.tl-row{display:grid;grid-template-columns:minmax(320px,38%) 1fr;align-items:center;min-height:28px;border-bottom:1px solid #f4f4f5}
.tl-row.is-segment{background:#fafbfc}.tl-name{display:flex;gap:8px;align-items:center;overflow:hidden;white-space:nowrap;font-size:13px}
.tl-name .label{font-weight:500}.is-segment .tl-name .label{font-weight:700}.tl-name .detail{color:var(--muted);font-size:11.5px;overflow:hidden;text-overflow:ellipsis}
.dot{width:10px;height:10px;border-radius:50%;flex:none}.chip{font:10.5px ui-monospace,monospace;background:#f1f2f3;border-radius:8px;padding:0 6px;color:#414d5c}
.tl-track{position:relative;height:28px;margin-right:70px;border-left:1px solid var(--line)}
.bar{position:absolute;top:6px;height:16px;border-radius:3px;min-width:3px;font:10.5px ui-monospace,monospace;color:#fff;overflow:visible;white-space:nowrap}
.bar span{position:absolute;left:calc(100% + 5px);top:0;color:#414d5c}.bar.late span{left:auto;right:calc(100% + 5px)}
.bar.segment{background:#0972d3}.bar.aws{background:#8c4fff}.bar.remote{background:#687078}.bar.local{background:#7d8998}
.bar.error{background:#f89256}.bar.fault{background:#d13212}.bar.pending{background:repeating-linear-gradient(45deg,#9ec5ef,#9ec5ef 5px,#c6ddf6 5px,#c6ddf6 10px)}
.tl-links{display:flex;flex-wrap:wrap;gap:10px;align-items:center;padding:8px 16px;border-bottom:1px solid var(--line);font-size:12.5px}
.trace-link{display:inline-flex;gap:6px;border:1px solid #b8d4f1;border-radius:12px;padding:2px 10px;color:var(--accent);text-decoration:none}
.trace-link .tid{font:11.5px ui-monospace,monospace}.trace-link .via{color:var(--muted)}
.tl-cause{padding:4px 16px 6px;font:11.5px ui-monospace,monospace;color:#d13212;background:#fdf3f1;white-space:pre-wrap;border-bottom:1px solid #f4f4f5}
.tl-logs{padding:3px 16px 5px;background:#fbfbfc;border-bottom:1px solid #f4f4f5;font:11.5px ui-monospace,monospace}
.log{display:flex;gap:10px;white-space:pre-wrap;color:#414d5c}.log-at{color:var(--muted);min-width:64px}.log-level{min-width:44px;font-weight:600}.log-fn{color:var(--muted)}
.log.warn .log-level{color:#c05600}.log.error .log-level,.log.critical .log-level{color:#d13212}.tl-axis{min-height:22px;background:#fff}.tick{position:absolute;top:3px;font-size:10.5px;color:var(--muted);white-space:nowrap;padding:0 3px}
`;

const LEGEND = [
  ["#545b64", "Client"],
  ["#e7157b", "API Gateway"],
  ["#ed7100", "Lambda"],
  ["#4053d6", "DynamoDB"],
  ["#c7156a", "EventBridge"],
  ["#b0084d", "SQS"],
  ["#d6246e", "SNS"],
  ["#8c4fff", "Kinesis"],
  ["#3f8624", "S3"],
  ["#687078", "Remote"],
] as const;

const HEALTH_LEGEND = [
  ["#1d8102", "OK"],
  ["#f89256", "Error (4xx)"],
  ["#d13212", "Fault (5xx)"],
] as const;

const legend = (items: readonly (readonly [string, string])[]): string =>
  items.map(([color, label]) => `<span><i style="background:${color}"></i>${label}</span>`).join("");

/**
 * `/_dev/service-map.html`: the service map as the X-Ray console draws it (left to right, nodes by name and type
 * with a health ring of ok / error / fault calls, edges with requests, error / fault share and p50/p99 latency, a
 * trace link's hop dashed), a filter by service, the recent traces (or those through a clicked node), and a
 * trace's timeline with its links, causes and log lines. One document with inline CSS and script; the only
 * other thing it loads is the layout library, from the dev routes (`/_dev/assets/dagre.js`), so it works offline.
 *
 * @example
 * ```ts
 * res.end(serviceMapPage());
 * ```
 */
export function serviceMapPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Summit · service map</title><style>${STYLE}</style></head><body>
<header><h1>Summit · Service map</h1><a href="/docs">API docs</a><a href="/_dev/service-map">JSON</a><span class="spacer"></span>
<span id="updated"></span><label><input type="checkbox" id="auto"> auto-refresh</label><button id="refresh" type="button">Refresh</button></header>
<main>
<section class="card"><div class="title">Service map <span id="summary"></span><span class="filter"><label for="service">service</label>
<select id="service"><option value="">All services</option></select><select id="scope" aria-label="what to show around it">
<option value="neighbours">with its neighbours</option><option value="path">with every path through it</option></select></span></div><div id="map"><div class="empty">Loading…</div></div>
<div class="legend">${legend(LEGEND)}<span style="flex:1"></span>ring: ${legend(HEALTH_LEGEND)}<span>dashed edge: a trace link</span></div></section>
<section class="card" id="timeline" hidden></section>
<section class="card"><div class="title">Recent traces <span class="muted">newest first · select one for its timeline · click a node for the traces through it</span><span id="through"></span></div>
<table><thead><tr><th>started</th><th>entry point / trace id</th><th class="num">duration</th><th class="num">segments</th><th>status</th></tr></thead>
<tbody id="traces"></tbody></table></section>
</main>
<script src="${DAGRE_ASSET_PATH}"></script>
<script>${SERVICE_MAP_CLIENT}</script></body></html>`;
}
