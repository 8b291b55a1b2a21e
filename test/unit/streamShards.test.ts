import { describe, expect, test } from "vitest";
import { PostCreated } from "../../events/forums.js";
import { ProductViewed } from "../../events/products.js";
import { services } from "../../services/index.js";
import { buildTopology, SHARD_LIMITS, shardsFor } from "../../shared/topology/index.js";

const MiB = 1024 * 1024;

describe("shardsFor: a stream's shards from its peak", () => {
  test("one shard without an estimate, and at least one with a tiny one", () => {
    expect(shardsFor(undefined, 3)).toBe(1);
    expect(shardsFor({ peakPerSecond: 1, recordBytes: 1 }, 0)).toBe(1);
  });

  test("records in: exactly 1,000/s fits one shard, one more needs a second", () => {
    expect(shardsFor({ peakPerSecond: 1_000, recordBytes: 100 }, 1)).toBe(1);
    expect(shardsFor({ peakPerSecond: 1_001, recordBytes: 100 }, 1)).toBe(2);
    expect(shardsFor({ peakPerSecond: 120_000, recordBytes: 512 }, 1)).toBe(120);
  });

  test("bytes in: exactly 1 MiB/s fits one shard, one byte more needs a second", () => {
    expect(shardsFor({ peakPerSecond: 512, recordBytes: 2_048 }, 0)).toBe(1); // 512 × 2 KiB = 1 MiB
    expect(shardsFor({ peakPerSecond: 1, recordBytes: MiB + 1 }, 0)).toBe(2);
    expect(shardsFor({ peakPerSecond: 1_000, recordBytes: 2_048 }, 1)).toBe(2); // 2,048,000 B/s
  });

  test("bytes out: 2 MiB/s per shard shared by every standard consumer", () => {
    // 1 MiB/s written: one shard takes it in, and two consumers read it out exactly at 2 MiB/s.
    expect(shardsFor({ peakPerSecond: 512, recordBytes: 2_048 }, 2)).toBe(1);
    expect(shardsFor({ peakPerSecond: 512, recordBytes: 2_048 }, 3)).toBe(2);
    expect(shardsFor({ peakPerSecond: 512, recordBytes: 2_048 }, 5)).toBe(3);
  });

  test("refuses an estimate that is not counts and sizes", () => {
    expect(() => shardsFor({ peakPerSecond: -1, recordBytes: 10 }, 1)).toThrow(RangeError);
    expect(() => shardsFor({ peakPerSecond: Number.NaN, recordBytes: 10 }, 1)).toThrow(RangeError);
  });

  test("uses the AWS per-shard limits", () => {
    expect(SHARD_LIMITS).toEqual({ recordsInPerSecond: 1000, bytesInPerSecond: MiB, bytesOutPerSecond: 2 * MiB });
  });
});

describe("the system's streams", () => {
  const streams = buildTopology(services).streams;
  const shardsOf = (event: string) => streams.find((s) => s.event === event)?.shards;

  test("follow the contracts' estimates", () => {
    expect(ProductViewed.throughput).toEqual({ peakPerSecond: 120_000, recordBytes: 512 });
    expect(PostCreated.throughput).toEqual({ peakPerSecond: 1_200, recordBytes: 1_024 });
    // 120,000 records/s: the record count decides (bytes in need 59).
    expect(shardsOf(ProductViewed.type)).toBe(120);
    // 1,200 records/s and 1.17 MiB/s in: two shards either way.
    expect(shardsOf(PostCreated.type)).toBe(2);
  });
});
