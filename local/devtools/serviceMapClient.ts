/**
 * The browser side of the service map page, as plain script text (the page has no build step). It fetches
 * `/_dev/service-map` and `/_dev/traces`, lays the map out left to right with dagre (loaded before it from
 * `/_dev/assets/dagre.js`) the way the X-Ray console does, filters it by service, and draws a trace's timeline
 * from `/_dev/traces/{id}` with its links, causes and log lines. DOM nodes are built with `el()`, never from HTML
 * strings, so names in trace data cannot inject markup.
 *
 * Geometry: every box dagre places is measured first (a node is its ring plus its name and type lines, an edge
 * label its text), and an edge runs horizontally through each rank it crosses and bends only in the gaps between
 * ranks, where dagre puts no box: so no edge passes under a label or a node it does not join.
 */
export const SERVICE_MAP_CLIENT = String.raw`
"use strict";
var SVG_NS = "http://www.w3.org/2000/svg";
var STYLE_OF = {
  "client": { color: "#545b64", glyph: "" },
  "AWS::ApiGateway::Stage": { color: "#e7157b", glyph: "API" },
  "AWS::Lambda::Function": { color: "#ed7100", glyph: "λ" },
  "AWS::Lambda": { color: "#ed7100", glyph: "λ" },
  "AWS::DynamoDB::Table": { color: "#4053d6", glyph: "DDB" },
  "AWS::DynamoDB": { color: "#4053d6", glyph: "DDB" },
  "AWS::Events::EventBus": { color: "#c7156a", glyph: "EB" },
  "AWS::Events": { color: "#c7156a", glyph: "EB" },
  "AWS::SQS::Queue": { color: "#b0084d", glyph: "SQS" },
  "AWS::SQS": { color: "#b0084d", glyph: "SQS" },
  "AWS::SNS::Topic": { color: "#d6246e", glyph: "SNS" },
  "AWS::SNS": { color: "#d6246e", glyph: "SNS" },
  "AWS::Kinesis::Stream": { color: "#8c4fff", glyph: "KDS" },
  "AWS::Kinesis": { color: "#8c4fff", glyph: "KDS" },
  "AWS::S3::Bucket": { color: "#3f8624", glyph: "S3" },
  "AWS::S3": { color: "#3f8624", glyph: "S3" },
  "remote": { color: "#687078", glyph: "↗" }
};
var HEALTH = { ok: "#1d8102", error: "#f89256", fault: "#d13212" };
/* Node geometry: core circle, health ring (radius and stroke), gap to the name, padding around the labels. */
var CORE = 30, RING = 37, RING_OUT = 40, TEXT_GAP = 6, PAD = 8, NAME_MAX = 48;
var state = { map: null, traces: [], service: "", scope: "neighbours", through: "", timelines: {} };

function styleOf(type) {
  return STYLE_OF[type] || { color: "#687078", glyph: type.indexOf("AWS::") === 0 ? "AWS" : "svc" };
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
function traceHash(traceId) { return "#trace=" + encodeURIComponent(traceId); }

/* Text boxes as the browser will draw them: measured on a hidden SVG with the page's own classes. */
function measurer() {
  var svg = el("svg", { class: "measure", width: 10, height: 10, "aria-hidden": "true" });
  document.body.appendChild(svg);
  return {
    box: function (text, cls) {
      var t = el("text", { class: cls, text: text });
      svg.appendChild(t);
      var b = t.getBBox();
      svg.removeChild(t);
      return { width: b.width, height: b.height, ascent: -b.y };
    },
    done: function () { document.body.removeChild(svg); }
  };
}

/* The lines of an edge's label: requests with the error / fault share, then the latency percentiles. */
function edgeLines(e) {
  var health = (e.errors ? " · " + pct(e.errors, e.requests) + " err" : "") + (e.faults ? " · " + pct(e.faults, e.requests) + " fault" : "");
  return { bad: health !== "", lines: [e.requests + " req" + health, "p50 " + ms(e.p50Ms) + " · p99 " + ms(e.p99Ms)] };
}
function edgeKind(e) { return e.faults ? "fault" : e.errors ? "error" : "ok"; }

/* What a node shows under its ring: its name (shortened past NAME_MAX, the full one in its tooltip) and its type. */
function nodeText(n) { return { name: short(n.name, NAME_MAX), type: n.type }; }

/*
 * Measures every node and label, lets dagre place them left to right, and routes the edges. Returns the
 * positions in SVG user units: nodes by id (box, ring centre, text baselines) and edges with path and label box.
 */
function layout(map) {
  var m = measurer();
  var g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "LR", nodesep: 36, edgesep: 18, ranksep: 96, marginx: 24, marginy: 24 });
  g.setDefaultEdgeLabel(function () { return {}; });
  var sizes = {};
  map.nodes.forEach(function (n) {
    var text = nodeText(n), name = m.box(text.name, "node-name"), type = m.box(text.type, "node-type");
    var width = Math.max(2 * RING_OUT, name.width, type.width) + 2 * PAD;
    var height = PAD + 2 * RING_OUT + TEXT_GAP + name.height + 2 + type.height + PAD;
    sizes[n.id] = { name: name, type: type };
    g.setNode(n.id, { width: width, height: height });
  });
  var drawn = map.edges.filter(function (e) { return e.source !== e.target && sizes[e.source] && sizes[e.target]; });
  /* Calls into a sink (a table, a bucket, a remote API) may stretch; a call chain's other hops stay one rank apart. */
  var calls = {};
  drawn.forEach(function (e) { calls[e.source] = true; });
  drawn.forEach(function (e, i) {
    var lines = edgeLines(e).lines.map(function (line) { return m.box(line, "edge-text"); });
    var width = Math.max.apply(null, lines.map(function (b) { return b.width; })) + 14;
    var lineHeight = Math.max.apply(null, lines.map(function (b) { return b.height; }));
    g.setEdge(e.source, e.target, { width: width, height: lineHeight * lines.length + 8, labelpos: "c", weight: calls[e.target] ? 4 : 1, lineHeight: lineHeight, ascent: lines[0].ascent }, "e" + i);
  });
  m.done();
  dagre.layout(g);

  var nodes = {};
  map.nodes.forEach(function (n) {
    var d = g.node(n.id), top = d.y - d.height / 2, s = sizes[n.id];
    var cy = top + PAD + RING_OUT, nameTop = cy + RING_OUT + TEXT_GAP;
    nodes[n.id] = { x: d.x, y: d.y, width: d.width, height: d.height, cx: d.x, cy: cy,
      nameY: nameTop + s.name.ascent, typeY: nameTop + s.name.height + 2 + s.type.ascent };
  });
  /* Half the widest box of each rank (dagre gives every box of a rank the same centre x). */
  var bands = {};
  function band(x, half) { var k = x.toFixed(2); bands[k] = Math.max(bands[k] || 0, half); }
  function halfAt(x) { return bands[x.toFixed(2)] || 0; }
  map.nodes.forEach(function (n) { var d = g.node(n.id); band(d.x, d.width / 2); });
  drawn.forEach(function (e, i) { var d = g.edge(e.source, e.target, "e" + i); band(d.x, d.width / 2); });

  var edges = drawn.map(function (e, i) {
    var d = g.edge(e.source, e.target, "e" + i), a = nodes[e.source], b = nodes[e.target];
    var stops = [{ x: a.cx, y: a.cy }].concat(d.points.slice(1, -1)).concat([{ x: b.cx, y: b.cy }]);
    return { edge: e, path: route(stops, halfAt), label: { x: d.x - d.width / 2, y: d.y - d.height / 2, width: d.width, height: d.height, lineHeight: d.lineHeight, ascent: d.ascent } };
  });
  var graph = g.graph();
  return { nodes: nodes, edges: edges, width: graph.width, height: graph.height };
}

/*
 * The path through the stops (ring centres at both ends, dagre's waypoints between): a horizontal run across
 * each stop's rank, an S-bend across the gap to the next rank. It leaves the first ring and ends at the last one.
 */
function route(stops, halfAt) {
  var d = "", last = stops.length - 1;
  for (var i = 0; i < last; i++) {
    var from = stops[i], to = stops[i + 1], dir = to.x >= from.x ? 1 : -1;
    var exit = i === 0 ? from.x + dir * Math.max(halfAt(from.x), RING_OUT) : from.x + dir * halfAt(from.x);
    var entry = i + 1 === last ? to.x - dir * Math.max(halfAt(to.x), RING_OUT) : to.x - dir * halfAt(to.x);
    if (i === 0) d += "M " + (from.x + dir * (RING_OUT + 2)) + " " + from.y + " L " + exit + " " + from.y;
    var mid = (exit + entry) / 2;
    d += " C " + mid + " " + from.y + ", " + mid + " " + to.y + ", " + entry + " " + to.y;
    var end = i + 1 === last ? to.x - dir * (RING_OUT + 4) : to.x + ((stops[i + 2].x >= to.x ? 1 : -1) * halfAt(to.x));
    d += " L " + end + " " + to.y;
  }
  return d;
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

/*
 * The part of the map the service filter keeps: the chosen node with its neighbours (the calls into and out of
 * it), or every path through it (all its callers upstream, all it calls downstream, and the calls along them).
 */
function reach(edges, from, forward) {
  var seen = {};
  seen[from] = true;
  for (var grew = true; grew;) {
    grew = false;
    edges.forEach(function (e) {
      var a = forward ? e.source : e.target, b = forward ? e.target : e.source;
      if (seen[a] && !seen[b]) { seen[b] = true; grew = true; }
    });
  }
  return seen;
}
function filtered(map) {
  var id = state.service;
  if (!id || !map.nodes.some(function (n) { return n.id === id; })) return map;
  var edges;
  if (state.scope === "neighbours") {
    edges = map.edges.filter(function (e) { return e.source === id || e.target === id; });
  } else {
    var up = reach(map.edges, id, false), down = reach(map.edges, id, true);
    edges = map.edges.filter(function (e) { return (up[e.source] && up[e.target]) || (down[e.source] && down[e.target]); });
  }
  var keep = {};
  keep[id] = true;
  edges.forEach(function (e) { keep[e.source] = keep[e.target] = true; });
  return { nodes: map.nodes.filter(function (n) { return keep[n.id]; }), edges: edges };
}

function drawFilter(map) {
  var select = document.getElementById("service");
  var known = map.nodes.some(function (n) { return n.id === state.service; });
  if (!known) state.service = "";
  select.textContent = "";
  select.appendChild(el("option", { value: "", text: "All services" }));
  map.nodes.slice().sort(function (a, b) { return a.name.localeCompare(b.name) || a.type.localeCompare(b.type); }).forEach(function (n) {
    var option = el("option", { value: n.id, text: n.name + " (" + n.type + ")" });
    if (n.id === state.service) option.selected = true;
    select.appendChild(option);
  });
}

function drawMap() {
  var holder = document.getElementById("map");
  holder.textContent = "";
  if (typeof dagre === "undefined") {
    holder.appendChild(el("div", { class: "empty", text: "The layout library did not load (/_dev/assets/dagre.js)." }));
    return;
  }
  var full = state.map, map = filtered(full);
  if (map.nodes.length === 0) {
    holder.appendChild(el("div", { class: "empty", text: "No segments yet. Send a request to the local API and this map fills in." }));
    document.getElementById("summary").textContent = "";
    return;
  }
  var box = layout(map);
  var svg = el("svg", { viewBox: "0 0 " + box.width + " " + box.height, width: box.width, height: box.height, role: "img", "aria-label": "Service map" });
  svg.appendChild(el("defs", {}, ["ok", "error", "fault"].map(function (kind) {
    return el("marker", { id: "arrow-" + kind, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "10", markerHeight: "10", markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" },
      [el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: kind === "ok" ? "#9aa4ae" : HEALTH[kind] })]);
  })));
  var maxRequests = Math.max.apply(null, map.edges.map(function (e) { return e.requests; }).concat([1]));
  var edgeLayer = el("g", { class: "edges" }), labelLayer = el("g", { class: "labels" }), nodeLayer = el("g", { class: "nodes" });
  box.edges.forEach(function (routed, i) {
    var e = routed.edge, kind = edgeKind(e), text = edgeLines(e);
    var tip = e.source + " → " + e.target + (e.linked ? " (trace link)" : "") + "\n" + e.requests + " requests, p50 " + ms(e.p50Ms) + ", p99 " + ms(e.p99Ms) +
      "\nerrors (4xx) " + e.errors + " (" + pct(e.errors, e.requests) + "), faults (5xx) " + e.faults + " (" + pct(e.faults, e.requests) + ")";
    var ids = { "data-edge": String(i), "data-source": e.source, "data-target": e.target };
    edgeLayer.appendChild(el("path", Object.assign({ d: routed.path, class: "edge " + kind + (e.linked ? " linked" : ""), "stroke-width": 1.5 + 3 * (e.requests / maxRequests), "marker-end": "url(#arrow-" + kind + ")" }, ids), [el("title", { text: tip })]));
    var l = routed.label;
    var label = el("g", Object.assign({ class: "edge-label " + kind, transform: "translate(" + l.x + "," + l.y + ")" }, ids));
    label.appendChild(el("rect", { width: l.width, height: l.height, rx: 5 }));
    text.lines.forEach(function (line, j) {
      label.appendChild(el("text", { class: "edge-text" + (j === 0 && text.bad ? " bad" : ""), x: l.width / 2, y: 4 + j * l.lineHeight + l.ascent, "text-anchor": "middle", text: line }));
    });
    label.appendChild(el("title", { text: tip }));
    labelLayer.appendChild(label);
  });
  map.nodes.forEach(function (n) {
    var p = box.nodes[n.id], s = styleOf(n.type), h = healthOf(n.id, full), text = nodeText(n);
    var tip = n.name + "\n" + n.type + (h.total ? "\n" + h.total + " requests in: " + h.ok + " ok, " + h.error + " errors, " + h.fault + " faults" : "") + "\nclick: the traces through it";
    var g = el("g", { class: "node" + (state.through === n.id ? " selected" : ""), tabindex: "0", role: "button", "data-id": n.id, "aria-label": n.name + " (" + n.type + ")",
      onclick: function () { selectThrough(n.id); }, onkeydown: function (event) { if (event.key === "Enter") selectThrough(n.id); } });
    var ring = el("g", { class: "ring-group", transform: "translate(" + p.cx + "," + p.cy + ")" });
    ring.appendChild(el("circle", { r: RING, class: "ring-bg" }));
    if (h.total > 0) {
      var start = 0;
      ["ok", "error", "fault"].forEach(function (kind) {
        var share = h[kind] / h.total;
        if (share <= 0) return;
        ring.appendChild(el("path", { d: arc(0, 0, RING, start, start + share), stroke: HEALTH[kind], class: "ring " + kind }));
        start += share;
      });
    }
    ring.appendChild(el("circle", { r: CORE, fill: s.color, class: "core" }));
    if (n.type === "client") {
      ring.appendChild(el("circle", { cx: 0, cy: -8, r: 8, fill: "#fff" }));
      ring.appendChild(el("path", { d: "M -14 16 C -14 2, 14 2, 14 16 Z", fill: "#fff" }));
    } else {
      ring.appendChild(el("text", { class: "glyph" + (s.glyph.length > 2 ? " small" : ""), "text-anchor": "middle", y: s.glyph.length > 2 ? 5 : 8, text: s.glyph }));
    }
    g.appendChild(ring);
    g.appendChild(el("text", { class: "node-name", "text-anchor": "middle", x: p.cx, y: p.nameY, text: text.name }));
    g.appendChild(el("text", { class: "node-type", "text-anchor": "middle", x: p.cx, y: p.typeY, text: text.type }));
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
  document.getElementById("summary").textContent = map.nodes.length + " nodes · " + map.edges.length + " edges" +
    (map === full ? "" : " (of " + full.nodes.length + " · " + full.edges.length + ")") + " · " +
    totals.requests + " client requests · " + totals.errors + " errors · " + totals.faults + " faults";
}

/* Whether a trace's timeline touches a map node: its own segment, or a call to the resource the node stands for. */
function passesThrough(timeline, node) {
  if (node.type === "client") return true;
  return timeline.entries.some(function (e) {
    if (e.kind === "segment") return e.name === node.name && (e.origin || "service") === node.type;
    if (e.namespace === "aws") return e.resource === node.name && node.type.indexOf("AWS::") === 0;
    return e.namespace === "remote" && node.type === "remote" && e.name === node.name;
  });
}
/* A closed trace does not change: its timeline is fetched once. */
function timelineOf(traceId, fresh) {
  var kept = state.timelines[traceId];
  if (kept && !fresh) return Promise.resolve(kept);
  return getJson("/_dev/traces/" + encodeURIComponent(traceId)).then(function (timeline) {
    if (!timeline.entries.some(function (e) { return e.inProgress; })) state.timelines[traceId] = timeline;
    return timeline;
  });
}
function selectThrough(id) {
  state.through = state.through === id ? "" : id;
  drawMap();
  drawTraces();
}

function statusBadge(item) {
  if (item.inProgress) return el("span", { class: "badge pending", text: "in progress" });
  if (item.fault) return el("span", { class: "badge fault", text: "fault" });
  if (item.error) return el("span", { class: "badge error", text: "error" });
  return el("span", { class: "badge ok", text: "ok" });
}

function traceRow(t) {
  return el("tr", { class: location.hash === traceHash(t.traceId) ? "selected" : "", "data-trace": t.traceId,
    onclick: function (event) { if (event.target.tagName !== "A") location.hash = traceHash(t.traceId); } }, [
    el("td", { class: "time", text: new Date(t.startedAt).toLocaleTimeString() }),
    el("td", {}, [el("div", { class: "root", text: t.root }), el("div", { class: "id" }, [el("a", { href: traceHash(t.traceId), text: t.traceId })])]),
    el("td", { class: "num", text: ms(t.durationMs) }),
    el("td", { class: "num", text: String(t.segments) }),
    el("td", {}, [statusBadge(t)])
  ]);
}

function drawTraces() {
  var body = document.getElementById("traces"), note = document.getElementById("through");
  var node = state.map && state.map.nodes.filter(function (n) { return n.id === state.through; })[0];
  if (!node) state.through = "";
  note.textContent = "";
  if (node) {
    note.appendChild(el("span", { text: "through " + node.name + " (" + node.type + ") " }));
    note.appendChild(el("a", { href: "#", class: "clear", text: "show all", onclick: function (event) { event.preventDefault(); selectThrough(node.id); } }));
  }
  var items = state.traces;
  var pick = node
    ? Promise.all(items.map(function (t) { return timelineOf(t.traceId).then(function (tl) { return passesThrough(tl, node); }, function () { return false; }); }))
      .then(function (through) { return items.filter(function (_, i) { return through[i]; }); })
    : Promise.resolve(items);
  return pick.then(function (shown) {
    if (state.through !== (node ? node.id : "")) return;
    body.textContent = "";
    if (shown.length === 0) {
      body.appendChild(el("tr", {}, [el("td", { colspan: "5", class: "empty", text: node ? "No recent trace passes through " + node.name + "." : "No traces yet." })]));
      return;
    }
    shown.forEach(function (t) { body.appendChild(traceRow(t)); });
  });
}

/*
 * A timeline entry's cause: { type, message, stack: [{ label, path, line }] } (the first exception); X-Ray's own
 * shapes are read too: an exception id (a string), or { exceptions: [...] }.
 */
function causeLines(cause) {
  if (typeof cause === "string") return ["cause: exception " + cause];
  var exceptions = (cause && Array.isArray(cause.exceptions)) ? cause.exceptions : (cause && (cause.type || cause.message) ? [cause] : []);
  var lines = [];
  exceptions.forEach(function (x) {
    lines.push([x.type, x.message].filter(Boolean).join(": ") || "exception");
    (Array.isArray(x.stack) ? x.stack.slice(0, 3) : []).forEach(function (f) {
      lines.push("  at " + (f.label || "?") + (f.path ? " (" + f.path + (f.line ? ":" + f.line : "") + ")" : ""));
    });
  });
  if (lines.length === 0 && cause && typeof cause === "object") lines.push("cause: " + JSON.stringify(cause));
  return lines;
}

/* The hop a link crossed, as the console names the service (kinesis: Kinesis). */
var VIA_NAMES = { kinesis: "Kinesis", sqs: "SQS", sns: "SNS", eventbridge: "EventBridge", "dynamodb-streams": "DynamoDB Streams" };
function viaName(via) { return VIA_NAMES[via] || via || "link"; }

function logLine(log) {
  var fields = log.fields && typeof log.fields === "object" && Object.keys(log.fields).length ? " " + JSON.stringify(log.fields) : "";
  return el("div", { class: "log " + String(log.level || "").toLowerCase() }, [
    el("span", { class: "log-at", text: "+" + ms(log.offsetMs) }),
    el("span", { class: "log-level", text: String(log.level || "log") }),
    el("span", { class: "log-fn", text: log.function || "" }),
    el("span", { class: "log-msg", text: String(log.message) + fields })
  ]);
}

function linksOf(timeline) {
  var links = Array.isArray(timeline.links) ? timeline.links : [];
  if (links.length === 0) return null;
  return el("div", { class: "tl-links" }, [el("span", { class: "muted", text: "linked traces:" })].concat(links.map(function (link) {
    return el("a", { href: traceHash(link.traceId), class: "trace-link " + link.direction, "data-trace": link.traceId, "data-direction": link.direction },
      [el("span", { class: "dir", text: link.direction === "out" ? "continued by →" : "← caused by" }), el("span", { class: "tid", text: link.traceId }), el("span", { class: "via", text: "via " + viaName(link.via) })]);
  })));
}

function drawTimeline(timeline) {
  var panel = document.getElementById("timeline");
  var another = panel.hidden || panel.getAttribute("data-trace") !== timeline.traceId;
  panel.textContent = "";
  panel.hidden = false;
  panel.setAttribute("data-trace", timeline.traceId);
  var total = Math.max(timeline.durationMs, 0.001);
  var logs = Array.isArray(timeline.logs) ? timeline.logs : [];
  var ids = {};
  timeline.entries.forEach(function (e) { ids[e.id] = true; });
  panel.appendChild(el("div", { class: "tl-head" }, [
    el("h2", { text: "Trace " + timeline.traceId }),
    el("span", { class: "muted", text: new Date(timeline.startedAt).toLocaleString() + " · " + ms(timeline.durationMs) + " · " + timeline.entries.length + " (sub)segments" + (logs.length ? " · " + logs.length + " log lines" : "") }),
    el("a", { href: "#", class: "close", text: "close ✕" })
  ]));
  panel.appendChild(linksOf(timeline) || el("div", { hidden: "" }));
  panel.appendChild(el("div", { class: "tl-row tl-axis" }, [el("div", { class: "tl-name" }), el("div", { class: "tl-track" }, [0, 0.25, 0.5, 0.75, 1].map(function (f) {
    return el("span", { class: "tick", style: "left:" + f * 100 + "%;transform:translateX(-" + f * 100 + "%)", text: ms(total * f) });
  }))]));
  timeline.entries.forEach(function (e) {
    var kind = e.fault ? "fault" : e.error ? "error" : e.inProgress ? "pending" : e.kind === "segment" ? "segment" : e.namespace === "aws" ? "aws" : e.namespace === "remote" ? "remote" : "local";
    var left = Math.min(100, (e.offsetMs / total) * 100);
    var width = e.durationMs === null ? 100 - left : Math.max(0.4, (e.durationMs / total) * 100);
    var detail = [e.origin || e.namespace || (e.kind === "subsegment" ? "local" : ""), e.operation, e.resource && e.resource !== e.name ? e.resource : "", e.status ? "HTTP " + e.status : "", e.throttle ? "throttled" : ""].filter(Boolean).join(" · ");
    var chips = Object.keys(e.annotations || {}).map(function (k) { return el("span", { class: "chip", text: k + "=" + e.annotations[k] }); });
    panel.appendChild(el("div", { class: "tl-row " + (e.kind === "segment" ? "is-segment" : ""), "data-entry": e.id, "data-depth": String(e.depth), "data-kind": kind }, [
      el("div", { class: "tl-name", style: "padding-left:" + (8 + e.depth * 16) + "px" }, [
        e.kind === "segment" ? el("span", { class: "dot", style: "background:" + styleOf(e.origin || "service").color }) : null,
        el("span", { class: "label", text: e.name }),
        el("span", { class: "detail", text: detail })
      ].concat(chips)),
      el("div", { class: "tl-track" }, [
        el("div", { class: "bar " + kind + (left + width > 70 ? " late" : ""), style: "left:" + left + "%;width:" + width + "%" }, [el("span", { text: ms(e.durationMs) + " @ +" + ms(e.offsetMs) })])
      ])
    ]));
    if (e.cause) {
      panel.appendChild(el("div", { class: "tl-cause", "data-entry": e.id, style: "padding-left:" + (24 + e.depth * 16) + "px" },
        causeLines(e.cause).map(function (line) { return el("div", { text: line }); })));
    }
    var own = logs.filter(function (log) { return log.segmentId === e.id; });
    if (own.length) panel.appendChild(el("div", { class: "tl-logs", "data-entry": e.id, style: "padding-left:" + (24 + e.depth * 16) + "px" }, own.map(logLine)));
  });
  var stray = logs.filter(function (log) { return !ids[log.segmentId]; });
  if (stray.length) panel.appendChild(el("div", { class: "tl-logs stray" }, [el("div", { class: "muted", text: "log lines of segments not in this trace's documents" })].concat(stray.map(logLine))));
  if (another) panel.scrollIntoView({ block: "start" });
}

function showSelected() {
  var match = /^#trace=(.+)$/.exec(location.hash);
  var panel = document.getElementById("timeline");
  Array.prototype.forEach.call(document.querySelectorAll("#traces tr[data-trace]"), function (row) {
    row.className = location.hash === traceHash(row.getAttribute("data-trace")) ? "selected" : "";
  });
  if (!match) { panel.hidden = true; panel.removeAttribute("data-trace"); return Promise.resolve(); }
  var traceId = decodeURIComponent(match[1]);
  return timelineOf(traceId, true).then(function (timeline) {
    if (location.hash === traceHash(traceId)) drawTimeline(timeline);
  }, function (err) {
    panel.hidden = false;
    panel.textContent = "";
    panel.appendChild(el("div", { class: "empty", text: String(err.message || err) }));
  });
}

function refresh() {
  document.getElementById("updated").textContent = "updating…";
  return Promise.all([getJson("/_dev/service-map"), getJson("/_dev/traces?limit=30")]).then(function (results) {
    state.map = results[0];
    state.traces = results[1].items;
    drawFilter(state.map);
    drawMap();
    /* An open timeline is read again too: its trace may have been in progress. */
    return Promise.all([drawTraces(), location.hash ? showSelected() : null]);
  }).then(function () {
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
document.getElementById("service").addEventListener("change", function (event) { state.service = event.target.value; if (state.map) drawMap(); });
document.getElementById("scope").addEventListener("change", function (event) { state.scope = event.target.value; if (state.map) drawMap(); });
window.addEventListener("hashchange", showSelected);
/* Resolves once the first drawing is done (what a test waits for). */
window.summitMap = { ready: refresh() };
`;
