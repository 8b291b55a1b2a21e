import { describe, expect, it } from "vitest";
import {
  aggregatePosts,
  KEYS_PER_CHUNK,
  type PostRecord,
  postKeys,
  replayTotals,
} from "../../services/forums/store/counters.js";
import { nameVersion } from "../../services/forums/store/directory.js";
import { fingerprint, planChunks, RECENT_IDS, sequenceKey } from "../../shared/data/index.js";

/** Posts of one shard, in its order: sequence numbers far apart, as Kinesis gives them. */
function posts(rows: readonly (readonly [forumId: string, authorId: string])[], start = 49_000_000_000n): PostRecord[] {
  return rows.map(([forumId, authorId], i) => {
    const sequenceNumber = String(start + BigInt(i) * 7n);
    return {
      sequenceNumber,
      eventId: `event-${sequenceNumber}`,
      postId: `p${i}`,
      threadId: `t-${forumId}`,
      forumId,
      authorId,
      createdAt: "2026-01-01T00:00:00.000Z",
    };
  });
}

const plan = { keysOf: postKeys, maxKeys: KEYS_PER_CHUNK };

describe("aggregatePosts", () => {
  it("adds a batch up per forum and per author: one write each, whatever the traffic", () => {
    const counts = aggregatePosts(
      posts([
        ["f1", "a"],
        ["f1", "b"],
        ["f2", "a"],
        ["f1", "a"],
      ]),
    );
    expect(Object.fromEntries(counts.forums)).toEqual({ f1: 3, f2: 1 });
    expect(Object.fromEntries(counts.authors)).toEqual({ a: 3, b: 1 });
  });

  it("turns 1,000 posts on one hot thread into one forum write and one per author", () => {
    const hot = posts(Array.from({ length: 1_000 }, (_, i) => ["f1", `a${i % 10}`] as const));
    const chunks = planChunks(hot, { recent: [] }, plan);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.keys.size).toBe(11);
    expect(aggregatePosts(chunks[0]!.records).forums.get("f1")).toBe(1_000);
  });
});

describe("the post counter's chunks", () => {
  it("never put more keys in a chunk than one transaction holds beside the checkpoint", () => {
    const batch = posts(Array.from({ length: 300 }, (_, i) => [`f${i % 7}`, `a${i}`] as const));
    const chunks = planChunks(batch, { recent: [] }, plan);
    expect(KEYS_PER_CHUNK + 1).toBeLessThanOrEqual(100);
    for (const chunk of chunks) {
      expect(chunk.keys.size).toBeLessThanOrEqual(KEYS_PER_CHUNK);
      expect(new Set(chunk.records.flatMap(postKeys))).toEqual(chunk.keys);
    }
    expect(chunks.reduce((sum, chunk) => sum + chunk.records.length, 0)).toBe(300);
    // Consecutive: each starts right after the one before, and the last ends the batch.
    expect(chunks[0]!.first).toBe(batch[0]!.sequenceNumber);
    expect(chunks.at(-1)!.last).toBe(batch.at(-1)!.sequenceNumber);
  });

  it("counts the same whatever the batching, and a replay of the whole history counts the same again", () => {
    const batch = posts(Array.from({ length: 400 }, (_, i) => [`f${i % 5}`, `a${(i * 13) % 150}`] as const));
    const withCopies = batch.flatMap((post, i) =>
      i % 40 === 5 ? [post, { ...post, sequenceNumber: String(BigInt(post.sequenceNumber) + 1n) }] : [post],
    );
    const run = (deliveries: readonly (readonly PostRecord[])[]) => {
      let checkpoint: { sequence?: string; recent: readonly string[] } = { recent: [] };
      const forums = new Map<string, number>();
      const authors = new Map<string, number>();
      for (const delivery of deliveries)
        for (const chunk of planChunks(delivery, checkpoint, plan)) {
          const counts = aggregatePosts(chunk.records);
          for (const [id, n] of counts.forums) forums.set(id, (forums.get(id) ?? 0) + n);
          for (const [id, n] of counts.authors) authors.set(id, (authors.get(id) ?? 0) + n);
          checkpoint = { sequence: sequenceKey(chunk.last), recent: chunk.recent };
        }
      return {
        forums: Object.fromEntries([...forums].sort()),
        authors: Object.fromEntries([...authors].sort()),
        checkpoint,
      };
    };
    const once = run([withCopies]);
    expect(Object.values(once.forums).reduce((a, b) => a + b, 0)).toBe(400);
    expect(run([withCopies, withCopies])).toEqual(once);
    expect(run([withCopies.slice(0, 150), withCopies])).toEqual(once);
    expect(run(withCopies.map((post) => [post]))).toEqual(once);

    const replayed = replayTotals([{ shardId: "s0", records: withCopies }]);
    expect(Object.fromEntries([...replayed.forums].sort())).toEqual(once.forums);
    expect(Object.fromEntries([...replayed.authors].sort())).toEqual(once.authors);
    expect(replayed.duplicates).toBe(withCopies.length - 400);
    const checkpoint = replayed.checkpoints.get("s0")!;
    expect(sequenceKey(checkpoint.last)).toBe(once.checkpoint.sequence);
    expect(checkpoint.recent).toEqual(once.checkpoint.recent);
  });

  it("replays several shards into one set of totals, each shard with its own checkpoint", () => {
    const a = posts([
      ["f1", "u1"],
      ["f1", "u2"],
    ]);
    const b = posts([["f1", "u1"]], 50_000_000_000n);
    const replayed = replayTotals([
      { shardId: "s0", records: a },
      { shardId: "s1", records: b },
      { shardId: "s2", records: [] },
    ]);
    expect(Object.fromEntries(replayed.forums)).toEqual({ f1: 3 });
    expect(Object.fromEntries(replayed.authors)).toEqual({ u1: 2, u2: 1 });
    expect([...replayed.checkpoints.keys()]).toEqual(["s0", "s1"]);
    expect(replayed.checkpoints.get("s1")).toEqual({
      last: b[0]!.sequenceNumber,
      recent: [fingerprint(b[0]!.eventId)],
    });
  });

  it("keeps the recent window of the last RECENT_IDS events in a replay, as the live counter does", () => {
    const long = posts(Array.from({ length: RECENT_IDS + 5 }, (_, i) => ["f1", `a${i % 3}`] as const));
    const { checkpoints } = replayTotals([{ shardId: "s0", records: long }]);
    expect(checkpoints.get("s0")!.recent).toHaveLength(RECENT_IDS);
    expect(checkpoints.get("s0")!.recent[0]).toBe(fingerprint(long[5]!.eventId));
  });
});

describe("nameVersion", () => {
  it("orders names by their event's time, a rename after a registration of the same instant", () => {
    const at = "2026-01-01T00:00:00.000Z";
    expect(nameVersion("2026-01-02T00:00:00.000Z", "registered", "a") > nameVersion(at, "updated", "z")).toBe(true);
    expect(nameVersion(at, "updated", "a") > nameVersion(at, "registered", "z")).toBe(true);
    expect(nameVersion(at, "updated", "e1")).toBe(nameVersion(at, "updated", "e1"));
  });
});
