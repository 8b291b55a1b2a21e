import { describe, expect, test } from "vitest";
import { type Box, type DrawnMap, hiddenParts, overlaps, segmentHits } from "../support/mapGeometry.js";

const box = (x: number, y: number, w: number, h: number): Box => ({ x, y, w, h });

/** Two nodes side by side, one edge between them at the ring's height with its label in the gap. */
const clean = (): DrawnMap => ({
  nodes: [
    { id: "a", label: "a (t)", name: "a", type: "t", box: box(0, 0, 100, 120), texts: [box(30, 90, 40, 14)] },
    { id: "b", label: "b (t)", name: "b", type: "t", box: box(300, 0, 100, 120), texts: [box(330, 90, 40, 14)] },
  ],
  labels: [{ edge: "0", box: box(150, 30, 100, 30), lines: ["1 req"], texts: [box(160, 35, 60, 12)] }],
  edges: [
    {
      edge: "0",
      source: "a",
      target: "b",
      dashed: false,
      points: [
        [92, 45],
        [200, 45],
        [308, 45],
      ],
    },
  ],
  size: { width: 400, height: 120 },
});

describe("the map geometry checks", () => {
  test("a clean drawing has nothing hidden", () => {
    expect(hiddenParts(clean())).toEqual([]);
  });

  test("boxes that only touch do not overlap; boxes that share area do", () => {
    expect(overlaps(box(0, 0, 10, 10), box(10, 0, 10, 10))).toBe(false);
    expect(overlaps(box(0, 0, 10, 10), box(9, 9, 10, 10))).toBe(true);
    expect(overlaps(box(0, 0, 10, 10), box(2, 2, 2, 2))).toBe(true);
  });

  test("a segment hits a box it crosses, even without an end inside; not one it passes by", () => {
    const b = box(10, 10, 10, 10);
    expect(segmentHits([0, 15], [30, 15], b)).toBe(true);
    expect(segmentHits([0, 0], [30, 30], b)).toBe(true);
    expect(segmentHits([15, 15], [16, 16], b)).toBe(true);
    expect(segmentHits([0, 25], [30, 25], b)).toBe(false);
    expect(segmentHits([0, 0], [30, 5], b)).toBe(false);
    expect(segmentHits([15, 0], [15, 9], b)).toBe(false);
  });

  test("names every way something is hidden", () => {
    const map = clean();
    const broken: DrawnMap = {
      ...map,
      nodes: [...map.nodes, { ...map.nodes[0]!, id: "c", box: box(50, 100, 100, 120), texts: [box(80, 190, 40, 14)] }],
      labels: [
        { ...map.labels[0]!, box: box(150, 30, 100, 30) },
        { edge: "1", box: box(240, 40, 100, 30), lines: ["2 req"], texts: [box(245, 45, 200, 12)] },
      ],
      edges: [
        ...map.edges,
        {
          edge: "1",
          source: "a",
          target: "b",
          dashed: false,
          points: [
            [100, 150],
            [120, 150],
            [300, 150],
          ],
        },
        {
          edge: "2",
          source: "a",
          target: "b",
          dashed: false,
          points: [
            [50, 80],
            [50, 100],
          ],
        },
      ],
    };
    expect(hiddenParts(broken)).toEqual([
      "node a overlaps node c",
      "label 0 on label 1",
      "label 1 on node b",
      "label 1 spills",
      "edge 0 under label 1",
      "edge 1 (a → b) through node c",
      "edge 2 (a → b) through node a",
    ]);
  });
});
