import { describe, expect, it } from "vitest";
import { ReadCache } from "../../shared/cache/index.js";

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** A load that counts its calls and answers `value` (a fresh promise each call). */
function counted<V>(value: V | undefined) {
  const load = Object.assign(
    async () => {
      load.calls++;
      return value;
    },
    { calls: 0 },
  );
  return load;
}

/** A load that waits until the test settles it. */
function deferred<V>() {
  let resolve!: (value: V | undefined) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<V | undefined>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const load = Object.assign(
    () => {
      load.calls++;
      return promise;
    },
    { calls: 0 },
  );
  return { load, resolve, reject };
}

describe("ReadCache", () => {
  it("answers from the cache until the TTL ends, then loads again", async () => {
    const clock = fakeClock();
    const cache = new ReadCache<string>({ ttlMs: 2_000, maxEntries: 10, now: clock.now });
    const load = counted("v1");
    expect(await cache.get("p1", load)).toBe("v1");
    clock.advance(1_999);
    expect(await cache.get("p1", load)).toBe("v1");
    expect(load.calls).toBe(1);
    clock.advance(1);
    expect(await cache.get("p1", load)).toBe("v1");
    expect(load.calls).toBe(2);
  });

  it("keeps a miss (undefined) for the same TTL: a burst of reads of nothing loads once", async () => {
    const clock = fakeClock();
    const cache = new ReadCache<string>({ ttlMs: 2_000, maxEntries: 10, now: clock.now });
    const load = counted<string>(undefined);
    for (let i = 0; i < 100; i++) expect(await cache.get("missing", load)).toBeUndefined();
    expect(load.calls).toBe(1);
    clock.advance(2_000);
    await cache.get("missing", load);
    expect(load.calls).toBe(2);
  });

  it("shares one load between concurrent misses of one key (single flight)", async () => {
    const cache = new ReadCache<string>({ ttlMs: 2_000, maxEntries: 10 });
    const { load, resolve } = deferred<string>();
    const reads = Array.from({ length: 100 }, () => cache.get("p1", load));
    resolve("v1");
    expect(await Promise.all(reads)).toEqual(Array(100).fill("v1"));
    expect(load.calls).toBe(1);
    expect(await cache.get("p1", load)).toBe("v1");
    expect(load.calls).toBe(1);
  });

  it("keeps no failed load: every waiter gets the error, and the next read tries again", async () => {
    const cache = new ReadCache<string>({ ttlMs: 2_000, maxEntries: 10 });
    const { load, reject } = deferred<string>();
    const reads = [cache.get("p1", load), cache.get("p1", load)];
    reject(new Error("throttled"));
    for (const read of reads) await expect(read).rejects.toThrow("throttled");
    expect(load.calls).toBe(1);
    expect(await cache.get("p1", counted("v2"))).toBe("v2");
  });

  it("evicts the least recently used entry beyond maxEntries", async () => {
    const cache = new ReadCache<string>({ ttlMs: 60_000, maxEntries: 2 });
    await cache.get("a", counted("A"));
    await cache.get("b", counted("B"));
    await cache.get("a", counted("unused")); // a is now the most recently used
    await cache.get("c", counted("C"));
    expect(cache.size).toBe(2);
    const kept = counted("unused");
    expect(await cache.get("a", kept)).toBe("A");
    expect(await cache.get("c", kept)).toBe("C");
    expect(kept.calls).toBe(0);
    const reloadB = counted("B2");
    expect(await cache.get("b", reloadB)).toBe("B2");
    expect(reloadB.calls).toBe(1);
  });

  it("set and delete write through: the writer's own reads see its write at once", async () => {
    const clock = fakeClock();
    const cache = new ReadCache<string>({ ttlMs: 2_000, maxEntries: 10, now: clock.now });
    const load = counted("old");
    await cache.get("p1", load);
    cache.set("p1", "new");
    expect(await cache.get("p1", load)).toBe("new");
    cache.set("p1", undefined); // deleted: a 404 from now, without a read
    expect(await cache.get("p1", load)).toBeUndefined();
    cache.delete("p1");
    expect(await cache.get("p1", load)).toBe("old");
    expect(load.calls).toBe(2);
    // A write restarts the TTL.
    cache.set("p1", "newer");
    clock.advance(1_999);
    expect(await cache.get("p1", load)).toBe("newer");
  });

  it("a write during a load wins over the load's (older) answer", async () => {
    const cache = new ReadCache<string>({ ttlMs: 2_000, maxEntries: 10 });
    const { load, resolve } = deferred<string>();
    const read = cache.get("p1", load);
    cache.set("p1", "written");
    resolve("loaded before the write");
    await read;
    expect(await cache.get("p1", counted("unused"))).toBe("written");
  });

  it("getMany loads every miss in one call, keeps what it left out as a miss, and shares loads under way", async () => {
    const cache = new ReadCache<string>({ ttlMs: 2_000, maxEntries: 10 });
    await cache.get("a", counted("A"));
    const pending = deferred<string>();
    const inFlight = cache.get("b", pending.load);
    const asked: string[][] = [];
    const many = cache.getMany(["a", "b", "c", "d", "c"], async (missing) => {
      asked.push([...missing]);
      return new Map([["c", "C"]]);
    });
    pending.resolve("B");
    await inFlight;
    expect(await many).toEqual(
      new Map([
        ["a", "A"],
        ["b", "B"],
        ["c", "C"],
        ["d", undefined],
      ]),
    );
    expect(asked).toEqual([["c", "d"]]);
    const none = counted("unused");
    expect(await cache.get("d", none)).toBeUndefined();
    expect(await cache.get("c", none)).toBe("C");
    expect(none.calls).toBe(0);
  });

  it("refuses options that make no cache", () => {
    expect(() => new ReadCache({ ttlMs: -1, maxEntries: 1 })).toThrow(TypeError);
    expect(() => new ReadCache({ ttlMs: 1_000, maxEntries: 0 })).toThrow(TypeError);
    expect(() => new ReadCache({ ttlMs: Number.NaN, maxEntries: 1 })).toThrow(TypeError);
  });
});
