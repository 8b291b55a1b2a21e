/**
 * The browser side of the service map page, as plain script text (the page has no build step and no external
 * assets). It fetches `/_dev/service-map` and `/_dev/traces`, lays the map out left to right the way the X-Ray
 * console does (callers left of callees, the client first), and draws a trace's timeline from
 * `/_dev/traces/{id}`. DOM nodes are built with `el()`, never from HTML strings, so names cannot inject markup.
 */
export const SERVICE_MAP_CLIENT = String.raw`
"use strict";
var SVG_NS = "http://www.w3.org/2000/svg";
var STYLE_OF = {
  "client": { color: "#545b64", glyph: "" , label: "Client" },
  "AWS::ApiGateway::Stage": { color: "#e7157b", glyph: "API", label: "API Gateway stage" },
  "AWS::Lambda::Function": { color: "#ed7100", glyph: "λ", label: "Lambda function" },
  "AWS::Lambda": { color: "#ed7100", glyph: "λ", label: "Lambda" },
  "AWS::DynamoDB::Table": { color: "#4053d6", glyph: "DDB", label: "DynamoDB table" },
  "AWS::DynamoDB": { color: "#4053d6", glyph: "DDB", label: "DynamoDB" },
  "AWS::Events::EventBus": { color: "#c7156a", glyph: "EB", label: "EventBridge bus" },
  "AWS::Events": { color: "#c7156a", glyph: "EB", label: "EventBridge" },
  "AWS::SQS::Queue": { color: "#b0084d", glyph: "SQS", label: "SQS queue" },
  "AWS::SQS": { color: "#b0084d", glyph: "SQS", label: "SQS" },
  "AWS::SNS::Topic": { color: "#d6246e", glyph: "SNS", label: "SNS topic" },
  "AWS::SNS": { color: "#d6246e", glyph: "SNS", label: "SNS" },
  "AWS::Kinesis::Stream": { color: "#8c4fff", glyph: "KDS", label: "Kinesis stream" },
  "AWS::Kinesis": { color: "#8c4fff", glyph: "KDS", label: "Kinesis" },
  "AWS::S3::Bucket": { color: "#3f8624", glyph: "S3", label: "S3 bucket" },
  "AWS::S3": { color: "#3f8624", glyph: "S3", label: "S3" },
  "remote": { color: "#687078", glyph: "↗", label: "Remote" }
};
var HEALTH = { ok: "#1d8102", error: "#f89256", fault: "#d13212" };

function styleOf(type) {
  return STYLE_OF[type] || { color: "#687078", glyph: type.indexOf("AWS::") === 0 ? "AWS" : "svc", label: type };
}
function el(tag, attrs, children) {
  var svg = ["svg", "g", "path", "circle", "text", "line", "rect", "defs", "marker", "title", "tspan"].indexOf(tag) >= 0;
  var node = svg ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (key) {
    if (key === "text") node.textContent = attrs[key];
    else if (key.indexOf("on") === 0) node.addEventListener(key.slice(2), attrs[key]);
    else node.setAttribute(key, attrs[key]);
  });
  (children || []).forEach(function (child) { if (child) node.appendChild(child); });
  return node;
}
function ms(value) {
  if (value === null || value === undefined) return "…";
  if (value >= 1000) return (value / 1000).toFixed(2) + " s";
  return (value >= 100 ? Math.round(value) : Math.round(value * 10) / 10) + " ms";
}
function pct(part, whole) { return whole ? Math.round((part / whole) * 1000) / 10 + "%" : "0%"; }
function short(name, max) { return name.length > max ? name.slice(0, max - 1) + "…" : name; }
function getJson(url) {
  return fetch(url, { headers: { accept: "application/json" } }).then(function (res) {
    if (!res.ok) throw new Error(url + " answered " + res.status);
    return res.json();
  });
}

/* Layout: a node's column is its longest distance from a caller-less node, so every edge points right. */
function layout(map) {
  var level = {}, incoming = {}, ids = map.nodes.map(function (n) { return n.id; });
  ids.forEach(function (id) { level[id] = 0; incoming[id] = []; });
  map.edges.forEach(function (e) { if (incoming[e.target]) incoming[e.target].push(e.source); });
  for (var pass = 0; pass < ids.length; pass++) {
    var changed = false;
    map.edges.forEach(function (e) {
      if (e.source === e.target || level[e.source] === undefined) return;
      if (level[e.target] < level[e.source] + 1 && level[e.source] + 1 < ids.length) {
        level[e.target] = level[e.source] + 1;
        changed = true;
      }
    });
    if (!changed) break;
  }
  var columns = [];
  ids.forEach(function (id) { (columns[level[id]] = columns[level[id]] || []).push(id); });
  var row = {};
  columns.forEach(function (column) {
    /* Barycentre of the callers' rows keeps edges short and mostly horizontal. */
    column.sort(function (a, b) {
      function centre(id) {
        var rows = incoming[id].map(function (s) { return row[s]; }).filter(function (r) { return r !== undefined; });
        return rows.length ? rows.reduce(function (x, y) { return x + y; }, 0) / rows.length : 0;
      }
      return centre(a) - centre(b) || a.localeCompare(b);
    });
    column.forEach(function (id, i) { row[id] = i - (column.length - 1) / 2; });
  });
  var tallest = Math.max.apply(null, columns.map(function (c) { return c ? c.length : 0; }).concat([1]));
  var colWidth = 240, rowHeight = 150, margin = 90;
  var height = Math.max(360, tallest * rowHeight + 60);
  var pos = {};
  ids.forEach(function (id) { pos[id] = { x: margin + level[id] * colWidth, y: height / 2 + row[id] * rowHeight - 10 }; });
  return { pos: pos, width: margin * 2 + (columns.length - 1) * colWidth + 40, height: height };
}

/* The console's health ring: the share of ok / error / fault answers among the calls into the node. */
function healthOf(id, map) {
  var total = 0, errors = 0, faults = 0;
  map.edges.forEach(function (e) { if (e.target === id) { total += e.requests; errors += e.errors; faults += e.faults; } });
  return { total: total, ok: total - errors - faults, error: errors, fault: faults };
}
function arc(cx, cy, r, from, to) {
  if (to - from >= 0.9999) return "M " + (cx - r) + " " + cy + " a " + r + " " + r + " 0 1 0 " + 2 * r + " 0 a " + r + " " + r + " 0 1 0 " + -2 * r + " 0";
  var a0 = 2 * Math.PI * from - Math.PI / 2, a1 = 2 * Math.PI * to - Math.PI / 2;
  return "M " + (cx + r * Math.cos(a0)) + " " + (cy + r * Math.sin(a0)) + " A " + r + " " + r + " 0 " + (to - from > 0.5 ? 1 : 0) + " 1 " + (cx + r * Math.cos(a1)) + " " + (cy + r * Math.sin(a1));
}

function drawMap(map) {
  var holder = document.getElementById("map");
  holder.textContent = "";
  if (map.nodes.length === 0) {
    holder.appendChild(el("div", { class: "empty", text: "No segments yet. Send a request to the local API and this map fills in." }));
    return;
  }
  var box = layout(map), R = 30;
  var svg = el("svg", { viewBox: "0 0 " + box.width + " " + box.height, width: box.width, height: box.height, preserveAspectRatio: "xMidYMid meet", role: "img", "aria-label": "Service map" });
  var defs = el("defs", {}, ["ok", "error", "fault"].map(function (kind) {
    return el("marker", { id: "arrow-" + kind, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
      [el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: kind === "ok" ? "#9aa4ae" : HEALTH[kind] })]);
  }));
  svg.appendChild(defs);
  var maxRequests = Math.max.apply(null, map.edges.map(function (e) { return e.requests; }).concat([1]));
  var edgeLayer = el("g", { class: "edges" }), labelLayer = el("g", { class: "labels" }), nodeLayer = el("g", { class: "nodes" });
  map.edges.forEach(function (e) {
    var a = box.pos[e.source], b = box.pos[e.target];
    if (!a || !b) return;
    var kind = e.faults ? "fault" : e.errors ? "error" : "ok";
    var x1 = a.x + R + 6, y1 = a.y, x2 = b.x - R - 8, y2 = b.y, dx = Math.max(40, (x2 - x1) / 2);
    var d = "M " + x1 + " " + y1 + " C " + (x1 + dx) + " " + y1 + ", " + (x2 - dx) + " " + y2 + ", " + x2 + " " + y2;
    if (x2 <= x1) d = "M " + (a.x) + " " + (a.y - R - 6) + " C " + (a.x + 80) + " " + (a.y - 120) + ", " + (b.x - 80) + " " + (b.y - 120) + ", " + b.x + " " + (b.y - R - 8);
    var width = 1.5 + 3 * (e.requests / maxRequests);
    var tip = e.source + " → " + e.target + "\n" + e.requests + " requests, p50 " + ms(e.p50Ms) + ", p99 " + ms(e.p99Ms) +
      "\nerrors (4xx) " + e.errors + " (" + pct(e.errors, e.requests) + "), faults (5xx) " + e.faults + " (" + pct(e.faults, e.requests) + ")";
    edgeLayer.appendChild(el("path", { d: d, class: "edge " + kind, "stroke-width": width, "marker-end": "url(#arrow-" + kind + ")" }, [el("title", { text: tip })]));
    var mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
    var health = (e.errors ? " · " + pct(e.errors, e.requests) + " err" : "") + (e.faults ? " · " + pct(e.faults, e.requests) + " fault" : "");
    var lines = [e.requests + " req" + health, "p50 " + ms(e.p50Ms) + " · p99 " + ms(e.p99Ms)];
    var label = el("g", { class: "edge-label " + kind, transform: "translate(" + mx + "," + (my - 30) + ")" });
    var w = Math.max.apply(null, lines.map(function (l) { return l.length; })) * 6.4 + 14;
    label.appendChild(el("rect", { x: -w / 2, y: -12, width: w, height: 15 * lines.length + 6, rx: 5 }));
    lines.forEach(function (line, i) { label.appendChild(el("text", { y: i * 15, "text-anchor": "middle", class: i === 0 && health ? "bad" : "", text: line })); });
    label.appendChild(el("title", { text: tip }));
    labelLayer.appendChild(label);
  });
  map.nodes.forEach(function (n) {
    var p = box.pos[n.id], s = styleOf(n.type), h = healthOf(n.id, map);
    var g = el("g", { class: "node", transform: "translate(" + p.x + "," + p.y + ")", tabindex: "0" });
    g.appendChild(el("circle", { r: R + 7, class: "ring-bg" }));
    if (h.total > 0) {
      var start = 0;
      ["ok", "error", "fault"].forEach(function (kind) {
        var share = h[kind] / h.total;
        if (share <= 0) return;
        g.appendChild(el("path", { d: arc(0, 0, R + 7, start, start + share), stroke: HEALTH[kind], class: "ring" }));
        start += share;
      });
    }
    g.appendChild(el("circle", { r: R, fill: s.color, class: "core" }));
    if (n.type === "client") {
      g.appendChild(el("circle", { cx: 0, cy: -8, r: 8, fill: "#fff" }));
      g.appendChild(el("path", { d: "M -14 16 C -14 2, 14 2, 14 16 Z", fill: "#fff" }));
    } else {
      g.appendChild(el("text", { class: "glyph" + (s.glyph.length > 2 ? " small" : ""), "text-anchor": "middle", y: s.glyph.length > 2 ? 5 : 8, text: s.glyph }));
    }
    g.appendChild(el("text", { class: "name", "text-anchor": "middle", y: R + 26, text: short(n.name, 30) }));
    g.appendChild(el("text", { class: "type", "text-anchor": "middle", y: R + 42, text: s.label }));
    var tip = n.name + "\n" + n.type + (h.total ? "\n" + h.total + " requests in: " + h.ok + " ok, " + h.error + " errors, " + h.fault + " faults" : "");
    g.appendChild(el("title", { text: tip }));
    nodeLayer.appendChild(g);
  });
  svg.appendChild(edgeLayer);
  svg.appendChild(nodeLayer);
  svg.appendChild(labelLayer);
  holder.appendChild(svg);
  var totals = map.edges.filter(function (e) { return e.source === "client"; }).reduce(function (t, e) {
    return { requests: t.requests + e.requests, errors: t.errors + e.errors, faults: t.faults + e.faults };
  }, { requests: 0, errors: 0, faults: 0 });
  document.getElementById("summary").textContent = map.nodes.length + " nodes · " + map.edges.length + " edges · " +
    totals.requests + " client requests · " + totals.errors + " errors · " + totals.faults + " faults";
}

function statusBadge(item) {
  if (item.inProgress) return el("span", { class: "badge pending", text: "in progress" });
  if (item.fault) return el("span", { class: "badge fault", text: "fault" });
  if (item.error) return el("span", { class: "badge error", text: "error" });
  return el("span", { class: "badge ok", text: "ok" });
}

function drawTraces(list) {
  var body = document.getElementById("traces");
  body.textContent = "";
  if (list.items.length === 0) {
    body.appendChild(el("tr", {}, [el("td", { colspan: "5", class: "empty", text: "No traces yet." })]));
    return;
  }
  list.items.forEach(function (t) {
    var link = el("a", { href: "#trace=" + encodeURIComponent(t.traceId), text: t.traceId });
    body.appendChild(el("tr", { class: location.hash === "#trace=" + encodeURIComponent(t.traceId) ? "selected" : "" }, [
      el("td", { class: "time", text: new Date(t.startedAt).toLocaleTimeString() }),
      el("td", {}, [el("div", { class: "root", text: t.root }), el("div", { class: "id" }, [link])]),
      el("td", { class: "num", text: ms(t.durationMs) }),
      el("td", { class: "num", text: String(t.segments) }),
      el("td", {}, [statusBadge(t)])
    ]));
  });
}

function drawTimeline(timeline) {
  var panel = document.getElementById("timeline");
  panel.textContent = "";
  panel.hidden = false;
  var total = Math.max(timeline.durationMs, 0.001);
  panel.appendChild(el("div", { class: "tl-head" }, [
    el("h2", { text: "Trace " + timeline.traceId }),
    el("span", { class: "muted", text: new Date(timeline.startedAt).toLocaleString() + " · " + ms(timeline.durationMs) + " · " + timeline.entries.length + " (sub)segments" }),
    el("a", { href: "#", class: "close", text: "close ✕" })
  ]));
  var ticks = el("div", { class: "tl-row tl-axis" }, [el("div", { class: "tl-name" }), el("div", { class: "tl-track" }, [0, 0.25, 0.5, 0.75, 1].map(function (f) {
    return el("span", { class: "tick", style: "left:" + f * 100 + "%;transform:translateX(-" + f * 100 + "%)", text: ms(total * f) });
  }))]);
  panel.appendChild(ticks);
  timeline.entries.forEach(function (e) {
    var kind = e.fault ? "fault" : e.error ? "error" : e.inProgress ? "pending" : e.kind === "segment" ? "segment" : e.namespace === "aws" ? "aws" : e.namespace === "remote" ? "remote" : "local";
    var left = (e.offsetMs / total) * 100;
    var width = e.durationMs === null ? 100 - left : Math.max(0.4, (e.durationMs / total) * 100);
    var detail = [e.origin || e.namespace || (e.kind === "subsegment" ? "local" : ""), e.operation, e.resource && e.resource !== e.name ? e.resource : "", e.status ? "HTTP " + e.status : ""].filter(Boolean).join(" · ");
    var chips = Object.keys(e.annotations || {}).map(function (k) { return el("span", { class: "chip", text: k + "=" + e.annotations[k] }); });
    panel.appendChild(el("div", { class: "tl-row " + (e.kind === "segment" ? "is-segment" : "") }, [
      el("div", { class: "tl-name", style: "padding-left:" + (8 + e.depth * 16) + "px" }, [
        e.kind === "segment" ? el("span", { class: "dot", style: "background:" + styleOf(e.origin || "service").color }) : null,
        el("span", { class: "label", text: e.name }),
        el("span", { class: "detail", text: detail })
      ].concat(chips)),
      el("div", { class: "tl-track" }, [
        el("div", { class: "bar " + kind, style: "left:" + left + "%;width:" + width + "%" }, [el("span", { text: ms(e.durationMs) })]),
        el("span", { class: "off", style: "left:" + left + "%", text: "+" + ms(e.offsetMs) })
      ])
    ]));
  });
  panel.scrollIntoView({ behavior: "smooth", block: "start" });
}

function showSelected() {
  var match = /^#trace=(.+)$/.exec(location.hash);
  var panel = document.getElementById("timeline");
  if (!match) { panel.hidden = true; return; }
  getJson("/_dev/traces/" + match[1]).then(drawTimeline, function (err) {
    panel.hidden = false;
    panel.textContent = "";
    panel.appendChild(el("div", { class: "empty", text: String(err.message || err) }));
  });
}

function refresh() {
  document.getElementById("updated").textContent = "updating…";
  Promise.all([getJson("/_dev/service-map"), getJson("/_dev/traces?limit=30")]).then(function (results) {
    drawMap(results[0]);
    drawTraces(results[1]);
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
  }, function (err) {
    document.getElementById("updated").textContent = "failed: " + (err.message || err);
  });
}

var timer = null;
document.getElementById("refresh").addEventListener("click", refresh);
document.getElementById("auto").addEventListener("change", function (event) {
  if (timer) clearInterval(timer);
  timer = event.target.checked ? setInterval(refresh, 5000) : null;
});
window.addEventListener("hashchange", function () { showSelected(); refresh(); });
refresh();
showSelected();
`;
