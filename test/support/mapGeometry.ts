/** A box in page pixels. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** What the service map page drew, read back from the browser's layout (page pixels). */
export interface DrawnMap {
  readonly nodes: readonly {
    readonly id: string;
    readonly label: string;
    readonly name: string;
    readonly type: string;
    readonly box: Box;
    readonly texts: readonly Box[];
  }[];
  readonly labels: readonly {
    readonly edge: string;
    readonly box: Box;
    readonly lines: readonly string[];
    readonly texts: readonly Box[];
  }[];
  readonly edges: readonly {
    readonly edge: string;
    readonly source: string;
    readonly target: string;
    readonly dashed: boolean;
    readonly points: readonly (readonly [number, number])[];
  }[];
  readonly size: { readonly width: number; readonly height: number };
}

/**
 * Script for `page.evaluate`: every node box (ring and labels) with its name and type texts, every edge label's
 * box and text, and every edge path sampled every 4 px (a chord of the curve, checked as a segment), all through the browser's own layout
 * (`getBoundingClientRect`, `getPointAtLength` with the path's screen transform).
 */
export const READ_DRAWN_MAP = `(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height }; };
  const svg = document.querySelector("#map svg");
  if (!svg) return null;
  const nodes = [...svg.querySelectorAll("g.node")].map((g) => ({
    id: g.getAttribute("data-id"),
    label: g.getAttribute("aria-label"),
    name: g.querySelector(".node-name").textContent,
    type: g.querySelector(".node-type").textContent,
    box: box(g),
    texts: [box(g.querySelector(".node-name")), box(g.querySelector(".node-type"))]
  }));
  const labels = [...svg.querySelectorAll("g.edge-label")].map((g) => ({
    edge: g.getAttribute("data-edge"),
    box: box(g.querySelector("rect")),
    lines: [...g.querySelectorAll("text")].map((t) => t.textContent),
    texts: [...g.querySelectorAll("text")].map(box)
  }));
  const edges = [...svg.querySelectorAll("path.edge")].map((p) => {
    const m = p.getScreenCTM(), length = p.getTotalLength(), points = [];
    for (let s = 0; s <= length + 4; s += 4) {
      const q = p.getPointAtLength(Math.min(s, length));
      points.push([m.a * q.x + m.c * q.y + m.e, m.b * q.x + m.d * q.y + m.f]);
    }
    return { edge: p.getAttribute("data-edge"), source: p.getAttribute("data-source"), target: p.getAttribute("data-target"),
      dashed: getComputedStyle(p).strokeDasharray !== "none", points };
  });
  return { nodes, labels, edges, size: { width: Number(svg.getAttribute("width")), height: Number(svg.getAttribute("height")) } };
})()`;

/** Boxes that share more than a hair (half a pixel, for anti-aliased edges) of area. */
export function overlaps(a: Box, b: Box, slack = 0.5): boolean {
  return a.x + a.w - slack > b.x && b.x + b.w - slack > a.x && a.y + a.h - slack > b.y && b.y + b.h - slack > a.y;
}

/** Whether the segment p→q passes through the inside of `box` (Liang–Barsky clipping, shrunk by `slack`). */
export function segmentHits(
  p: readonly [number, number],
  q: readonly [number, number],
  box: Box,
  slack = 0.5,
): boolean {
  const [x0, y0] = p;
  const dx = q[0] - x0;
  const dy = q[1] - y0;
  const left = box.x + slack;
  const right = box.x + box.w - slack;
  const top = box.y + slack;
  const bottom = box.y + box.h - slack;
  let t0 = 0;
  let t1 = 1;
  for (const [edge, distance] of [
    [-dx, x0 - left],
    [dx, right - x0],
    [-dy, y0 - top],
    [dy, bottom - y0],
  ] as const) {
    if (edge === 0) {
      if (distance < 0) return false;
      continue;
    }
    const t = distance / edge;
    if (edge < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return false;
  }
  return true;
}

/** Whether a sampled path crosses `box` anywhere. */
export const pathHits = (points: readonly (readonly [number, number])[], box: Box): boolean =>
  points.some((p, i) => i > 0 && segmentHits(points[i - 1]!, p, box));

/**
 * Every way the drawing hides something, in words (empty when it is clean): nodes on nodes, edge labels on nodes or
 * on each other, an edge through a label other than its own, through a node it does not join, or through the
 * name or type of a node it does join, and label text spilling out of its box.
 */
export function hiddenParts(map: DrawnMap): string[] {
  const problems: string[] = [];
  const { nodes, labels, edges } = map;
  nodes.forEach((a, i) => {
    for (const b of nodes.slice(i + 1)) if (overlaps(a.box, b.box)) problems.push(`node ${a.id} overlaps node ${b.id}`);
  });
  labels.forEach((label, i) => {
    for (const node of nodes)
      if (overlaps(label.box, node.box)) problems.push(`label ${label.edge} on node ${node.id}`);
    for (const other of labels.slice(i + 1)) {
      if (overlaps(label.box, other.box)) problems.push(`label ${label.edge} on label ${other.edge}`);
    }
    for (const text of label.texts) {
      const inside =
        text.x >= label.box.x && text.y >= label.box.y && text.x + text.w <= label.box.x + label.box.w + 0.5;
      if (!inside || text.y + text.h > label.box.y + label.box.h + 0.5) problems.push(`label ${label.edge} spills`);
    }
  });
  for (const edge of edges) {
    for (const label of labels) {
      if (label.edge !== edge.edge && pathHits(edge.points, label.box)) {
        problems.push(`edge ${edge.edge} under label ${label.edge}`);
      }
    }
    for (const node of nodes) {
      const joined = node.id === edge.source || node.id === edge.target;
      const hidden = joined ? node.texts.some((text) => pathHits(edge.points, text)) : pathHits(edge.points, node.box);
      if (hidden) problems.push(`edge ${edge.edge} (${edge.source} → ${edge.target}) through node ${node.id}`);
    }
  }
  return problems;
}
